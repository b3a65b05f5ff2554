"""Invoices: query, issue, preview, detail, history, void, red, marks, files, delivery."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Query, Router
from ninja import Status as Reply

from fapiao.api.v1.common import caller, invoice_of, picks
from fapiao.api.v1.schemas import (
    DeliverIn,
    DeliverOut,
    DraftIn,
    EventOut,
    Filters,
    InvoiceOut,
    InvoicePage,
    MarkIn,
    PreviewOut,
    RedIn,
    VoidIn,
)
from fapiao.approvals.selectors import request_as_dict
from fapiao.approvals.services import needs_approval, request_submit
from fapiao.core.roles import ISSUE, READ
from fapiao.documents.delivery import delivery_email, delivery_sms, link_create
from fapiao.documents.services import FORMATS, document_filename, document_render
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import parse_kind
from fapiao.domain.lifecycle import Action
from fapiao.domain.money import format_plain, parse_money
from fapiao.domain.taxcodes import display_name
from fapiao.domain.words import amount_in_words
from fapiao.invoicing.corrections import invoice_mark, invoice_void
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.red_invoices import invoice_issue_red
from fapiao.invoicing.selectors import (
    NotFound,
    channel_find,
    invoice_as_dict,
    invoice_list,
    red_form_get,
)
from fapiao.invoicing.selectors import invoice_events as history_of
from fapiao.invoicing.services import invoice_issue, invoice_preview

router = Router()


# --- invoices -----------------------------------------------------------------------------


@router.get("/invoices", response=InvoicePage, tags=["发票"], summary="查询发票")
def invoices(request: HttpRequest, filters: Query[Filters]) -> dict[str, Any]:
    me = caller(request)
    me.need(READ)

    def money(value: str | None, field: str) -> Decimal | None:
        return None if value is None else parse_money(value, field=field, label="金额")

    found = invoice_list(
        me.taxpayer,
        kind=parse_kind(filters.kind) if filters.kind else None,
        status=filters.status,
        start=filters.start,
        end=filters.end,
        buyer=filters.buyer,
        number=filters.number,
        item=filters.item,
        min_total=money(filters.min_total, "min_total"),
        max_total=money(filters.max_total, "max_total"),
        red=filters.red,
    )
    size = min(max(filters.size, 1), 200)
    page = max(filters.page, 1)
    chosen = found.select_related("signing_key", "blue")[(page - 1) * size : page * size]
    return {
        "count": found.count(),
        "page": page,
        "size": size,
        "items": [invoice_as_dict(invoice, lines=False) for invoice in chosen],
    }


@router.post(
    "/invoices",
    response={201: InvoiceOut, 202: dict[str, Any]},
    tags=["发票"],
    summary="开具发票",
    description="同一 request_id（或 Idempotency-Key 请求头）重复提交只开一张；内容不同则 409。"
    "企业设置了开票审批且该发票需要审批时，提交为开票申请（202，见 /requests），审批通过后开具。",
)
def issue(request: HttpRequest, payload: DraftIn) -> Reply:
    me = caller(request)
    me.need(ISSUE)
    data = payload.model_dump(exclude={"channel", "request_id"})
    request_id = payload.request_id or request.headers.get("Idempotency-Key") or None
    channel = channel_find(me.taxpayer, payload.channel)
    if needs_approval(me.taxpayer, channel, data):
        made = request_submit(taxpayer=me.taxpayer, channel=channel, data=data,
                              request_id=request_id, actor=me.actor)  # fmt: skip
        return JsonResponse({"request": request_as_dict(made)}, status=202,
                            json_dumps_params={"ensure_ascii": False})  # fmt: skip
    invoice = invoice_issue(
        taxpayer=me.taxpayer,
        channel=channel,
        draft=parse_draft(data),
        request_id=request_id,
        actor=me.actor,
    )
    # the busiest call: answered as JSON directly, not validated again field by field
    # (invoice_as_dict gives InvoiceOut's shape; the API tests compare the two)
    return JsonResponse(
        invoice_as_dict(invoice), status=201, json_dumps_params={"ensure_ascii": False}
    )


@router.post("/invoices/preview", response=PreviewOut, tags=["发票"], summary="预览（不开具）")
def preview(request: HttpRequest, payload: DraftIn) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    _, computed = invoice_preview(
        taxpayer=me.taxpayer,
        channel=channel_find(me.taxpayer, payload.channel),
        draft=parse_draft(payload.model_dump(exclude={"channel", "request_id"})),
    )
    totals = computed.totals
    total = totals.amount + totals.tax
    return {
        "lines": [
            {"name": display_name(line.short_name, line.name),
             "quantity": "" if line.quantity is None else format_plain(line.quantity),
             "unit_price": "" if line.unit_price is None else format_plain(line.unit_price),
             "amount": f"{line.amount:.2f}", "rate": line.rate.label, "tax": f"{line.tax:.2f}"}
            for line in computed.lines
        ],
        "amount": f"{totals.amount:.2f}",
        "tax": f"{totals.tax:.2f}",
        "total": f"{total:.2f}",
        "total_in_words": amount_in_words(total),
    }  # fmt: skip


@router.get("/invoices/{invoice_id}", response=InvoiceOut, tags=["发票"], summary="发票详情")
def invoice(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    caller(request).need(READ)
    return invoice_as_dict(invoice_of(request, invoice_id))


@router.get(
    "/invoices/{invoice_id}/events", response=list[EventOut], tags=["发票"], summary="发票历史"
)
def invoice_events(request: HttpRequest, invoice_id: int) -> list[dict[str, Any]]:
    caller(request).need(READ)
    found = invoice_of(request, invoice_id)
    return [
        {"sequence": e.sequence, "type": e.type, "actor": e.actor, "at": e.at.isoformat(),
         "payload": e.payload}
        for e in history_of(found)
    ]  # fmt: skip


@router.post("/invoices/{invoice_id}/void", response=InvoiceOut, tags=["发票"], summary="作废")
def void(request: HttpRequest, invoice_id: int, payload: VoidIn) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    done = invoice_void(invoice=invoice_of(request, invoice_id), actor=me.actor,
                        reason=payload.reason)  # fmt: skip
    return invoice_as_dict(done, lines=False)


@router.post(
    "/invoices/{invoice_id}/red", response={201: InvoiceOut}, tags=["发票"], summary="开具红字发票"
)
def red(request: HttpRequest, invoice_id: int, payload: RedIn) -> Reply:
    me = caller(request)
    me.need(ISSUE)
    blue = invoice_of(request, invoice_id)
    form = None
    if payload.form:
        form = red_form_get(me.taxpayer, payload.form, field="form")
    made = invoice_issue_red(
        blue=blue,
        actor=me.actor,
        reason=payload.reason,
        picks=picks(payload.lines),
        form=form,
        request_id=payload.request_id or request.headers.get("Idempotency-Key") or None,
    )
    return Reply(201, invoice_as_dict(made))


@router.post(
    "/invoices/{invoice_id}/mark", response=InvoiceOut, tags=["发票"], summary="标记已打印/已交付"
)
def mark(request: HttpRequest, invoice_id: int, payload: MarkIn) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    actions = {"printed": Action.PRINT, "delivered": Action.DELIVER}
    if payload.action not in actions:
        raise DomainError("action 应为 printed 或 delivered", field="action")
    done = invoice_mark(invoice=invoice_of(request, invoice_id), action=actions[payload.action],
                        actor=me.actor, detail=payload.detail)  # fmt: skip
    return invoice_as_dict(done, lines=False)


@router.get(
    "/invoices/{invoice_id}/files/{format}",
    tags=["发票"],
    summary="下载发票文件（pdf、ofd、xml）",
    response={200: bytes},
    openapi_extra={"responses": {"200": {"content": {m: {} for m in FORMATS.values()}}}},
)
def file(request: HttpRequest, invoice_id: int, format: str) -> HttpResponse:
    caller(request).need(READ)
    found = invoice_of(request, invoice_id)
    if format not in FORMATS:
        raise NotFound("文件格式应为 pdf、ofd 或 xml", field="format")
    response = HttpResponse(document_render(found, format), content_type=FORMATS[format])
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(document_filename(found, format))}"
    )
    return response


@router.post("/invoices/{invoice_id}/deliver", response=DeliverOut, tags=["发票"], summary="交付")
def deliver(request: HttpRequest, invoice_id: int, payload: DeliverIn) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    found = invoice_of(request, invoice_id)
    if payload.email:
        delivery_email(invoice=found, to=payload.email, actor=me.actor)
        return {"queued": "email"}
    if payload.mobile:
        return {"queued": "sms", "url": delivery_sms(invoice=found, mobile=payload.mobile,
                                                     actor=me.actor).url}  # fmt: skip
    issued = link_create(invoice=found, actor=me.actor, days=payload.link_days or 30)
    return {"url": issued.url}
