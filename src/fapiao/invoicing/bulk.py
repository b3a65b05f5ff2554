"""Issuing many invoices of one taxpayer and channel in one transaction (批量开具): the drafts
checked and made before the taxpayer's lock, then, under one lock, each numbered, signed and
written with its event, upload row and credit use, exactly as :func:`services.invoice_issue`
does for one. The caller's transaction holds them: what it commits is issued, all of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from fapiao.core import fastsql
from fapiao.core.clock import local_date
from fapiao.domain.errors import DomainError
from fapiao.domain.invoice import validate_draft
from fapiao.domain.kinds import ChannelType, InvoiceKind
from fapiao.domain.rates import TaxpayerKind
from fapiao.invoicing.drafts import DraftInput, seller_of
from fapiao.invoicing.errors import IssueRefused
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Channel, Invoice, Taxpayer
from fapiao.invoicing.selectors import credit_used
from fapiao.invoicing.services import check_channel, delivery_enqueue
from fapiao.invoicing.staging import NumberPool, Staged, stage, store_many
from fapiao.invoicing.uploads import DeviceState, device_state


@dataclass(frozen=True)
class Issued:
    """What :func:`invoices_issue_many` did: the invoices issued, in the order asked, the
    refusal that stopped it (None when every draft was issued), and the taxpayer's locked row
    as the writes left it (its history's head: the caller's next event follows it)."""

    invoices: list[Invoice]
    refused: DomainError | None
    taxpayer: Taxpayer


#: invoices written together: on PostgreSQL the database writes them while the next are made
WRITE_EVERY = 10


class _Limits:
    """The channel's limits as the batch uses them: the month's credit use, or the device's
    monitoring per kind with what waits for upload, read once and kept up as invoices are
    issued (under the taxpayer's lock nobody else issues meanwhile)."""

    def __init__(self, channel: Channel, at: datetime) -> None:
        self.channel, self.at = channel, at
        self.used: Decimal | None = None
        self.monitoring: dict[str, Any] = {}
        self.waiting: tuple[datetime | None, Decimal] | None = None

    def check(self, kind: InvoiceKind, amount: Decimal) -> None:
        channel = self.channel
        if channel.type == ChannelType.DIGITAL:
            if channel.monthly_credit is not None and self.used is None:
                self.used = credit_used(channel, local_date(self.at).replace(day=1))
            check_channel(
                channel=channel, kind=kind, amount=amount, issued_at=self.at, used=self.used
            )
            return
        if kind.value not in self.monitoring:
            state = device_state(channel.pk, kind.value)
            self.monitoring[kind.value] = state.monitoring
            if self.waiting is None:
                self.waiting = (state.oldest_waiting, state.waiting_amount)
        oldest, waiting = self.waiting or (None, Decimal(0))
        state = DeviceState(self.monitoring[kind.value], oldest, waiting)
        check_channel(channel=channel, kind=kind, amount=amount, issued_at=self.at, state=state)

    def add(self, amount: Decimal) -> None:
        if self.used is not None:
            self.used += amount
        if self.waiting is not None:
            oldest, waiting = self.waiting
            self.waiting = (oldest or self.at, waiting + amount)


def invoices_issue_many(
    *,
    taxpayer: Taxpayer,
    channel: Channel,
    drafts: Sequence[tuple[str, DraftInput]],
    actor: str,
    issued_at: datetime | None = None,
) -> Issued:
    """Issue ``drafts`` (each with its request id) in order, in the caller's transaction,
    stopping at the first one refused (no stock or credit left, a device past its lock date,
    a number block used up …): those before it are issued, it and those after are not. A
    request id already issued is refused by the database (the caller asks only for new ones).

    The channel's limits and numbers are read once, the writes of all the invoices go out
    pipelined (on PostgreSQL), and the segments' next numbers are stored at the end."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoices_issue_many runs in the caller's transaction")
    at = issued_at or timezone.now()
    if channel.taxpayer_id != taxpayer.pk:
        raise IssueRefused("开票渠道不属于该纳税人", field="channel")
    locked = taxpayer_lock(taxpayer.pk)
    seller = seller_of(locked)
    kind = TaxpayerKind(locked.kind)
    limits, numbers = _Limits(channel, at), NumberPool(channel)
    ready: list[tuple[Staged, tuple[str, str]]] = []
    issued: list[Invoice] = []
    refused: DomainError | None = None
    with fastsql.pipeline():
        for request_id, draft in drafts:
            try:
                blue = draft.for_seller(seller)
                staged = stage(
                    channel=channel,
                    draft=blue,
                    computed=validate_draft(blue, taxpayer_kind=kind),
                    issued_at=at,
                    content=draft.digest(channel.pk),
                    request_id=request_id,
                    contact=(draft.email, draft.mobile),
                )
                amount = staged.computed.totals.amount
                limits.check(blue.kind, amount)
                numbered = numbers.take(blue.kind, staged.invoice.issued_on)
            except DomainError as error:
                refused = error
                break
            staged.invoice.pk = fastsql.reserve_key(Invoice)()
            limits.add(amount)
            ready.append((staged, numbered))
        issued = (
            store_many(taxpayer=locked, channel=channel, items=ready, actor=actor) if ready else []
        )
        numbers.save()
    for invoice in issued:
        if invoice.buyer_email:
            delivery_enqueue(locked, invoice, method="email", to=invoice.buyer_email, actor=actor)
    return Issued(issued, refused, locked)
