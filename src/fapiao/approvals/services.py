"""开票申请's writes: the taxpayer's approval rule, a draft submitted as a request (by a clerk
on the issuing page, or by another system through the API with its own request id), its
approval (which issues it) or rejection with a reason, its withdrawal. Each is an event on the
taxpayer's history, beside the invoice's own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from fapiao.approvals.models import IssueRequest
from fapiao.core.roles import Role
from fapiao.core.signing import digest
from fapiao.domain import approval
from fapiao.domain.approval import RequestStatus
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.kinds import KINDS
from fapiao.invoicing.accounts import members_with
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.errors import REQUEST_ID_MAX, BadRequestId, IdempotencyConflict
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Channel, Taxpayer
from fapiao.invoicing.services import invoice_issue, invoice_preview
from fapiao.notices.services import notice_send, notice_send_all

#: who decides on requests
APPROVERS = (Role.ADMIN, Role.FINANCE)


class RequestRefused(DomainError):
    code = "request_refused"


def rule_set(
    *, taxpayer: Taxpayer, mode: str, over: Decimal | None, kinds: list[str], actor: str
) -> Taxpayer:
    """Set which drafts need approval; the change is on the history with before and after."""
    approval.check_rule(mode, over, kinds, [kind.value for kind in KINDS])
    with transaction.atomic():
        locked = taxpayer_lock(taxpayer.pk)
        before = _rule_of(locked)
        locked.approval_mode = mode
        locked.approval_over = over if mode == approval.Mode.OVER else None
        locked.approval_kinds = sorted(set(kinds))
        locked.save(update_fields=["approval_mode", "approval_over", "approval_kinds"])
        after = _rule_of(locked)
        event_append(
            taxpayer=locked,
            type="approval.rule_changed",
            actor=actor,
            at=timezone.now(),
            payload={name: {"before": before[name], "after": after[name]} for name in after},
        )
    return locked


def _rule_of(taxpayer: Taxpayer) -> dict[str, Any]:
    over = taxpayer.approval_over
    return {
        "mode": taxpayer.approval_mode,
        "over": None if over is None else f"{over:.2f}",
        "kinds": list(taxpayer.approval_kinds or []),
    }


def needs_approval(taxpayer: Taxpayer, channel: Channel, data: dict[str, Any]) -> bool:
    """Whether issuing ``data`` waits for an approver under the taxpayer's rule (the draft is
    checked first: a draft that would be refused is refused now)."""
    if taxpayer.approval_mode == approval.Mode.OFF and not taxpayer.approval_kinds:
        return False
    draft, computed = invoice_preview(taxpayer=taxpayer, channel=channel, draft=parse_draft(data))
    return approval.needs_approval(
        mode=taxpayer.approval_mode,
        over=taxpayer.approval_over,
        kinds=taxpayer.approval_kinds or [],
        kind=draft.kind,
        total=computed.totals.amount + computed.totals.tax,
    )


def request_submit(
    *,
    taxpayer: Taxpayer,
    channel: Channel,
    data: dict[str, Any],
    request_id: str | None,
    actor: str,
) -> IssueRequest:
    """Submit a draft for approval: checked by the rules of the single issue (a refused draft
    is refused now), kept pending, the approvers told. The same ``request_id`` again answers
    with the first request; with other content it is refused."""
    if channel.taxpayer_id != taxpayer.pk:
        raise RequestRefused("开票渠道不属于该纳税人", field="channel")
    draft_input = parse_draft(data)
    draft, computed = invoice_preview(taxpayer=taxpayer, channel=channel, draft=draft_input)
    content = digest({"channel": channel.pk, "data": data})
    now = timezone.now()
    if request_id is not None and not 1 <= len(request_id) <= REQUEST_ID_MAX:
        raise BadRequestId(
            Text("请求号（request_id）应为1至{0}个字符", REQUEST_ID_MAX), field="request_id"
        )
    if request_id and (known := _known(taxpayer, request_id, content)):
        return known
    try:
        with transaction.atomic():
            locked = taxpayer_lock(taxpayer.pk)
            made = IssueRequest.objects.create(
                taxpayer=locked,
                channel=channel,
                request_id=request_id or "",
                content_hash=content,
                data=data,
                kind=draft.kind,
                buyer_name=draft.buyer.name,
                amount=computed.totals.amount,
                tax=computed.totals.tax,
                total=computed.totals.amount + computed.totals.tax,
                submitted_by=actor,
                submitted_at=now,
            )
            if not request_id:
                made.request_id = f"req-{made.pk}"
                made.save(update_fields=["request_id"])
            event_append(
                taxpayer=locked,
                type="request.submitted",
                actor=actor,
                at=now,
                payload={
                    "request": made.pk,
                    "request_id": made.request_id,
                    "total": f"{made.total:.2f}",
                    "buyer": made.buyer_name,
                },
            )
            notice_send_all(
                members_with(locked, APPROVERS),
                kind="request",
                taxpayer=locked,
                subject=f"开票申请待审批：{made.buyer_name} {made.total:.2f}元",
                text=f"{actor}提交了开票申请（{made.request_id}），价税合计{made.total:.2f}元。",
                link=f"/requests/{made.pk}/",
            )
    except IntegrityError:  # the same id, submitted at the same moment
        if request_id and (known := _known(taxpayer, request_id, content)):
            return known
        raise
    return made


def _known(taxpayer: Taxpayer, request_id: str, content: str) -> IssueRequest | None:
    known = IssueRequest.objects.filter(taxpayer=taxpayer, request_id=request_id).first()
    if known is not None and known.content_hash != content:
        raise IdempotencyConflict("该请求号已用于内容不同的开票申请", field="request_id")
    return known


def _decidable(request: IssueRequest) -> tuple[IssueRequest, Taxpayer]:
    locked = taxpayer_lock(request.taxpayer_id)
    fresh = IssueRequest.objects.select_for_update().get(pk=request.pk)
    if fresh.status != RequestStatus.PENDING:
        label = approval.STATUS_LABELS[RequestStatus(fresh.status)]
        raise RequestRefused(Text("该申请状态为“{0}”，不能再处理", label), field="status")
    return fresh, locked


def request_approve(*, request: IssueRequest, actor: str) -> IssueRequest:
    """Approve and issue: the invoice is issued with the request's own id (``approval-<id>``),
    so approving twice (two approvers at once) issues once. Refused by issuing (stock used up,
    say), the request stays pending with the reason."""
    try:
        with transaction.atomic():
            fresh, locked = _decidable(request)
            invoice = invoice_issue(
                taxpayer=locked,
                channel=fresh.channel,
                draft=parse_draft(fresh.data),
                request_id=f"approval-{fresh.pk}",
                actor=actor,
            )
            fresh.status, fresh.invoice, fresh.message = RequestStatus.ISSUED, invoice, ""
            fresh.decided_by, fresh.decided_at = actor, timezone.now()
            fresh.save(update_fields=["status", "invoice", "message", "decided_by", "decided_at"])
            event_append(
                taxpayer=taxpayer_lock(locked.pk),
                type="request.approved",
                actor=actor,
                at=fresh.decided_at,
                invoice=invoice,
                payload={
                    "request": fresh.pk,
                    "request_id": fresh.request_id,
                    "number": str(invoice),
                },
            )
            _tell(fresh, f"开票申请已通过：{fresh.buyer_name}", f"已开具发票{invoice}。")
    except RequestRefused:
        raise
    except DomainError as refused:
        IssueRequest.objects.filter(pk=request.pk).update(message=refused.message)
        raise
    return fresh


def request_reject(*, request: IssueRequest, reason: str, actor: str) -> IssueRequest:
    """Reject with a reason (required); the submitter is told."""
    text = approval.check_reason(reason)
    with transaction.atomic():
        fresh, locked = _decidable(request)
        fresh.status, fresh.reason = RequestStatus.REJECTED, text
        fresh.decided_by, fresh.decided_at = actor, timezone.now()
        fresh.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        event_append(
            taxpayer=locked,
            type="request.rejected",
            actor=actor,
            at=fresh.decided_at,
            payload={"request": fresh.pk, "request_id": fresh.request_id, "reason": text},
        )
        _tell(fresh, f"开票申请被驳回：{fresh.buyer_name}", f"驳回原因：{text}")
    return fresh


def request_withdraw(*, request: IssueRequest, actor: str) -> IssueRequest:
    """The submitter takes back a request still pending."""
    with transaction.atomic():
        fresh, locked = _decidable(request)
        if fresh.submitted_by != actor:
            raise RequestRefused("只有提交人可以撤回开票申请", field="status")
        fresh.status, fresh.decided_by, fresh.decided_at = (
            RequestStatus.WITHDRAWN,
            actor,
            timezone.now(),
        )
        fresh.save(update_fields=["status", "decided_by", "decided_at"])
        event_append(
            taxpayer=locked,
            type="request.withdrawn",
            actor=actor,
            at=fresh.decided_at,
            payload={"request": fresh.pk, "request_id": fresh.request_id},
        )
    return fresh


def _tell(request: IssueRequest, subject: str, text: str) -> None:
    for user in get_user_model().objects.filter(username=request.submitted_by, is_active=True):
        notice_send(
            user,
            kind="request",
            subject=subject,
            text=text,
            link=f"/requests/{request.pk}/",
            taxpayer=request.taxpayer,
        )
