"""REST API ``/api/v1``: thin endpoints over the same services as the CLI and the web pages.

Errors are ``{code, message, field}`` with a Chinese message; money travels as strings so no
amount passes through a float.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Body, Field, NinjaAPI, Query, Schema
from ninja import Status as Reply
from ninja.errors import AuthenticationError, ValidationError
from pydantic import BaseModel

from fapiao.api.auth import AUTH, ISSUE, READ, Caller, Forbidden
from fapiao.authority.api import VerifyIn
from fapiao.authority.client import Unreachable, authority_client
from fapiao.closing.certificate import certificate_pdf
from fapiao.closing.models import Clearing
from fapiao.closing.services import (
    CONFIRM_PURPOSE,
    clearing_apply,
    clearing_as_dict,
    clearing_refresh,
    clearing_state,
    period_declare,
    period_from,
    period_report,
    state_as_dict,
)
from fapiao.documents.delivery import LINK_DAYS_MAX, delivery_email, delivery_sms, link_create
from fapiao.documents.services import FORMATS, document_filename, document_render
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import parse_kind
from fapiao.domain.lifecycle import Action, RedReason, Status
from fapiao.domain.money import format_plain, parse_money, parse_price
from fapiao.domain.periods import ClearingType
from fapiao.domain.red import Pick
from fapiao.domain.taxcodes import display_name
from fapiao.domain.words import amount_in_words
from fapiao.invoicing.catalog import CATALOGS, catalog, catalog_delete, catalog_save
from fapiao.invoicing.corrections import (
    invoice_issue_red,
    invoice_mark,
    invoice_void,
    red_form_cancel,
    red_form_confirm,
    red_form_create,
)
from fapiao.invoicing.models import Event, Invoice, RedForm, Role
from fapiao.invoicing.selectors import (
    NotFound,
    channel_as_dict,
    channel_find,
    invoice_as_dict,
    invoice_list,
    red_form_as_dict,
)
from fapiao.invoicing.services import (
    REQUEST_ID_MAX,
    BadRequestId,
    IdempotencyConflict,
    invoice_issue,
    invoice_preview,
    local_date,
)
from fapiao.security.services import confirm_send
from fapiao.signing import SealBroken
from fapiao.web.refusals import say

api = NinjaAPI(
    title="Fapiao 开票系统 API",
    version="1",
    urls_namespace="api-v1",
    auth=AUTH,
    description="发票开具、作废、红字、目录、渠道、查询与文件。"
    "认证：X-API-Key 或登录会话（写操作需 CSRF）。",
)

STATUS_OF = {
    NotFound: 404, Forbidden: 403, IdempotencyConflict: 409, BadRequestId: 422, SealBroken: 503,
}  # fmt: skip
PYDANTIC_MESSAGES = {
    "missing": "必须填写",
    "string_type": "应为文字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "enum": "不是允许的取值",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "json_invalid": "不是有效的JSON",
    "string_too_long": "不能超过{max_length}个字符",
    "string_too_short": "不能少于{min_length}个字符",
    "greater_than_equal": "不能小于{ge}",
    "less_than_equal": "不能大于{le}",
    "int_from_float": "应为整数",
}


class Error(Schema):
    code: str
    message: str
    field: str | None = None


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    status = next((code for kind, code in STATUS_OF.items() if isinstance(error, kind)), 400)
    if error.code == "too_many_misses":  # 查验 that look like enumeration
        status = 429
    # Chinese, unless the caller is a signed-in user who chose another language
    return api.create_response(request, {**error.as_dict(), "message": say(error.message)},
                               status=status)  # fmt: skip


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    first = error.errors[0] if error.errors else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query")]
    field = ".".join(location[1:] if location[:1] == ["payload"] else location) or None
    reason = PYDANTIC_MESSAGES.get(str(first.get("type", "")), "格式不正确")
    try:
        reason = reason.format(**first.get("ctx", {}))
    except (KeyError, IndexError, ValueError):
        reason = "格式不正确"
    message = f"请求格式不正确：{field or '请求体'}{reason}"
    return api.create_response(
        request, {"code": "invalid", "message": message, "field": field}, status=422
    )


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    body = {"code": "unauthorized", "message": "请先登录或提供有效的API密钥", "field": None}
    return api.create_response(request, body, status=401)


def caller(request: HttpRequest) -> Caller:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def invoice_of(request: HttpRequest, invoice_id: int) -> Invoice:
    """The caller's invoice, or 404 — another taxpayer's id is as unknown as a missing one."""
    found = (
        Invoice.objects.filter(taxpayer=caller(request).taxpayer, pk=invoice_id)
        .select_related("signing_key", "taxpayer", "channel", "blue")
        .first()
    )
    if found is None:
        raise NotFound("发票不存在", field="id")
    return found


# --- schemas ------------------------------------------------------------------------------
# The draft's schemas are plain pydantic models: read on every issuing call, they need none of
# ninja's Schema (which reads attributes of Django objects for output).


class PartyIn(BaseModel):
    name: str
    tax_id: str = ""
    address: str = ""
    phone: str = ""
    bank: str = ""
    account: str = ""
    individual: bool = False
    email: str = ""
    mobile: str = ""


class LineIn(BaseModel):
    name: str
    tax_code: str
    rate: str
    amount: str | None = None
    quantity: str | None = None
    unit_price: str | None = None
    tax: str | None = None
    short_name: str = ""
    spec: str = ""
    unit: str = ""
    discount: bool = False


class DraftIn(BaseModel):
    kind: str
    channel: str | None = None
    mode: str = "exclusive"
    buyer: PartyIn
    lines: list[LineIn]
    remarks: str = ""
    payee: str = ""
    reviewer: str = ""
    drawer: str = ""
    difference_taxation: bool = False
    request_id: str | None = Field(None, max_length=REQUEST_ID_MAX)


class LineOut(Schema):
    name: str
    tax_code: str
    spec: str
    unit: str
    quantity: str | None
    unit_price: str | None
    amount: str
    rate: str
    tax: str
    discount: bool


class InvoiceOut(Schema):
    id: int
    kind: str
    kind_name: str
    code: str
    number: str
    issued_at: str
    issued_on: str
    status: str
    status_name: str
    red: bool
    blue: str | None
    red_reason: str
    seller: dict[str, Any]
    buyer: dict[str, Any]
    amount: str
    tax: str
    total: str
    total_in_words: str
    check_code: str
    qr: str
    remarks: str
    payee: str
    reviewer: str
    drawer: str
    signature: dict[str, Any]
    lines: list[LineOut] = Field(default_factory=list)


class InvoicePage(Schema):
    count: int
    page: int
    size: int
    items: list[InvoiceOut]


class Filters(Schema):
    kind: str | None = None
    status: Status | None = None
    start: date | None = None
    end: date | None = None
    buyer: str = ""
    number: str = ""
    item: str = ""
    min_total: str | None = None
    max_total: str | None = None
    red: bool | None = None
    page: int = Field(1, ge=1, le=1_000_000)
    size: int = Field(50, ge=1, le=10_000)  # more than 200 is answered as 200


class PickIn(Schema):
    line: int  # 1-based, as printed
    quantity: str | None = None
    amount: str | None = None


class RedIn(Schema):
    reason: RedReason | None = None
    form: str | None = None
    lines: list[PickIn] | None = None
    request_id: str | None = Field(None, max_length=REQUEST_ID_MAX)


class RedFormIn(Schema):
    blue: int
    reason: RedReason
    raised_by: str = "seller"
    buyer_booked: bool = False
    lines: list[PickIn] | None = None


class RedFormOut(Schema):
    number: str
    type: str
    blue: str
    reason: str
    raised_by: str
    status: str
    status_name: str
    amount: str
    tax: str
    total: str
    created_at: str
    expires_at: str | None


class ConfirmIn(Schema):
    party: str
    accept: bool = True


class MarkIn(Schema):
    action: str  # printed or delivered
    detail: str = ""


class VoidIn(Schema):
    reason: str = ""


class DeliverIn(Schema):
    email: str | None = Field(None, max_length=254)
    mobile: str | None = Field(None, max_length=20)
    link_days: int | None = Field(None, ge=1, le=LINK_DAYS_MAX)


class DeliverOut(Schema):
    queued: str | None = None
    url: str | None = None


class EventOut(Schema):
    sequence: int
    type: str
    actor: str
    at: str
    payload: dict[str, Any]


def _picks(lines: list[PickIn] | None) -> list[Pick] | None:
    if lines is None:
        return None
    return [
        Pick(
            item.line - 1,
            quantity=None
            if item.quantity is None
            else parse_price(item.quantity, field=f"lines.{item.line - 1}.quantity", label="数量"),
            amount=None
            if item.amount is None
            else parse_money(item.amount, field=f"lines.{item.line - 1}.amount", label="金额"),
        )
        for item in lines
    ]


# --- invoices -----------------------------------------------------------------------------


@api.get("/invoices", response=InvoicePage, tags=["发票"], summary="查询发票")
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


@api.post(
    "/invoices",
    response={201: InvoiceOut},
    tags=["发票"],
    summary="开具发票",
    description="同一 request_id（或 Idempotency-Key 请求头）重复提交只开一张；内容不同则 409。",
)
def issue(request: HttpRequest, payload: DraftIn) -> Reply:
    me = caller(request)
    me.need(ISSUE)
    data = payload.model_dump(exclude={"channel", "request_id"})
    request_id = payload.request_id or request.headers.get("Idempotency-Key") or None
    invoice = invoice_issue(
        taxpayer=me.taxpayer,
        channel=channel_find(me.taxpayer, payload.channel),
        data=data,
        request_id=request_id,
        actor=me.actor,
    )
    # the busiest call: answered as JSON directly, not validated again field by field
    # (invoice_as_dict gives InvoiceOut's shape; the API tests compare the two)
    return JsonResponse(
        invoice_as_dict(invoice), status=201, json_dumps_params={"ensure_ascii": False}
    )


class PreviewOut(Schema):
    lines: list[dict[str, str]]
    amount: str
    tax: str
    total: str
    total_in_words: str


@api.post("/invoices/preview", response=PreviewOut, tags=["发票"], summary="预览（不开具）")
def preview(request: HttpRequest, payload: DraftIn) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    _, computed = invoice_preview(
        taxpayer=me.taxpayer,
        channel=channel_find(me.taxpayer, payload.channel),
        data=payload.model_dump(exclude={"channel", "request_id"}),
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


@api.get("/invoices/{invoice_id}", response=InvoiceOut, tags=["发票"], summary="发票详情")
def invoice(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    caller(request).need(READ)
    return invoice_as_dict(invoice_of(request, invoice_id))


@api.get(
    "/invoices/{invoice_id}/events", response=list[EventOut], tags=["发票"], summary="发票历史"
)
def invoice_events(request: HttpRequest, invoice_id: int) -> list[dict[str, Any]]:
    caller(request).need(READ)
    found = invoice_of(request, invoice_id)
    return [
        {"sequence": e.sequence, "type": e.type, "actor": e.actor, "at": e.at.isoformat(),
         "payload": e.payload}
        for e in Event.objects.filter(invoice=found).order_by("sequence")
    ]  # fmt: skip


@api.post("/invoices/{invoice_id}/void", response=InvoiceOut, tags=["发票"], summary="作废")
def void(request: HttpRequest, invoice_id: int, payload: VoidIn) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    done = invoice_void(invoice=invoice_of(request, invoice_id), actor=me.actor,
                        reason=payload.reason)  # fmt: skip
    return invoice_as_dict(done, lines=False)


@api.post(
    "/invoices/{invoice_id}/red", response={201: InvoiceOut}, tags=["发票"], summary="开具红字发票"
)
def red(request: HttpRequest, invoice_id: int, payload: RedIn) -> Reply:
    me = caller(request)
    me.need(ISSUE)
    blue = invoice_of(request, invoice_id)
    form = None
    if payload.form:
        form = RedForm.objects.filter(taxpayer=me.taxpayer, number=payload.form).first()
        if form is None:
            raise NotFound("红字信息表/确认单不存在", field="form")
    made = invoice_issue_red(
        blue=blue,
        actor=me.actor,
        reason=payload.reason,
        picks=_picks(payload.lines),
        form=form,
        request_id=payload.request_id or request.headers.get("Idempotency-Key") or None,
    )
    return Reply(201, invoice_as_dict(made))


@api.post(
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


@api.get(
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


@api.post("/invoices/{invoice_id}/deliver", response=DeliverOut, tags=["发票"], summary="交付")
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


# --- red-letter forms ---------------------------------------------------------------------


@api.get("/red-forms", response=list[RedFormOut], tags=["红字"], summary="红字信息表/确认单")
def red_forms(request: HttpRequest) -> list[dict[str, Any]]:
    me = caller(request)
    me.need(READ)
    forms = RedForm.objects.filter(taxpayer=me.taxpayer).select_related("blue").order_by("-pk")
    return [red_form_as_dict(form) for form in forms[:200]]


@api.post("/red-forms", response={201: RedFormOut}, tags=["红字"], summary="提出信息表/确认单")
def red_form_new(request: HttpRequest, payload: RedFormIn) -> Reply:
    me = caller(request)
    me.need(ISSUE)
    form = red_form_create(
        blue=invoice_of(request, payload.blue),
        reason=payload.reason,
        raised_by=payload.raised_by,
        picks=_picks(payload.lines),
        buyer_booked=payload.buyer_booked,
        actor=me.actor,
    )
    return Reply(201, red_form_as_dict(form))


def _form(request: HttpRequest, number: str) -> RedForm:
    found = RedForm.objects.filter(taxpayer=caller(request).taxpayer, number=number).first()
    if found is None:
        raise NotFound("红字信息表/确认单不存在", field="number")
    return found


@api.post("/red-forms/{number}/confirm", response=RedFormOut, tags=["红字"], summary="对方确认")
def red_form_confirm_(request: HttpRequest, number: str, payload: ConfirmIn) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    form = red_form_confirm(form=_form(request, number), party=payload.party,
                            accept=payload.accept, actor=me.actor)  # fmt: skip
    return red_form_as_dict(form)


@api.post("/red-forms/{number}/cancel", response=RedFormOut, tags=["红字"], summary="撤销")
def red_form_cancel_(request: HttpRequest, number: str) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    return red_form_as_dict(red_form_cancel(form=_form(request, number), actor=me.actor))


# --- catalogs and channels ----------------------------------------------------------------


class CatalogItem(Schema):
    id: int | None = None
    data: dict[str, Any]


def _catalog_dict(name: str, item: Any) -> dict[str, Any]:
    book = catalog(name)
    return {
        "id": item.pk,
        "data": {
            column: value if isinstance(value := getattr(item, column), bool) or value is None
            else str(value)
            for column in book.columns
        },
    }  # fmt: skip


def _catalog_name(name: str) -> str:
    if name not in CATALOGS:
        raise NotFound("目录应为 customers 或 products", field="catalog")
    return name


@api.get("/catalogs/{name}", response=list[CatalogItem], tags=["目录"], summary="客户或商品目录")
def catalog_items(request: HttpRequest, name: str) -> list[dict[str, Any]]:
    me = caller(request)
    me.need(READ)
    book = catalog(_catalog_name(name))
    items = book.model.objects.filter(taxpayer=me.taxpayer)  # type: ignore[attr-defined]
    return [_catalog_dict(name, item) for item in items]


@api.post("/catalogs/{name}", response={201: CatalogItem}, tags=["目录"], summary="新增或更新")
def catalog_put(request: HttpRequest, name: str, payload: Body[dict[str, Any]]) -> Reply:
    me = caller(request)
    me.need(ISSUE)
    item = catalog_save(taxpayer=me.taxpayer, name=_catalog_name(name), data=payload,
                        actor=me.actor)  # fmt: skip
    return Reply(201, _catalog_dict(name, item))


@api.delete("/catalogs/{name}/{item_id}", response={204: None}, tags=["目录"], summary="删除")
def catalog_remove(request: HttpRequest, name: str, item_id: int) -> Reply:
    me = caller(request)
    me.need(ISSUE)
    catalog_delete(taxpayer=me.taxpayer, name=_catalog_name(name), pk=item_id, actor=me.actor)
    return Reply(204, None)


@api.get("/channels", response=list[dict[str, Any]], tags=["渠道"], summary="开票渠道与余量")
def channels(request: HttpRequest) -> list[dict[str, Any]]:
    me = caller(request)
    me.need(READ)
    today = local_date(timezone.now())
    return [channel_as_dict(channel, today=today) for channel in me.taxpayer.channels.all()]


@api.get("/me", response=dict[str, Any], tags=["账户"], summary="当前身份")
def me_(request: HttpRequest) -> dict[str, Any]:
    me = caller(request)
    taxpayer = me.taxpayer
    return {
        "actor": me.actor,
        "roles": sorted(role.value for role in me.roles),
        "taxpayer": {"name": taxpayer.name, "tax_id": taxpayer.tax_id, "kind": taxpayer.kind},
    }


class VerifyOut(Schema):
    outcome: str = Field(description="一致 / 不一致 / 查无此票 / 超过查验次数")
    message: str
    field: str | None = Field(None, description="不一致时，不一致的项目")
    status: str | None = Field(None, description="一致时的发票状态：正常 / 作废 / 红冲")
    signature_valid: bool | None = None
    checks_today: int | None = None
    invoice: dict[str, Any] | None = None
    checked_at: str
    signature: str = Field(description="税务机关对本结果的签名")


@api.post(
    "/verify",
    auth=None,
    response={200: VerifyOut, 400: Error, 429: Error, 503: Error},
    tags=["查验"],
    summary="发票查验（公开，无需登录）",
)
def verify(request: HttpRequest, payload: VerifyIn) -> Any:
    try:
        return authority_client().verify(
            payload.dict(), client=str(request.META.get("REMOTE_ADDR", ""))
        )
    except Unreachable:
        body = {"code": "unreachable", "message": "税务机关服务暂时无法连接", "field": None}
        return Reply(503, body)


# --- 申报与清卡 -----------------------------------------------------------------------------------

CLOSE = frozenset({Role.ADMIN, Role.FINANCE})


class PeriodIn(Schema):
    channel: str | None = Field(None, description="设备渠道名称或编号（只有一个设备时可省略）")
    period: str | None = Field(None, description="所属期 YYYY-MM（默认：上一期）")


class DeclareIn(Schema):
    period: str | None = None
    declared_sales: str = Field(description="申报销售额（不含税）")
    input_tax: str = "0"
    explanation: str = ""


class ClearIn(PeriodIn):
    code: str = Field(description="发送给当前登录用户的验证码")
    type: str | None = Field(None, description="月度 / 季度 / 年度 / 特殊（默认按纳税人申报周期）")


def _device_period(request: HttpRequest, payload: PeriodIn) -> tuple[Any, Any]:
    me = caller(request)
    today = local_date(timezone.now())
    channel = channel_find(me.taxpayer, payload.channel, device=True)
    return channel, period_from(me.taxpayer, payload.period, today)


def _session_user(request: HttpRequest) -> Any:
    if not request.user.is_authenticated:
        raise Forbidden("清卡须由登录用户以验证码确认，不能只用API密钥", field=None)
    return request.user


@api.get("/periods/status", response=dict[str, Any], tags=["申报与清卡"], summary="本期状态")
def period_status(request: HttpRequest, payload: Query[PeriodIn]) -> dict[str, Any]:
    caller(request).need(READ)
    channel, period = _device_period(request, payload)
    return state_as_dict(clearing_state(channel, period, today=local_date(timezone.now())))


@api.post("/periods/report", response=dict[str, Any], tags=["申报与清卡"], summary="抄报")
def period_report_(request: HttpRequest, payload: PeriodIn) -> dict[str, Any]:
    me = caller(request)
    me.need(CLOSE)
    channel, period = _device_period(request, payload)
    return dict(period_report(channel=channel, period=period, actor=me.actor).summary)


@api.post("/periods/declare", response=dict[str, Any], tags=["申报与清卡"], summary="申报")
def period_declare_(request: HttpRequest, payload: DeclareIn) -> dict[str, Any]:
    me = caller(request)
    me.need(CLOSE)
    declaration = period_declare(
        taxpayer=me.taxpayer, actor=me.actor,
        period=period_from(me.taxpayer, payload.period, local_date(timezone.now())),
        declared_sales=parse_money(payload.declared_sales, field="declared_sales",
                                   label="申报销售额"),
        input_tax=parse_money(payload.input_tax, field="input_tax", label="进项税额"),
        explanation=payload.explanation,
    )  # fmt: skip
    return dict(declaration.result)


@api.post("/periods/clear/code", response=dict[str, str], tags=["申报与清卡"],
          summary="发送清卡验证码")  # fmt: skip
def period_code(request: HttpRequest) -> dict[str, str]:
    caller(request).need(CLOSE)
    return {"sent_to": confirm_send(_session_user(request), purpose=CONFIRM_PURPOSE)}


@api.post(
    "/periods/clear", response=dict[str, Any], tags=["申报与清卡"], summary="清卡（不可撤销）"
)
def period_clear(request: HttpRequest, payload: ClearIn) -> dict[str, Any]:
    me = caller(request)
    me.need(CLOSE)
    channel, period = _device_period(request, payload)
    clearing = clearing_apply(
        channel=channel, period=period, user=_session_user(request), code=payload.code,
        actor=me.actor, clearing_type=_clearing_type(payload.type),
    )  # fmt: skip
    return clearing_as_dict(clearing)


def _clearing_type(text: str | None) -> ClearingType | None:
    if not text:
        return None
    try:
        return ClearingType(text)
    except ValueError:
        raise DomainError("清卡类型应为月度、季度、年度或特殊", field="type") from None


def _clearing_of(request: HttpRequest, number: str) -> Clearing:
    found = Clearing.objects.filter(taxpayer=caller(request).taxpayer, number=number).first()
    if found is None:
        raise NotFound("清卡申请不存在", field="number")
    return found


@api.get("/periods/clearings/{number}", response=dict[str, Any], tags=["申报与清卡"],
         summary="清卡申请与审核结果")  # fmt: skip
def clearing_get(request: HttpRequest, number: str) -> dict[str, Any]:
    caller(request).need(READ)
    return clearing_as_dict(clearing_refresh(_clearing_of(request, number)))


@api.get("/periods/clearings/{number}/certificate", tags=["申报与清卡"], summary="清卡凭证 PDF",
         response={200: None, 400: Error, 404: Error})  # fmt: skip
def clearing_certificate(request: HttpRequest, number: str) -> HttpResponse:
    caller(request).need(READ)
    response = HttpResponse(certificate_pdf(_clearing_of(request, number)),
                            content_type="application/pdf")  # fmt: skip
    response["Content-Disposition"] = f'attachment; filename="qingka-{number}.pdf"'
    return response
