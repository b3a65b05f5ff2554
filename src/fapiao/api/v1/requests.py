"""开票申请 in the REST API: another system (or a clerk) submits a draft for approval with its
own request id; 管理员 and 财务 approve (which issues it) or reject with a reason; the
taxpayer's rule of which drafts need approval. The same services as the pages and
``fapiao request``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from fapiao.api.v1.common import caller
from fapiao.api.v1.schemas import DraftIn, Error
from fapiao.approvals import selectors
from fapiao.approvals.services import (
    APPROVERS,
    request_approve,
    request_reject,
    request_submit,
    request_withdraw,
    rule_set,
)
from fapiao.core.roles import ISSUE, SETUP
from fapiao.domain.money import parse_money
from fapiao.invoicing.selectors import channel_find

router = Router()
TAGS = ["开票申请"]
#: who sees requests: who submits them and who decides
SEE = ISSUE | frozenset(APPROVERS)


@router.post(
    "/requests",
    response={201: dict[str, Any], 400: Error, 409: Error},
    tags=TAGS,
    summary="提交开票申请（待审批）",
)
def request_post(request: HttpRequest, payload: DraftIn) -> Status[dict[str, Any]]:
    """The draft of ``POST /invoices``; ``request_id`` (or ``Idempotency-Key``) is the caller's
    own id: the same again answers with the first request."""
    me = caller(request)
    me.need(ISSUE)
    made = request_submit(
        taxpayer=me.taxpayer,
        channel=channel_find(me.taxpayer, payload.channel),
        data=payload.model_dump(exclude={"channel", "request_id"}),
        actor=me.actor,
        request_id=payload.request_id or request.headers.get("Idempotency-Key") or None,
    )
    return Status(201, selectors.request_as_dict(made))


@router.get("/requests", response={200: list[dict[str, Any]]}, tags=TAGS, summary="开票申请列表")
def request_list(request: HttpRequest, status: str = "") -> list[dict[str, Any]]:
    """``status``: pending, issued, rejected, withdrawn, or empty for all."""
    me = caller(request)
    me.need(SEE)
    return [
        selectors.request_as_dict(r)
        for r in selectors.requests_of(me.taxpayer, status=status)[:500]
    ]


@router.get(
    "/requests/{request_pk}",
    response={200: dict[str, Any], 404: Error},
    tags=TAGS,
    summary="一个开票申请",
)
def request_show(request: HttpRequest, request_pk: int) -> dict[str, Any]:
    me = caller(request)
    me.need(SEE)
    return selectors.request_as_dict(selectors.request_get(me.taxpayer, request_pk))


class Decision(Schema):
    approve: bool
    reason: str = ""


@router.post(
    "/requests/{request_pk}/decision",
    response={200: dict[str, Any], 400: Error, 404: Error},
    tags=TAGS,
    summary="审批：通过（即开具）或驳回（须填原因）",
)
def request_decide(request: HttpRequest, request_pk: int, body: Decision) -> dict[str, Any]:
    me = caller(request)
    me.need(frozenset(APPROVERS))
    found = selectors.request_get(me.taxpayer, request_pk)
    if body.approve:
        decided = request_approve(request=found, actor=me.actor)
    else:
        decided = request_reject(request=found, reason=body.reason, actor=me.actor)
    return selectors.request_as_dict(decided)


@router.post(
    "/requests/{request_pk}/withdraw",
    response={200: dict[str, Any], 400: Error, 404: Error},
    tags=TAGS,
    summary="撤回（提交人）",
)
def request_withdraw_post(request: HttpRequest, request_pk: int) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    found = selectors.request_get(me.taxpayer, request_pk)
    return selectors.request_as_dict(request_withdraw(request=found, actor=me.actor))


class RuleIn(Schema):
    mode: str
    over: str = ""
    kinds: list[str] = Field(default_factory=list)


@router.get("/approval-rule", response={200: dict[str, Any]}, tags=TAGS, summary="开票审批规则")
def rule_get(request: HttpRequest) -> dict[str, Any]:
    me = caller(request)
    me.need(SEE)
    return selectors.rule_as_dict(me.taxpayer)


@router.post(
    "/approval-rule",
    response={200: dict[str, Any], 400: Error},
    tags=TAGS,
    summary="设置开票审批规则（管理员）",
)
def rule_post(request: HttpRequest, body: RuleIn) -> dict[str, Any]:
    me = caller(request)
    me.need(SETUP)
    over: Decimal | None = (
        parse_money(body.over, field="over", label="审批金额") if body.over else None
    )
    changed = rule_set(
        taxpayer=me.taxpayer, mode=body.mode, over=over, kinds=body.kinds, actor=me.actor
    )
    return selectors.rule_as_dict(changed)
