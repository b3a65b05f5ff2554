"""进项与报销's pages: received invoices (upload many files at once, the list with its filters,
one invoice with each field's source and confidence, its warnings, corrections and 查验),
报销单 (a claimant's, and 财务's decisions), 勾选抵扣 of a period."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from fapiao.core.roles import ACCOUNT, RECEIVE
from fapiao.domain.errors import DomainError
from fapiao.domain.reading import LABELS
from fapiao.invoicing.selectors import NotFound
from fapiao.receiving import selectors
from fapiao.receiving.claims import claim_approve, claim_create, claim_reject, claim_submit
from fapiao.receiving.deduction import SPECIAL, deducted_tax, deduction_select, deduction_undo
from fapiao.receiving.later import receive_later
from fapiao.receiving.models import (
    ClaimStatus,
    PendingFile,
    PendingStatus,
    ReceivedInvoice,
    ReceivedStatus,
)
from fapiao.receiving.services import CORRECTABLE, received_correct, received_verify
from fapiao.web.context import page
from fapiao.web.settings_views import flash_of, told_then

#: files in one upload (the page sends them one by one, each within the size limit)
MAX_FILES = 50
#: a field read with less confidence than this is marked for the clerk to look at
DOUBTFUL = 0.5


def _ids(request: HttpRequest) -> list[int]:
    """The invoices ticked (ids the database can hold; anything else is no invoice)."""
    return [int(v) for v in request.POST.getlist("invoices") if v.isdigit() and 0 < int(v) < 2**63]


def _accounting(request: HttpRequest) -> bool:
    return bool(request.caller.roles & ACCOUNT)  # type: ignore[attr-defined]


def _visible(request: HttpRequest) -> Any:
    me = request.caller  # type: ignore[attr-defined]
    found = selectors.received_of(
        me.taxpayer, status=request.GET.get("status", ""), q=request.GET.get("q", "").strip()
    )
    return found if _accounting(request) else found.filter(received_by=me.actor)


@page(*RECEIVE)
def received(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    done = None
    error: DomainError | None = None
    if request.method == "POST":
        uploads = request.FILES.getlist("files")
        if not uploads:
            error = DomainError("请选择要上传的发票文件", field="files")
        elif len(uploads) > MAX_FILES:
            error = DomainError("一次最多上传50个文件", field="files")
        else:
            files = [(upload.name or "file", upload.read()) for upload in uploads]
            done, _waiting = receive_later(
                taxpayer=me.taxpayer, files=files, actor=me.actor, via="upload"
            )
    return render(
        request,
        "receiving/list.html",
        {
            "rows": _visible(request)[:300],
            "waiting": _waiting_files(request),
            "statuses": ReceivedStatus.choices,
            "status": request.GET.get("status", ""),
            "q": request.GET.get("q", ""),
            "done": done,
            "error": error,
            "message": flash_of(request),
        },
    )


def _waiting_files(request: HttpRequest) -> Any:
    """The uploads still read by OCR, and those that failed in the last day."""
    me = request.caller  # type: ignore[attr-defined]
    since = timezone.now() - timedelta(days=1)
    found = PendingFile.objects.filter(taxpayer=me.taxpayer).exclude(status=PendingStatus.DONE)
    found = found.filter(received_at__gte=since).order_by("-received_at")
    if not _accounting(request):
        found = found.filter(received_by=me.actor)
    return found.defer("content")[:50]


def _row(request: HttpRequest, received_id: int) -> ReceivedInvoice:
    me = request.caller  # type: ignore[attr-defined]
    try:
        row = selectors.received_get(me.taxpayer, received_id)
    except NotFound:
        raise Http404 from None
    if not _accounting(request) and row.received_by != me.actor:
        raise Http404
    return row


@page(*RECEIVE)
def received_detail(request: HttpRequest, received_id: int) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    row = _row(request, received_id)
    error: DomainError | None = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "verify":
                row = received_verify(invoice=row, actor=me.actor)
                return told_then(request, f"/received/{row.pk}/", _("查验完成"))
            values = {name: request.POST[name] for name in CORRECTABLE if name in request.POST}
            received_correct(invoice=row, values=values, actor=me.actor)
            return told_then(request, f"/received/{row.pk}/", _("已保存更正"))
        except DomainError as refused:
            error = refused
    reading = row.reading
    fields = [
        {
            "name": name,
            "label": label,
            "value": request.POST.get(name) if error else _shown(row, name),
            "source": reading.get("sources", {}).get(name, ""),
            "confidence": (confidence := reading.get("confidence", {}).get(name)),
            "doubtful": confidence is not None and confidence < DOUBTFUL,
        }
        for name, label in LABELS.items()
        if name in CORRECTABLE
    ]
    return render(
        request,
        "receiving/detail.html",
        {
            "row": row,
            "fields": fields,
            "warnings": reading.get("warnings", []),
            "files": row.files.order_by("pk"),
            "corrections": row.corrections.order_by("-at"),
            "error": error,
            "message": flash_of(request),
        },
    )


def _shown(row: ReceivedInvoice, name: str) -> str:
    value = getattr(row, CORRECTABLE[name])
    return "" if value is None else value.isoformat() if isinstance(value, date) else str(value)


@page(*RECEIVE)
def claims(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    error: DomainError | None = None
    if request.method == "POST":
        try:
            ids = _ids(request)
            claim = claim_create(
                taxpayer=me.taxpayer,
                claimant=request.user,
                purpose=request.POST.get("purpose", ""),
                invoice_ids=ids,
            )
            return told_then(request, f"/claims/{claim.pk}/", _("报销单已保存，请提交审批"))
        except DomainError as refused:
            error = refused
    mine = None if _accounting(request) else request.user
    free = _visible(request).filter(claim__isnull=True).exclude(status=ReceivedStatus.MISMATCH)
    return render(
        request,
        "receiving/claims.html",
        {
            "claims": selectors.claims_of(me.taxpayer, claimant=mine)[:300],
            "free": free.filter(received_by=me.actor)[:200],
            "error": error,
            "posted": request.POST,
            "message": flash_of(request),
        },
    )


@page(*RECEIVE)
def claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    try:
        claim = selectors.claim_get(me.taxpayer, claim_id)
    except NotFound:
        raise Http404 from None
    if not _accounting(request) and claim.claimant_id != request.user.pk:
        raise Http404
    error: DomainError | None = None
    if request.method == "POST":
        action = request.POST.get("action")
        reason = request.POST.get("reason", "")
        try:
            if action == "submit":
                claim_submit(claim=claim, actor=request.user)  # type: ignore[arg-type]
            elif action == "approve":
                claim_approve(claim=claim, actor=request.user, note=reason)  # type: ignore[arg-type]
            elif action == "reject":
                claim_reject(claim=claim, actor=request.user, reason=reason)  # type: ignore[arg-type]
            else:
                raise DomainError("未知的操作", field="action")
            return told_then(request, f"/claims/{claim.pk}/", _("报销单已更新"))
        except DomainError as refused:
            error = refused
    return render(
        request,
        "receiving/claim.html",
        {
            "claim": claim,
            "invoices": claim.invoices.order_by("pk"),
            "may_submit": claim.status == ClaimStatus.DRAFT
            and claim.claimant_id == request.user.pk,
            "may_decide": claim.status == ClaimStatus.SUBMITTED
            and _accounting(request)
            and claim.claimant_id != request.user.pk,
            "error": error,
            "message": flash_of(request),
        },
    )


def _month(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-")[:2])
        return date(year, month, 1)
    except ValueError:
        raise DomainError("所属期应为YYYY-MM", field="period") from None


@page(*ACCOUNT)
def deductions(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    error: DomainError | None = None
    today = timezone.localdate()
    chosen = request.GET.get("period") or request.POST.get("period") or f"{today:%Y-%m}"
    try:
        month = _month(chosen)
    except DomainError as refused:
        error, month = refused, today.replace(day=1)
    if request.method == "POST" and error is None:
        ids = _ids(request)
        try:
            if request.POST.get("action") == "undo":
                deduction_undo(taxpayer=me.taxpayer, invoice_ids=ids, actor=me.actor)
            else:
                deduction_select(
                    taxpayer=me.taxpayer, period_start=month, invoice_ids=ids, actor=me.actor
                )
            return told_then(request, f"/deductions/?period={month:%Y-%m}", _("勾选已保存"))
        except DomainError as refused:
            error = refused
    specials = ReceivedInvoice.objects.filter(taxpayer=me.taxpayer, kind__in=SPECIAL)
    return render(
        request,
        "receiving/deductions.html",
        {
            "period": f"{month:%Y-%m}",
            "selected": specials.filter(deducted_period=month).order_by("pk"),
            "open": specials.filter(deducted_period__isnull=True, not_ours=False)
            .exclude(status=ReceivedStatus.MISMATCH)
            .order_by("issued_on", "pk")[:300],
            "total": deducted_tax(me.taxpayer, month),
            "error": error,
            "message": flash_of(request),
        },
    )
