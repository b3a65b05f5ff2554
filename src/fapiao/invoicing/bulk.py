"""Issuing many invoices of one taxpayer and channel in one transaction (批量开具): the drafts
checked and made before the taxpayer's lock, then, under one lock, each numbered, signed and
written with its event, upload row and credit use, exactly as :func:`services.invoice_issue`
does for one. The caller's transaction holds them: what it commits is issued, all of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from fapiao.core import fastsql
from fapiao.domain.errors import DomainError
from fapiao.domain.invoice import validate_draft
from fapiao.domain.rates import TaxpayerKind
from fapiao.invoicing.drafts import DraftInput, seller_of
from fapiao.invoicing.errors import IssueRefused
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Channel, Invoice, Taxpayer
from fapiao.invoicing.services import check_channel, delivery_enqueue
from fapiao.invoicing.staging import Staged, allocate_later, stage, store_staged


@dataclass(frozen=True)
class Issued:
    """What :func:`invoices_issue_many` did: the invoices issued, in the order asked, the
    refusal that stopped it (None when every draft was issued), and the taxpayer's locked row
    as the writes left it (its history's head: the caller's next event follows it)."""

    invoices: list[Invoice]
    refused: DomainError | None
    taxpayer: Taxpayer


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
    request id already issued is refused by the database (the caller asks only for new ones)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoices_issue_many runs in the caller's transaction")
    at = issued_at or timezone.now()
    if channel.taxpayer_id != taxpayer.pk:
        raise IssueRefused("开票渠道不属于该纳税人", field="channel")
    locked = taxpayer_lock(taxpayer.pk)
    seller = seller_of(locked)
    kind = TaxpayerKind(locked.kind)
    issued: list[Invoice] = []
    for request_id, draft in drafts:
        try:
            blue = draft.for_seller(seller)
            ready: Staged = stage(
                channel=channel,
                draft=blue,
                computed=validate_draft(blue, taxpayer_kind=kind),
                issued_at=at,
                content=draft.digest(channel.pk),
                request_id=request_id,
                contact=(draft.email, draft.mobile),
            )
            check_channel(
                channel=channel, kind=blue.kind, amount=ready.computed.totals.amount, issued_at=at
            )
            with fastsql.pipeline():
                key = fastsql.reserve_key(Invoice)  # read with the number: one round trip
                number = allocate_later(
                    taxpayer_id=locked.pk,
                    channel=channel,
                    kind=blue.kind,
                    issued_on=ready.invoice.issued_on,
                )
                numbered = number(locked)
                ready.invoice.pk = key()
                invoice = store_staged(
                    taxpayer=locked, channel=channel, staged=ready, numbered=numbered, actor=actor
                )
        except DomainError as refused:
            return Issued(issued, refused, locked)
        if invoice.buyer_email:
            delivery_enqueue(locked, invoice, method="email", to=invoice.buyer_email, actor=actor)
        issued.append(invoice)
    return Issued(issued, None, locked)
