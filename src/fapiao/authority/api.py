"""The authority's HTTP API (``/authority/v1``), what :class:`~fapiao.authority.client.HttpClient`
talks to when the authority runs as a separate service.

Uploads, registry listings, stock and credit need the shared ``FAPIAO_AUTHORITY_TOKEN``; with no
token configured they are closed. The key and 查验 are public.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.security import HttpBearer

from fapiao.authority import anchors, checking, grants, keyring, numbers, registry, reviews
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import parse_kind


class TaxpayerSide(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> bool | None:
        expected = settings.FAPIAO_AUTHORITY_TOKEN
        if expected and hmac.compare_digest(token.encode(), expected.encode()):
            return True
        return None


api = NinjaAPI(
    title="Fapiao 税务机关 API",
    version="1",
    urls_namespace="authority-v1",
    description="发票报送、登记查询、发票领用、授信额度与公开查验。",
    docs_url=None,
)


def client_of(request: HttpRequest) -> str:
    """Who asks a 查验: the address, or the one a trusted taxpayer-side proxy names."""
    forwarded = request.headers.get("X-Fapiao-Client", "")
    bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if forwarded and TaxpayerSide().authenticate(request, bearer):
        return forwarded
    return str(request.META.get("REMOTE_ADDR", ""))


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    status = 429 if isinstance(error, checking.TooManyMisses) else 400
    return api.create_response(request, error.as_dict(), status=status)


class UploadBatch(Schema):
    tax_id: str
    name: str
    uploads: list[dict[str, Any]]


class StockRequest(Schema):
    tax_id: str
    name: str
    region: str
    device_number: str
    kind: str
    count: int


@api.post("/uploads", auth=TaxpayerSide())
def uploads(request: HttpRequest, batch: UploadBatch) -> dict[str, Any]:
    return registry.receive_signed(tax_id=batch.tax_id, name=batch.name, uploads=batch.uploads)


class AnchorBatch(Schema):
    tax_id: str
    name: str
    heads: list[dict[str, Any]]


@api.post("/anchors", auth=TaxpayerSide())
def anchor(request: HttpRequest, batch: AnchorBatch) -> dict[str, Any]:
    return anchors.anchors_receive(tax_id=batch.tax_id, name=batch.name, heads=batch.heads)


@api.get("/anchors", auth=TaxpayerSide())
def anchors_kept(request: HttpRequest, tax_id: str, chain: str, after: int = 0) -> Any:
    return anchors.anchors_list(tax_id=tax_id, chain=chain, after=after)


@api.get("/records", auth=TaxpayerSide())
def records(
    request: HttpRequest, tax_id: str, after: int = 0, limit: int = 1000, content: bool = False
) -> Any:
    return registry.records(tax_id=tax_id, after=after, limit=min(max(limit, 1), 5000),
                            content=content)  # fmt: skip


@api.post("/stock", auth=TaxpayerSide())
def stock(request: HttpRequest, body: StockRequest) -> dict[str, Any]:
    grant = grants.grant_stock(
        tax_id=body.tax_id, name=body.name, region=body.region,
        device_number=body.device_number, kind=parse_kind(body.kind), count=body.count,
    )  # fmt: skip
    return {"code": grant.code, "first": grant.first, "last": grant.last, "grant": grant.pk}


class DigitalNumbersRequest(Schema):
    tax_id: str = Field(max_length=20)
    name: str = Field(max_length=100)
    region: str = Field(max_length=4)
    channel_digit: str = Field(max_length=1)
    year: int = Field(ge=2000, le=2099)
    count: int = Field(ge=1, le=numbers.BLOCK_MAX)


class ConfirmationNumberRequest(Schema):
    tax_id: str = Field(max_length=20)
    name: str = Field(max_length=100)
    region: str = Field(max_length=4)
    year: int = Field(ge=2000, le=2099)


@api.post("/digital-numbers", auth=TaxpayerSide())
def digital_numbers(request: HttpRequest, body: DigitalNumbersRequest) -> dict[str, Any]:
    grant = numbers.digital_numbers_grant(**body.dict())
    return {"prefix": grant.prefix, "first": grant.first, "last": grant.last, "grant": grant.pk}


@api.post("/confirmation-numbers", auth=TaxpayerSide())
def confirmation_numbers(request: HttpRequest, body: ConfirmationNumberRequest) -> dict[str, Any]:
    return {"number": numbers.confirmation_number_grant(**body.dict())}


@api.get("/credit", auth=TaxpayerSide())
def credit(request: HttpRequest, tax_id: str) -> dict[str, Any]:
    value = grants.credit_of(tax_id)
    return {"monthly_credit": None if value is None else str(value)}


class Filing(Schema):
    tax_id: str
    name: str
    device_number: str
    period_start: str
    period_end: str
    summary: dict[str, Any]


class Application(Schema):
    tax_id: str
    name: str
    number: str
    device_number: str
    period_start: str
    period_end: str
    type: str
    summary: dict[str, Any]
    declaration: dict[str, Any]


@api.post("/filings", auth=TaxpayerSide())
def filings(request: HttpRequest, body: Filing) -> dict[str, Any]:
    return reviews.file_period(**body.dict())


@api.post("/clearings", auth=TaxpayerSide())
def clearings(request: HttpRequest, body: Application) -> dict[str, Any]:
    return reviews.clearing_submit(**body.dict())


@api.get("/clearings/{number}", auth=TaxpayerSide())
def clearing(request: HttpRequest, number: str) -> dict[str, Any]:
    return reviews.clearing_status(number)


@api.get("/key")
def key(request: HttpRequest) -> dict[str, str]:
    return keyring.public_key()


class VerifyIn(Schema):
    code: str = Field("", description="发票代码（数电发票不填）")
    number: str = Field("", description="发票号码")
    issued_on: str = Field("", description="开票日期 YYYY-MM-DD")
    amount: str | None = Field(None, description="不含税金额（专票）")
    check6: str | None = Field(None, description="校验码后6位（普票）")
    total: str | None = Field(None, description="价税合计（数电）")
    qr: str | None = Field(None, description="二维码内容（代替以上各项）")


@api.post("/verify")
def verify(request: HttpRequest, inputs: VerifyIn) -> dict[str, Any]:
    return checking.verify_inputs(inputs.dict(), client=client_of(request))
