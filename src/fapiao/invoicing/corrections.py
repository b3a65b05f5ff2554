"""What happens to an invoice after it is issued: print and delivery marks, and void (DOMAIN
§6), with what the red-letter modules share (``red_lines``, ``red_forms``, ``red_invoices``).
Each service is one transaction under the taxpayer's lock with its event; a refusal raises
before anything is written.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from fapiao.core.clock import local_date
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import InvoiceKind
from fapiao.domain.lifecycle import Action, Status, check_void, next_status
from fapiao.invoicing import statements
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Invoice, RedForm, RedFormStatus, Taxpayer
from fapiao.invoicing.uploads import upload_enqueue

#: A 数电 确认单 the other party must confirm lapses when unconfirmed this long (DOMAIN §6).
CONFIRMATION_WINDOW = timedelta(hours=72)
OPEN_FORMS = (RedFormStatus.PENDING, RedFormStatus.CONFIRMED)


class CorrectionRefused(DomainError):
    code = "correction_refused"


UNREACHABLE_MESSAGE = "暂时无法连接税务机关，确认单未能提交，请稍后再试"
LAPSED_MESSAGE = "确认单超过72小时未确认，已自动作废"


SELLER, BUYER = "seller", "buyer"
PARTY_LABELS = {SELLER: "销售方", BUYER: "购买方"}


def fresh(invoice: Invoice) -> tuple[Taxpayer, Invoice]:
    """The taxpayer locked and the invoice as stored now."""
    locked = taxpayer_lock(invoice.taxpayer_id)
    return locked, Invoice.objects.select_related("channel").get(pk=invoice.pk)


def set_status(
    locked: Taxpayer,
    row: Invoice | RedForm,
    status: Status | RedFormStatus,
    *,
    type: str,
    actor: str,
    at: datetime,
    **payload: Any,
) -> Any:
    """Move an invoice or a red form to ``status``, with the event that records it."""
    row.status = status
    row.save(update_fields=["status"])
    form = row if isinstance(row, RedForm) else None
    event_append(
        taxpayer=locked,
        type=type,
        actor=actor,
        at=at,
        invoice=None if form else row,  # type: ignore[arg-type]
        red_form=form,
        payload={"form": row.number, "form_status": status.value, **payload}
        if form
        else {"number": str(row), "status": status.value, **payload},
    )
    return row


@transaction.atomic
def invoice_mark(
    *, invoice: Invoice, action: Action, actor: str, detail: str = "", now: datetime | None = None
) -> Invoice:
    """Record that the invoice was printed or delivered (again); the status never goes back."""
    if action not in (Action.PRINT, Action.DELIVER):
        raise CorrectionRefused("只能标记为已打印或已交付", field="action")
    locked, invoice = fresh(invoice)
    status = next_status(Status(invoice.status), action)
    return set_status(
        locked,
        invoice,
        status,
        type=f"invoice.{'printed' if action is Action.PRINT else 'delivered'}",
        actor=actor,
        at=now or timezone.now(),
        detail=detail,
    )


@transaction.atomic
def invoice_void(
    *, invoice: Invoice, actor: str, reason: str = "", now: datetime | None = None
) -> Invoice:
    """作废: paper 专票/普票 of this calendar month, before the month's 抄报; irreversible."""
    now = now or timezone.now()
    locked, invoice = fresh(invoice)
    reported = invoice.channel.reported_through
    status = check_void(
        kind=InvoiceKind(invoice.kind),
        status=Status(invoice.status),
        issued_on=invoice.issued_on,
        today=local_date(now),
        month_reported=reported is not None and reported >= invoice.issued_on,
    )
    if invoice.red:
        raise CorrectionRefused("红字发票不能作废", field="status")
    set_status(locked, invoice, status, type="invoice.voided", actor=actor, at=now, reason=reason)
    upload_enqueue(locked, invoice, at=now, voided=True)
    lines = list(invoice.lines.all())  # out of the day's live sums, into its voided ones
    statements.summary_add(invoice, lines, sign=-1)
    statements.summary_add(invoice, lines, voided=True)
    return invoice


# --- red letter ---------------------------------------------------------------------------
