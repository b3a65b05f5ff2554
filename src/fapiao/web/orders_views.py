"""扫码开票's pages: the seller's orders (make one with its lines, the link and QR code shown
once; cancel; a new link), and the buyer's page, opened from the link on a phone without an
account: the 抬头 and an e-mail address, then the invoice (issued once, whatever is tapped)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect

from fapiao.core.roles import ISSUE
from fapiao.documents.delivery import link_create, qr_png
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import ChannelType, InvoiceKind, kinds_for_channel, spec
from fapiao.invoicing.selectors import NotFound, channels_of
from fapiao.orders import selectors
from fapiao.orders.services import (
    Made,
    order_cancel,
    order_claim,
    order_create,
    order_open,
    order_relink,
)
from fapiao.web.context import page
from fapiao.web.settings_views import flash_of, told_then

LINE_ROWS = 3
LINE_FIELDS = ("name", "tax_code", "quantity", "unit_price", "amount", "rate")


def _lines(post: Any) -> list[dict[str, str]]:
    lines = []
    for n in range(LINE_ROWS):
        line = {key: post.get(f"line{n}.{key}", "").strip() for key in LINE_FIELDS}
        if any(line.values()):
            lines.append(line)
    return lines


def _made(request: HttpRequest, made: Made) -> HttpResponse:
    return render(
        request, "orders/made.html", {"order": made.order, "url": made.url, "token": made.token}
    )


@page(*ISSUE)
def orders(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    channels = channels_of(me.taxpayer)
    error: DomainError | None = None
    if request.method == "POST":
        chosen = next((c for c in channels if str(c.pk) == request.POST.get("channel")), None)
        try:
            if chosen is None:
                raise DomainError("请选择开票渠道", field="channel")
            try:
                days = int(request.POST.get("days") or 30)
            except ValueError:
                raise DomainError("链接有效天数应为整数", field="days") from None
            made = order_create(
                taxpayer=me.taxpayer,
                channel=chosen,
                order_no=request.POST.get("order_no", ""),
                lines=_lines(request.POST),
                kinds=request.POST.getlist("kinds"),
                mode=request.POST.get("mode", "inclusive"),
                remarks=request.POST.get("remarks", ""),
                days=days,
                actor=me.actor,
            )
        except DomainError as refused:
            error = refused
        else:
            return _made(request, made)
    kinds = [
        (kind.value, spec(kind).short_name, channel.pk)
        for channel in channels
        for kind in kinds_for_channel(ChannelType(channel.type))
    ]
    return render(
        request,
        "orders/list.html",
        {
            "orders": selectors.orders_of(me.taxpayer)[:200],
            "channels": channels,
            "kinds": kinds,
            "rows": range(LINE_ROWS),
            "error": error,
            "posted": request.POST,
            "statuses": selectors.STATUS_LABELS,
            "message": flash_of(request),
        },
    )


@page(*ISSUE)
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    try:
        order = selectors.order_get(me.taxpayer, order_id)
    except NotFound:
        raise Http404 from None
    error: DomainError | None = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "relink":
                return _made(request, order_relink(order=order, actor=me.actor))
            if request.POST.get("action") == "cancel":
                order_cancel(order=order, actor=me.actor)
                return told_then(request, f"/orders/{order.pk}/", _("订单已取消"))
            raise DomainError("未知的操作", field="action")
        except DomainError as refused:
            error = refused
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "statuses": selectors.STATUS_LABELS,
            "error": error,
            "message": flash_of(request),
        },
    )


# --- the buyer's side: no account, the link's token is the key ------------------------------


def _public(response: HttpResponse) -> HttpResponse:
    # the token leaves for no other site; the page's own form keeps its origin (with
    # no-referrer a browser sends "Origin: null", which the CSRF check refuses)
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


@csrf_protect
def buyer_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        order = order_open(token)
    except DomainError as refused:
        return _public(render(request, "orders/buyer.html", {"gone": refused}, status=404))
    error: DomainError | None = None
    if request.method == "POST":
        try:
            invoice = order_claim(order=order, answer=request.POST.dict())
        except DomainError as refused:
            error = refused
        else:
            link = link_create(invoice=invoice, actor="buyer", days=7)
            return redirect(f"/d/{link.token}/")  # the download page of every link
    kinds = [(kind, spec(InvoiceKind(kind)).short_name) for kind in order.kinds]
    return _public(
        render(
            request,
            "orders/buyer.html",
            {
                "order": order,
                "seller": order.taxpayer.name,
                "kinds": kinds,
                "error": error,
                "posted": request.POST,
                "issued": order.status == "issued",
            },
        )
    )


def buyer_qr(request: HttpRequest, token: str) -> HttpResponse:
    """The order's QR code (the link), for the receipt or the counter."""
    try:
        order_open(token)
    except DomainError:
        raise Http404 from None
    url = request.build_absolute_uri(f"/o/{token}/")
    return _public(HttpResponse(qr_png(url), content_type="image/png"))
