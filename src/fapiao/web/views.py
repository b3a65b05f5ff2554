"""Pages. Thin: they read through selectors and write through services."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

import fapiao
from fapiao.closing.reminders import reminders_of
from fapiao.core.clock import local_date
from fapiao.core.refusals import say
from fapiao.core.roles import AUDIT, ISSUE, READ
from fapiao.documents.models import Printer
from fapiao.documents.services import (
    FORMATS,
    document_filename,
    document_preview,
    document_render,
)
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import ChannelType, InvoiceKind, kinds_for_channel, spec
from fapiao.domain.lifecycle import RedReason, Status
from fapiao.domain.rates import parse_rate
from fapiao.domain.reporting import Span, period_of
from fapiao.invoicing.accounts import is_authority, support_role, taxpayers_of
from fapiao.invoicing.models import (
    Customer,
    Invoice,
    Product,
    RedFormStatus,
)
from fapiao.invoicing.selectors import (
    NotFound,
    channel_as_dict,
    channels_of,
    invoice_as_dict,
    invoice_events,
    invoice_get,
    invoice_list,
    parse_id,
    red_forms_of,
    voidable_of,
)
from fapiao.invoicing.templates import templates_of
from fapiao.invoicing.uploads import upload_state
from fapiao.reports.selectors import totals_of
from fapiao.support.links import help_links
from fapiao.web.context import current, in_app, page
from fapiao.web.filters import AuditFilter, InvoiceFilter
from fapiao.web.menu import landing
from fapiao.web.tables import AuditTable, InvoiceTable, RedFormTable, export, listing


def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and ``make run``."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database_ok = True
    except Exception:
        database_ok = False
    return JsonResponse(
        {
            "status": "ok" if database_ok else "degraded",
            "database": connection.vendor,
            "database_ok": database_ok,
            "time": timezone.localtime().isoformat(),
        },
        status=200 if database_ok else 503,
    )


@ensure_csrf_cookie  # pages call the API with the session; writes need the CSRF cookie
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "web/home.html", {"version": fapiao.__version__})
    me = current(request)
    roles = frozenset(me.roles) if me else frozenset()
    if not roles & READ:  # 税务机关, 客服 and 报销人 land on their own pages
        authority = is_authority(request.user)  # type: ignore[arg-type]
        staff = support_role(request.user)  # type: ignore[arg-type]
        target = landing(roles | ({staff} if staff else set()), authority=authority)
        if target != "/":
            return redirect(target)
        return render(request, "web/claimant.html", {"has_taxpayer": me is not None})
    return dashboard(request)


@page(*READ)
def dashboard(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    today = local_date(timezone.now())
    invoices = Invoice.objects.filter(taxpayer=me.taxpayer)

    channels = [channel_as_dict(c, today=today) for c in me.taxpayer.channels.all()]
    for channel in channels:
        channel["warnings"] = stock_warnings(channel)
        dates = [m["lock_date"] for m in channel.get("monitoring", {}).values()]
        if dates:
            lock = min(dates)
            channel["lock_date"] = lock
            channel["days_left"] = (timezone.datetime.fromisoformat(lock).date() - today).days
    return render(request, "web/dashboard.html", {
        "periods": [
            (_("今日开票"), totals_of(me.taxpayer, period_of(Span.DAILY, today))),
            (_("本月开票"), totals_of(me.taxpayer, period_of(Span.MONTHLY, today))),
        ],
        "channels": channels,
        "recent": invoices.order_by("-issued_at")[:10], "kind_names": _kind_names(),
        "uploads": upload_state(me.taxpayer),
        "reminders": reminders_of(me.taxpayer)[:3] if in_app(request) else [],
    })  # fmt: skip


#: Below these, the dashboard warns: invoices left of a kind, share of the month's credit left.
LOW_STOCK = 50
LOW_CREDIT = Decimal("0.1")


def stock_warnings(channel: dict[str, Any]) -> list[str]:
    """库存不足 / 授信额度不足 warnings for one channel (as ``channel_as_dict`` gives it)."""
    names = _kind_names()
    if channel["type"] == "digital":
        credit, left = channel.get("monthly_credit"), channel.get("credit_left")
        if credit and left is not None and Decimal(left) < Decimal(credit) * LOW_CREDIT:
            return [_("本月授信额度仅剩¥%(left)s") % {"left": left}]
        return []
    warnings = [
        _("%(kind)s库存仅剩%(left)s张，请及时领购") % {"kind": names.get(kind, kind), "left": left}
        for kind, left in channel.get("stock", {}).items()
        if left < LOW_STOCK
    ]
    for kind in channel.get("monitoring", {}):
        if kind not in channel.get("stock", {}):
            warnings.append(_("%(kind)s没有库存，请领购") % {"kind": names.get(kind, kind)})
    return warnings


def _kind_names() -> dict[str, str]:
    return {kind.value: spec(kind).short_name for kind in InvoiceKind}


@require_POST
@page()
def switch_taxpayer(request: HttpRequest) -> HttpResponse:
    wanted = parse_id(request.POST.get("taxpayer", ""))
    if any(t.pk == wanted for t in taxpayers_of(request.user)):  # type: ignore[arg-type]
        request.session["taxpayer_id"] = wanted
    return redirect("/")


@ensure_csrf_cookie
@page(*ISSUE)
def issue_form(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    channels = channels_of(me.taxpayer)
    templates = templates_of(me.taxpayer)
    kinds = [
        {"value": kind.value, "name": spec(kind).name, "channel": channel.name}
        for channel in channels
        for kind in kinds_for_channel(ChannelType(channel.type))
    ]
    context = {
        "kinds": kinds,
        "customers": Customer.objects.filter(taxpayer=me.taxpayer),
        "products": Product.objects.filter(taxpayer=me.taxpayer),
        "request_id": uuid.uuid4().hex,  # the page makes a fresh one at every view
        "copied": _copied(me.taxpayer, request.GET.get("copy", "")),
        "templates": templates,
        "template_data": [
            {"remarks": t.remarks, "payee": t.payee, "reviewer": t.reviewer, "fields": t.fields}
            for t in templates
        ],
        # refusals the API may answer → their help articles, in the page's language too
        "help_links": {say(known): url for known, url in help_links().items()},
    }
    return render(request, "web/issue.html", context)


def _copied(taxpayer: Any, wanted: str) -> dict[str, Any] | None:
    """复制为新发票: a blue invoice of the taxpayer as a new draft (same kind, channel, buyer,
    lines and remarks; a new date, number and request)."""
    pk = parse_id(wanted)
    if pk is None:
        return None
    try:
        invoice = invoice_get(taxpayer, pk)
    except NotFound:
        return None
    buyer = {**(invoice.buyer or {}), "email": invoice.buyer_email}
    lines = [
        {"name": line.name, "tax_code": line.tax_code, "spec": line.spec, "unit": line.unit,
         "quantity": "" if line.quantity is None else f"{line.quantity.normalize():f}",
         "unit_price": "" if line.unit_price is None else f"{line.unit_price.normalize():f}",
         "amount": str(line.amount), "rate": parse_rate(line.rate).label,
         "discount": line.discount}
        for line in invoice.lines.order_by("pk")
    ]  # fmt: skip
    return {"kind": invoice.kind, "channel": invoice.channel.name, "mode": "exclusive",
            "buyer": buyer, "lines": lines, "remarks": invoice.remarks, "payee": invoice.payee,
            "reviewer": invoice.reviewer}  # fmt: skip


@page(*READ)
def invoices(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    found = InvoiceFilter(request.GET or None, taxpayer=me.taxpayer)
    table = InvoiceTable(found.qs)
    if request.GET.get("export"):
        return export(request, table, name=_("发票"), what="invoices")
    return render(request, "web/invoices.html", {
        "filter": found, "table": listing(request, table),
    })  # fmt: skip


@page(*READ)
def red_forms(request: HttpRequest) -> HttpResponse:
    """红字确认单: every 信息表 and 确认单 of the taxpayer, by status."""
    me = request.caller  # type: ignore[attr-defined]
    status = request.GET.get("status", "")
    if status not in RedFormStatus.values:
        status = ""
    table = RedFormTable(red_forms_of(me.taxpayer, status=status))
    if request.GET.get("export"):
        return export(request, table, name=_("红字确认单"), what="red_forms")
    return render(request, "web/red_forms.html", {
        "table": listing(request, table), "status": status,
        "statuses": [(s.value, s.label) for s in RedFormStatus],
    })  # fmt: skip


@page(*READ)
def voids(request: HttpRequest) -> HttpResponse:
    """作废管理: what may still be voided this month, and what has been."""
    me = request.caller  # type: ignore[attr-defined]
    voided = request.GET.get("tab") == "voided"
    today = local_date(timezone.now())
    rows = (invoice_list(me.taxpayer, status=Status.VOIDED) if voided
            else voidable_of(me.taxpayer, today=today))  # fmt: skip
    table = InvoiceTable(rows)
    if request.GET.get("export"):
        return export(request, table, name=_("作废管理"), what="voids")
    return render(request, "web/voids.html", {"table": listing(request, table), "voided": voided})


def page_invoice(request: HttpRequest, pk: int) -> Invoice:
    return invoice_get(request.caller.taxpayer, pk)  # type: ignore[attr-defined]


@page(*READ)
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        invoice = page_invoice(request, pk)
    except NotFound:
        return render(request, "web/missing.html", status=404)
    kind = spec(InvoiceKind(invoice.kind))
    data = invoice_as_dict(invoice)
    return render(request, "web/invoice.html", {
        "invoice": invoice, "data": data, "kind": kind,
        "events": invoice_events(invoice),
        "formats": [f for f in FORMATS if f != "xml" or kind.digital],
        "reasons": [r.value for r in RedReason],
        "forms": invoice.red_forms.order_by("-pk"),
        "message": request.session.pop("invoice_message", ""),
        "link": request.session.pop("invoice_link", None),
        "printers": Printer.objects.filter(taxpayer=invoice.taxpayer).order_by("name"),
        "buyer_email": invoice.buyer_email,
        "red_lines": [line for line in data["lines"] if Decimal(line["amount"]) > 0],
    })  # fmt: skip


@page(*READ)
def invoice_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice's first page as a picture, for its page."""
    try:
        content = document_preview(page_invoice(request, pk))
    except DomainError as error:
        return HttpResponse(say(error.message), status=404, content_type="text/plain")
    response = HttpResponse(content, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@xframe_options_sameorigin  # the detail page previews the PDF in a frame
@page(*READ)
def invoice_file(request: HttpRequest, pk: int, format: str) -> HttpResponse:
    try:
        invoice = page_invoice(request, pk)
        content = document_render(invoice, format)
    except DomainError as error:
        return HttpResponse(
            say(error.message), status=404, content_type="text/plain; charset=utf-8"
        )
    response = HttpResponse(content, content_type=FORMATS[format])
    disposition = "inline" if request.GET.get("inline") else "attachment"
    response["Content-Disposition"] = (
        f"{disposition}; filename*=UTF-8''{quote(document_filename(invoice, format))}"
    )
    return response


@page(*AUDIT)
def audit(request: HttpRequest) -> HttpResponse:
    """审计日志: sign-ins, roles, keys and exports (the audit log) with every change of the
    taxpayer's history (issues, voids, reds, deliveries, the period close, settings, catalogs),
    who made it, when and from where, filtered by category, person and dates."""
    me = request.caller  # type: ignore[attr-defined]
    found = AuditFilter(request.GET or None, taxpayer=me.taxpayer)
    table = AuditTable(found.qs)
    if request.GET.get("export"):
        return export(request, table, name=_("审计日志"), what="audit")
    return render(request, "web/audit.html", {"filter": found, "table": listing(request, table)})
