"""The API's request and answer shapes (pydantic and ninja schemas)."""

from __future__ import annotations

from datetime import date
from typing import Any

from ninja import Field, Schema
from pydantic import BaseModel

from fapiao.documents.delivery import LINK_DAYS_MAX
from fapiao.domain.lifecycle import RedReason, Status
from fapiao.invoicing.errors import REQUEST_ID_MAX

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


class PreviewOut(Schema):
    lines: list[dict[str, str]]
    amount: str
    tax: str
    total: str
    total_in_words: str


class CatalogItem(Schema):
    id: int | None = None
    data: dict[str, Any]


class VerifyOut(Schema):
    outcome: str = Field(
        description="一致 / 不一致 / 查无此票 / 超过查验次数 / 已开具未上传（本系统开具、尚未上传）"
    )
    message: str
    field: str | None = Field(None, description="不一致时，不一致的项目")
    status: str | None = Field(None, description="一致时的发票状态：正常 / 作废 / 红冲")
    signature_valid: bool | None = None
    checks_today: int | None = None
    invoice: dict[str, Any] | None = None
    checked_at: str
    signature: str | None = Field(description="税务机关对本结果的签名（已开具未上传时无）")


class PeriodIn(Schema):
    channel: str | None = Field(None, description="设备渠道名称或编号（只有一个设备时可省略）")
    period: str | None = Field(None, description="所属期 YYYY-MM（默认：上一期）")


class DeclareIn(Schema):
    period: str | None = None
    declared_sales: str = Field(description="申报销售额（不含税）")
    input_tax: str | None = Field(None, description="进项税额（默认：本期勾选抵扣的税额）")
    explanation: str = ""


class ClearIn(PeriodIn):
    code: str = Field(description="发送给当前登录用户的验证码")
    otp: str = Field("", description="已启用两步验证的用户：身份验证器中的动态口令")
    type: str | None = Field(None, description="月度 / 季度 / 年度 / 特殊（默认按纳税人申报周期）")


class Error(Schema):
    code: str
    message: str
    field: str | None = None
