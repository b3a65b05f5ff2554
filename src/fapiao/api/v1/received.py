"""进项与报销 in the REST API: received invoices uploaded (any format, several at once), listed,
read, 查验 and corrected; 报销单 made, submitted and decided (a person's session: a claim is
someone's); approved claims as voucher lines; 勾选抵扣. The same services as the pages and
``fapiao receive`` / ``claim`` / ``deduct``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from fapiao.api.v1.common import caller
from fapiao.api.v1.schemas import Error
from fapiao.core.caller import Caller, Forbidden
from fapiao.core.roles import ACCOUNT, RECEIVE
from fapiao.documents.readers import file_size_check
from fapiao.domain.errors import DomainError, Text
from fapiao.receiving import selectors
from fapiao.receiving.claims import claim_approve, claim_create, claim_reject, claim_submit
from fapiao.receiving.deduction import deducted_tax, deduction_select, deduction_undo
from fapiao.receiving.later import receive_later
from fapiao.receiving.models import Claim, ReceivedInvoice
from fapiao.receiving.services import (
    ReceiveRefused,
    received_as_dict,
    received_correct,
    received_verify,
)

router = Router()
TAGS = ["进项与报销"]
#: an id as the database keeps it
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]
#: files in one upload
MAX_FILES = 50


def _mine(me: Caller, row: ReceivedInvoice) -> ReceivedInvoice:
    """A claimant reads only what they received; 财务 and 管理员 everything."""
    if not me.roles & ACCOUNT and row.received_by != me.actor:
        raise Forbidden("只能查看本人收取的进项发票", field=None)
    return row


def _person(request: HttpRequest) -> User:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise Forbidden("报销单须由本人登录后办理（API密钥不能代替本人）", field=None)
    return user


@router.post(
    "/received", response={201: dict[str, Any], 400: Error}, tags=TAGS, summary="上传进项发票"
)
def received_post(request: HttpRequest, files: File[list[UploadedFile]]) -> Status[dict[str, Any]]:
    """PDF, OFD, XML, pictures, QR text or ZIP, up to 50 files; each invoice read and kept
    once (``new``), or found already received (``known``); unreadable files in ``refused``;
    pictures and scans (OCR) in ``waiting``: the worker reads them and tells the uploader."""
    me = caller(request)
    me.need(RECEIVE)
    if len(files) > MAX_FILES:
        raise ReceiveRefused(Text("一次最多上传{0}个文件", MAX_FILES), field="files")
    read = []
    for upload in files:
        file_size_check(upload.name or "file", upload.size or 0)
        read.append((upload.name or "file", upload.read()))
    done, waiting = receive_later(taxpayer=me.taxpayer, files=read, actor=me.actor, via="api")
    waits = [{"id": pending.pk, "file": pending.name} for pending in waiting]
    return Status(201, {**done.as_dict(), "waiting": waits})


@router.get("/received", response={200: list[dict[str, Any]]}, tags=TAGS, summary="进项发票列表")
def received_list(request: HttpRequest, status: str = "", q: str = "") -> list[dict[str, Any]]:
    me = caller(request)
    me.need(RECEIVE)
    found = selectors.received_of(me.taxpayer, status=status, q=q)
    if not me.roles & ACCOUNT:
        found = found.filter(received_by=me.actor)
    return [received_as_dict(row) for row in found[:500]]


@router.get(
    "/received/{received_id}",
    response={200: dict[str, Any], 403: Error, 404: Error},
    tags=TAGS,
    summary="一张进项发票（识别的各字段、来源、置信度与警告）",
)
def received_show(request: HttpRequest, received_id: int) -> dict[str, Any]:
    me = caller(request)
    me.need(RECEIVE)
    row = _mine(me, selectors.received_get(me.taxpayer, received_id))
    return {**received_as_dict(row), "reading": row.reading, "verify": row.verify_answer}


@router.post(
    "/received/{received_id}/verify",
    response={200: dict[str, Any], 403: Error, 404: Error},
    tags=TAGS,
    summary="查验一张进项发票",
)
def received_verify_post(request: HttpRequest, received_id: int) -> dict[str, Any]:
    me = caller(request)
    me.need(RECEIVE)
    row = _mine(me, selectors.received_get(me.taxpayer, received_id))
    return received_as_dict(received_verify(invoice=row, actor=me.actor))


class CorrectIn(Schema):
    values: dict[str, str]


@router.post(
    "/received/{received_id}/correct",
    response={200: dict[str, Any], 400: Error, 403: Error, 404: Error},
    tags=TAGS,
    summary="更正识别有误的字段（记录更正人与时间）",
)
def received_correct_post(
    request: HttpRequest, received_id: int, body: CorrectIn
) -> dict[str, Any]:
    me = caller(request)
    me.need(RECEIVE)
    row = _mine(me, selectors.received_get(me.taxpayer, received_id))
    return received_as_dict(received_correct(invoice=row, values=body.values, actor=me.actor))


class ClaimIn(Schema):
    purpose: str
    invoices: list[RowId] = Field(max_length=500)


class DecideIn(Schema):
    reason: str = ""


@router.get("/claims", response={200: list[dict[str, Any]]}, tags=TAGS, summary="报销单列表")
def claims_list(request: HttpRequest, status: str = "") -> list[dict[str, Any]]:
    me = caller(request)
    me.need(RECEIVE)
    mine = None if me.roles & ACCOUNT else _person(request)
    found = selectors.claims_of(me.taxpayer, claimant=mine, status=status)
    return [selectors.claim_as_dict(c) for c in found[:500]]


def _claim(request: HttpRequest, claim_id: int) -> tuple[Caller, Claim]:
    me = caller(request)
    me.need(RECEIVE)
    claim = selectors.claim_get(me.taxpayer, claim_id)
    if not me.roles & ACCOUNT and claim.claimant_id != _person(request).pk:
        raise Forbidden("只能查看本人的报销单", field=None)
    return me, claim


@router.post(
    "/claims",
    response={201: dict[str, Any], 400: Error, 403: Error},
    tags=TAGS,
    summary="新建报销单",
)
def claim_post(request: HttpRequest, body: ClaimIn) -> Status[dict[str, Any]]:
    me = caller(request)
    me.need(RECEIVE)
    claim = claim_create(
        taxpayer=me.taxpayer,
        claimant=_person(request),
        purpose=body.purpose,
        invoice_ids=body.invoices,
    )
    return Status(201, selectors.claim_as_dict(claim))


@router.get(
    "/claims/{claim_id}",
    response={200: dict[str, Any], 403: Error, 404: Error},
    tags=TAGS,
    summary="一张报销单",
)
def claim_show(request: HttpRequest, claim_id: int) -> dict[str, Any]:
    return selectors.claim_as_dict(_claim(request, claim_id)[1])


@router.post(
    "/claims/{claim_id}/{action}",
    response={200: dict[str, Any], 400: Error, 403: Error, 404: Error},
    tags=TAGS,
    summary="提交（submit）、批准（approve）或驳回（reject，须填原因）报销单",
)
def claim_action(
    request: HttpRequest, claim_id: int, action: str, body: DecideIn
) -> dict[str, Any]:
    _, claim = _claim(request, claim_id)
    person = _person(request)
    if action == "submit":
        claim = claim_submit(claim=claim, actor=person)
    elif action == "approve":
        claim = claim_approve(claim=claim, actor=person, note=body.reason)
    elif action == "reject":
        claim = claim_reject(claim=claim, actor=person, reason=body.reason)
    else:
        raise DomainError("操作应为submit、approve或reject", field="action")
    return selectors.claim_as_dict(claim)


@router.get("/claims-vouchers.csv", tags=TAGS, summary="已批准报销单的记账凭证（CSV）")
def vouchers(request: HttpRequest) -> HttpResponse:
    me = caller(request)
    me.need(ACCOUNT)
    response = HttpResponse(selectors.vouchers_csv(me.taxpayer), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="vouchers.csv"'
    return response


class DeductIn(Schema):
    period: date
    invoices: list[RowId] = Field(max_length=1000)
    undo: bool = False


@router.post(
    "/deductions",
    response={200: dict[str, Any], 400: Error, 403: Error},
    tags=TAGS,
    summary="勾选抵扣（或撤销勾选）进项专票",
)
def deductions(request: HttpRequest, body: DeductIn) -> dict[str, Any]:
    me = caller(request)
    me.need(ACCOUNT)
    if body.undo:
        deduction_undo(taxpayer=me.taxpayer, invoice_ids=body.invoices, actor=me.actor)
    else:
        deduction_select(
            taxpayer=me.taxpayer,
            period_start=body.period,
            invoice_ids=body.invoices,
            actor=me.actor,
        )
    month = body.period.replace(day=1)
    return {"period": f"{month:%Y-%m}", "input_tax": str(deducted_tax(me.taxpayer, month))}
