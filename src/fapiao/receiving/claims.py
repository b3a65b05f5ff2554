"""报销单: a claimant groups received invoices into a claim for one purpose, submits it, and
财务 approves it (its invoices become 已报销) or rejects it with a reason (they are free to be
claimed again). An invoice is in one live claim at most: a second claim of it is refused
naming the first, whoever asks and however many at once (the invoices' rows are locked)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from fapiao.core.roles import Role
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.money import quantize_fen
from fapiao.invoicing.models import Membership, Taxpayer
from fapiao.notices.services import notice_send, notice_send_all
from fapiao.receiving.models import Claim, ClaimStatus, ReceivedInvoice, ReceivedStatus
from fapiao.security.audit import audit_append

#: who decides claims
DECIDERS = (Role.ADMIN, Role.FINANCE)


class ClaimRefused(DomainError):
    code = "claim_refused"


def _audit(type: str, claim: Claim, actor: str, now: datetime, **payload: Any) -> None:
    audit_append(
        type, actor=actor, taxpayer=claim.taxpayer, at=now, payload={"claim": claim.pk, **payload}
    )


@transaction.atomic
def claim_create(
    *,
    taxpayer: Taxpayer,
    claimant: User,
    purpose: str,
    invoice_ids: list[int],
    now: datetime | None = None,
) -> Claim:
    """A draft claim of the invoices; refused for an invoice another live claim holds."""
    now = now or timezone.now()
    purpose = purpose.strip()
    if not purpose:
        raise ClaimRefused("请填写报销事由", field="purpose")
    if not invoice_ids:
        raise ClaimRefused("请选择要报销的发票", field="invoices")
    claim = Claim.objects.create(
        taxpayer=taxpayer, claimant=claimant, purpose=purpose[:200], created_at=now
    )
    _take(claim, invoice_ids)
    _audit("claim.created", claim, claimant.username, now, invoices=sorted(invoice_ids))
    return claim


def _take(claim: Claim, invoice_ids: list[int]) -> None:
    """Put the invoices in ``claim``: each only if no live claim holds it. The invoices' rows
    are locked (in the order of their ids) before they are looked at, so that of two claims at
    once the second sees the first's."""
    ids = sorted(set(invoice_ids))
    rows = list(
        ReceivedInvoice.objects.select_for_update(of=("self",))
        .filter(taxpayer=claim.taxpayer, pk__in=ids)
        .order_by("pk")
    )
    if len(rows) != len(ids):
        raise ClaimRefused("所选发票不存在", field="invoices")
    for row in rows:
        if row.status == ReceivedStatus.MISMATCH:
            raise ClaimRefused(Text("发票{0}查验不符，不能报销", row), field="invoices")
        other = Claim.objects.select_related("claimant").filter(pk=row.claim_id).first()
        if other is not None and other.status != ClaimStatus.REJECTED:
            raise ClaimRefused(
                Text("发票{0}已在报销单{1}中（报销人{2}）", row, other.pk, other.claimant.username),
                field="invoices",
            )
    ReceivedInvoice.objects.filter(pk__in=ids).update(claim=claim)
    total = quantize_fen(sum((row.total or Decimal(0) for row in rows), Decimal(0)))
    Claim.objects.filter(pk=claim.pk).update(amount=total)
    claim.amount = total


def _locked(claim: Claim, *, status: str) -> Claim:
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    if locked.status != status:
        raise ClaimRefused(
            Text("报销单{0}{1}，不能这样处理", locked.pk, ClaimStatus(locked.status).label),
            field="status",
        )
    return locked


@transaction.atomic
def claim_submit(*, claim: Claim, actor: User, now: datetime | None = None) -> Claim:
    """The claimant sends the draft to 财务 (who are told)."""
    now = now or timezone.now()
    locked = _locked(claim, status=ClaimStatus.DRAFT)
    if locked.claimant_id != actor.pk:
        raise ClaimRefused("只有报销人本人可以提交报销单", field="claimant")
    locked.status, locked.submitted_at = ClaimStatus.SUBMITTED, now
    locked.save(update_fields=["status", "submitted_at"])
    _audit("claim.submitted", locked, actor.username, now, amount=str(locked.amount))
    deciders = User.objects.filter(
        memberships__taxpayer=locked.taxpayer, memberships__role__in=DECIDERS
    )
    notice_send_all(
        deciders,
        kind="claim",
        subject=f"报销单{locked.pk}待审批",
        text=f"{actor.username}提交了报销单{locked.pk}（{locked.purpose}），金额{locked.amount}元",
        link=f"/claims/{locked.pk}/",
        taxpayer=locked.taxpayer,
        now=now,
    )
    return locked


def _decide(claim: Claim, *, actor: str, approve: bool, reason: str, now: datetime) -> Claim:
    locked = _locked(claim, status=ClaimStatus.SUBMITTED)
    reason = reason.strip()
    if not approve and not reason:
        raise ClaimRefused("驳回报销单须填写原因", field="reason")
    locked.status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
    locked.decided_by, locked.decided_at, locked.reason = actor, now, reason
    locked.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    invoices = ReceivedInvoice.objects.filter(claim=locked)
    if approve:
        invoices.exclude(status=ReceivedStatus.DEDUCTED).update(status=ReceivedStatus.REIMBURSED)
    _audit("claim.approved" if approve else "claim.rejected", locked, actor, now, reason=reason)
    word = "已批准" if approve else f"被驳回：{reason}"
    notice_send(
        locked.claimant,
        kind="claim",
        subject=f"报销单{locked.pk}{word[:3]}",
        text=f"您的报销单{locked.pk}（{locked.purpose}）{word}",
        link=f"/claims/{locked.pk}/",
        severity="info" if approve else "warning",
        taxpayer=locked.taxpayer,
        now=now,
    )
    return locked


def _may_decide(claim: Claim, actor: User) -> None:
    if not Membership.objects.filter(
        user=actor, taxpayer=claim.taxpayer, role__in=DECIDERS
    ).exists():
        raise ClaimRefused("只有财务或管理员可以审批报销单", field="status")
    if claim.claimant_id == actor.pk:
        raise ClaimRefused("不能审批自己的报销单", field="status")


@transaction.atomic
def claim_approve(
    *, claim: Claim, actor: User, note: str = "", now: datetime | None = None
) -> Claim:
    _may_decide(claim, actor)
    return _decide(
        claim, actor=actor.username, approve=True, reason=note, now=now or timezone.now()
    )


@transaction.atomic
def claim_reject(*, claim: Claim, actor: User, reason: str, now: datetime | None = None) -> Claim:
    _may_decide(claim, actor)
    return _decide(
        claim, actor=actor.username, approve=False, reason=reason, now=now or timezone.now()
    )
