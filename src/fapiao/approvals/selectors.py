"""开票申请's reads, scoped to the taxpayer."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fapiao.approvals.models import IssueRequest
from fapiao.domain.approval import MODE_LABELS, STATUS_LABELS, Mode, RequestStatus
from fapiao.invoicing.models import Taxpayer
from fapiao.invoicing.selectors import NotFound


def requests_of(taxpayer: Taxpayer, *, status: str = "") -> QuerySet[IssueRequest]:
    """The taxpayer's requests (of ``status`` when given), newest first."""
    found = IssueRequest.objects.filter(taxpayer=taxpayer).select_related("invoice", "channel")
    if status:
        found = found.filter(status=status)
    return found.order_by("-submitted_at", "-pk")


def request_get(taxpayer: Taxpayer, pk: int) -> IssueRequest:
    found = requests_of(taxpayer).filter(pk=pk).first()
    if found is None:
        raise NotFound("开票申请不存在", field="id")
    return found


def request_as_dict(request: IssueRequest) -> dict[str, Any]:
    invoice = request.invoice
    return {
        "id": request.pk,
        "request_id": request.request_id,
        "status": request.status,
        "status_label": STATUS_LABELS[RequestStatus(request.status)],
        "channel": request.channel.name,
        "kind": request.kind,
        "buyer": request.buyer_name,
        "amount": f"{request.amount:.2f}",
        "tax": f"{request.tax:.2f}",
        "total": f"{request.total:.2f}",
        "submitted_by": request.submitted_by,
        "submitted_at": request.submitted_at.isoformat(),
        "decided_by": request.decided_by,
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "reason": request.reason,
        "message": request.message,
        "invoice": None
        if invoice is None
        else {"id": invoice.pk, "code": invoice.code, "number": invoice.number},
        "draft": request.data,
    }


def rule_as_dict(taxpayer: Taxpayer) -> dict[str, Any]:
    over = taxpayer.approval_over
    return {
        "mode": taxpayer.approval_mode,
        "mode_label": MODE_LABELS[Mode(taxpayer.approval_mode)],
        "over": None if over is None else f"{over:.2f}",
        "kinds": list(taxpayer.approval_kinds or []),
    }
