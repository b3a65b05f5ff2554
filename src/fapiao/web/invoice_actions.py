"""What an invoice's page does: 作废, 红字 (in full or by line, with or without a form),
交付 by e-mail, SMS or link, and 打印."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fapiao.core.roles import ISSUE
from fapiao.documents.delivery import delivery_email, delivery_sms, link_create
from fapiao.documents.models import Printer
from fapiao.documents.printing import invoice_print
from fapiao.documents.services import (
    document_filename,
)
from fapiao.domain.errors import DomainError
from fapiao.domain.lifecycle import RedReason
from fapiao.domain.red import Pick, pick_of
from fapiao.invoicing.corrections import invoice_void
from fapiao.invoicing.models import (
    Invoice,
    RedForm,
)
from fapiao.invoicing.red_forms import red_form_cancel, red_form_confirm, red_form_create
from fapiao.invoicing.red_invoices import invoice_issue_red
from fapiao.invoicing.selectors import (
    NotFound,
    parse_id,
)
from fapiao.web.context import page
from fapiao.web.views import page_invoice


@require_POST
@page(*ISSUE)
def invoice_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    try:
        invoice = page_invoice(request, pk)
    except NotFound:
        return render(request, "web/missing.html", status=404)
    try:
        if action in DELIVERIES:
            return DELIVERIES[action](request, invoice, me.actor)
        if action == "print":
            return _print(request, invoice, me)
        if action == "void":
            invoice_void(invoice=invoice, actor=me.actor, reason=request.POST.get("reason", ""))
            return _told(request, pk, _("已作废"))
        if action == "red":
            red = invoice_issue_red(
                blue=invoice, actor=me.actor, reason=RedReason(request.POST["reason"]),
                request_id=request.POST.get("request_id") or None, picks=_picks(request),
            )  # fmt: skip
            return _told(request, red.pk, _("已开具红字发票"))
        if action == "form":
            form = red_form_create(
                blue=invoice, reason=RedReason(request.POST["reason"]),
                raised_by=request.POST.get("raised_by", "seller"),
                buyer_booked=bool(request.POST.get("buyer_booked")), actor=me.actor,
                picks=_picks(request),
            )  # fmt: skip
            return _told(request, pk, _("已提出%(form)s（%(status)s）")
                         % {"form": form.number, "status": form.get_status_display()})  # fmt: skip
        form = RedForm.objects.get(taxpayer=me.taxpayer, blue=invoice,
                                   number=request.POST.get("form", ""))  # fmt: skip
        if action == "confirm":
            red_form_confirm(form=form, party=request.POST.get("party", ""),
                             accept=request.POST.get("accept") != "0", actor=me.actor)  # fmt: skip
            return _told(request, pk, _("%(form)s已处理") % {"form": form.number})
        if action == "cancel":
            red_form_cancel(form=form, actor=me.actor)
            return _told(request, pk, _("%(form)s已撤销") % {"form": form.number})
        if action == "red-form":
            red = invoice_issue_red(blue=invoice, form=form, actor=me.actor,
                                    request_id=f"red-form-{form.pk}")  # fmt: skip
            return _told(request, red.pk, _("已开具红字发票"))
    except (DomainError, KeyError, ValueError, RedForm.DoesNotExist) as error:
        return _told(request, pk, getattr(error, "message", _("请求不正确")))
    return redirect(f"/invoices/{pk}/")


def _picks(request: HttpRequest) -> list[Pick] | None:
    """部分红冲: the lines the form names (``q_N`` a quantity, ``a_N`` an amount of printed line
    N); none named is the whole invoice."""
    lines = sorted({int(key[2:]) for key in request.POST if key[:2] in ("q_", "a_")
                    and key[2:].isdigit() and (request.POST[key] or "").strip()})  # fmt: skip
    if not lines:
        return None
    post = request.POST
    return [pick_of(n, post.get(f"q_{n}", "").strip(), post.get(f"a_{n}", "").strip())
            for n in lines]  # fmt: skip


def _deliver_email(request: HttpRequest, invoice: Invoice, actor: str) -> HttpResponse:
    to = request.POST.get("email", "")
    delivery_email(invoice=invoice, to=to, actor=actor)
    return _told(request, invoice.pk, _("已排队发送邮件至%(to)s") % {"to": to.strip()})


def _deliver_sms(request: HttpRequest, invoice: Invoice, actor: str) -> HttpResponse:
    issued = delivery_sms(invoice=invoice, mobile=request.POST.get("mobile", ""), actor=actor)
    return _linked(request, invoice, issued, _("已排队发送短信（含下载链接）"))


def _deliver_link(request: HttpRequest, invoice: Invoice, actor: str) -> HttpResponse:
    days = parse_id(request.POST.get("days", "")) or 30
    issued = link_create(invoice=invoice, actor=actor, days=days)
    return _linked(request, invoice, issued, _("已生成下载链接"))


def _linked(request: HttpRequest, invoice: Invoice, issued: Any, message: str) -> HttpResponse:
    """Back to the invoice, showing the new link (its token is shown this once) and its QR."""
    request.session["invoice_link"] = {  # the QR from this server, the link as configured
        "url": issued.url, "qr": f"/d/{issued.token}/qr.png",
        "expires": timezone.localtime(issued.link.expires_at).strftime("%Y-%m-%d %H:%M"),
    }  # fmt: skip
    return _told(request, invoice.pk, message)


DELIVERIES = {"email": _deliver_email, "sms": _deliver_sms, "link": _deliver_link}


def _print(request: HttpRequest, invoice: Invoice, me: Any) -> HttpResponse:
    """The PDF shifted by the chosen printer's offsets, to print from the browser; the invoice
    is marked printed."""
    chosen = parse_id(request.POST.get("printer", ""))
    printer = Printer.objects.filter(taxpayer=me.taxpayer, pk=chosen).first() if chosen else None
    content = invoice_print(invoice=invoice, printer=printer, actor=me.actor)
    response = HttpResponse(content, content_type="application/pdf")
    name = quote(document_filename(invoice, "pdf"))
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{name}"
    return response


def _told(request: HttpRequest, pk: int, message: str) -> HttpResponse:
    """To the invoice's page, with ``message`` shown there once."""
    request.session["invoice_message"] = message
    return redirect(f"/invoices/{pk}/")
