"""An invoice made, numbered, signed and written: what issuing does before the taxpayer's
lock (the staged invoice) and under it (the number, the signature, the writes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from fapiao.core import fastsql
from fapiao.core.clock import local_date
from fapiao.domain.checkcode import check_code
from fapiao.domain.invoice import Draft
from fapiao.domain.kinds import ChannelType, InvoiceKind, spec
from fapiao.domain.numbering import format_number
from fapiao.domain.qr import build_qr
from fapiao.domain.tax import Computed
from fapiao.invoicing import statements
from fapiao.invoicing.errors import NO_STOCK_MESSAGE, IssueRefused
from fapiao.invoicing.keys import active_key, sign
from fapiao.invoicing.ledger import events_append, invoice_digest
from fapiao.invoicing.models import (
    Channel,
    Invoice,
    InvoiceLine,
    RedForm,
    Taxpayer,
)
from fapiao.invoicing.numbers import USED_UP_MESSAGE, NumbersUsedUp
from fapiao.invoicing.uploads import uploads_enqueue


def allocate(
    *, taxpayer: Taxpayer, channel: Channel, kind: InvoiceKind, issued_on: date
) -> tuple[str, str]:
    """The next code and number of the channel; the caller holds the taxpayer's lock."""
    return allocate_later(taxpayer_id=taxpayer.pk, channel=channel, kind=kind, issued_on=issued_on)(
        taxpayer
    )


def allocate_later(
    *, taxpayer_id: int, channel: Channel, kind: InvoiceKind, issued_on: date
) -> Callable[[Taxpayer], tuple[str, str]]:
    """:func:`allocate` asked now (see :func:`fastsql.ask`); the function returned reads the
    answer and makes the code and number with the locked taxpayer (refused without stock)."""
    if spec(kind).digital:
        block = statements.digital_ask(channel_id=channel.pk, year=issued_on.year)

        def digital(locked: Taxpayer) -> tuple[str, str]:
            found = block()
            if found is None:
                raise NumbersUsedUp(USED_UP_MESSAGE, field="channel")
            prefix, sequence = found
            return "", f"{prefix}{sequence:015d}"

        return digital
    taken = statements.number_ask(channel_id=channel.pk, kind=kind)

    def device(locked: Taxpayer) -> tuple[str, str]:
        found = taken()
        if found is None:
            raise IssueRefused(NO_STOCK_MESSAGE, field="kind")
        code, sequence = found
        return code, format_number(sequence)

    return device


class NumberPool:
    """The numbers a channel has left, read once (under the taxpayer's lock) and handed out in
    the order :func:`allocate` would give them: the oldest segment (or 数电 block) first. Only
    the numbers handed out are used: :meth:`save` stores how far each segment got, in the
    same transaction, so a refusal after reading leaves no gap."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self._rows: dict[tuple[str, int], list[list[Any]]] = {}
        self._touched: dict[int, list[Any]] = {}

    def _read(self, kind: InvoiceKind, year: int) -> list[list[Any]]:
        if spec(kind).digital:
            found = statements.digital_blocks(channel_id=self.channel.pk, year=year)
        else:
            found = statements.stock_segments(channel_id=self.channel.pk, kind=kind)
        return [list(row) for row in found]

    def take(self, kind: InvoiceKind, issued_on: date) -> tuple[str, str]:
        """The next code and number of ``kind``; refused when none is left."""
        key = (kind.value, issued_on.year if spec(kind).digital else 0)
        rows = self._rows.get(key)
        if rows is None:
            rows = self._rows[key] = self._read(kind, issued_on.year)
        for row in rows:
            pk, prefix, following, last = row
            if following <= last:
                row[2] = following + 1
                self._touched[pk] = row
                if spec(kind).digital:
                    return "", f"{prefix}{following:015d}"
                return prefix, format_number(following)
        if spec(kind).digital:
            raise NumbersUsedUp(USED_UP_MESSAGE, field="channel")
        raise IssueRefused(NO_STOCK_MESSAGE, field="kind")

    def save(self) -> None:
        """Store each segment's next number; the caller's transaction still holds the lock."""
        digital = self.channel.type == ChannelType.DIGITAL
        statements.next_numbers_save(
            digital=digital, rows=[(row[2], row[0]) for row in self._touched.values()]
        )
        self._touched.clear()


def invoice_store(**fields: Any) -> Invoice:
    """Number, sign and store a validated invoice with its event; the caller holds the lock
    of ``taxpayer`` and has checked the channel. On PostgreSQL the statements run pipelined:
    the invoice's key travels with its number and the writes go in one round trip (only
    fastsql statements run inside: an ORM update would miss its row count there)."""
    with fastsql.pipeline():
        return store(**fields)


@dataclass
class Staged:
    """An invoice made before the taxpayer's lock: all of it but what the lock decides (code,
    number, check code, QR code, signature, ledger). Its lines may be written already."""

    draft: Draft
    computed: Computed
    invoice: Invoice
    lines: list[InvoiceLine]
    lines_written: bool = False


def stage(
    *,
    channel: Channel,
    draft: Draft,
    computed: Computed,
    issued_at: datetime,
    content: str,
    request_id: str | None = None,
    blue: Invoice | None = None,
    red_reason: str = "",
    red_form: RedForm | None = None,
    blue_indices: list[int] | None = None,
    contact: tuple[str, str] = ("", ""),
) -> Staged:
    totals = computed.totals
    invoice = Invoice(
        taxpayer_id=channel.taxpayer_id,
        channel=channel,
        kind=draft.kind,
        issued_at=issued_at,
        issued_on=local_date(issued_at),
        red=blue is not None,
        blue=blue,
        red_reason=red_reason,
        red_form=red_form,
        mode=draft.mode,
        seller=asdict(draft.seller),
        buyer=asdict(draft.buyer),
        buyer_name=draft.buyer.name,
        buyer_email=contact[0],
        buyer_mobile=contact[1],
        remarks=draft.remarks,
        payee=draft.payee,
        reviewer=draft.reviewer,
        drawer=draft.drawer,
        amount=totals.amount,
        tax=totals.tax,
        total=totals.total,
        request_id=request_id,
        content_hash=content,
    )
    lines = [
        InvoiceLine(
            index=index,
            name=line.name,
            short_name=line.short_name,
            tax_code=line.tax_code,
            spec=line.spec,
            unit=line.unit,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            rate=line.rate.key,
            tax=line.tax,
            discount=line.discount,
            blue_index=None if blue_indices is None else blue_indices[index],
        )
        for index, line in enumerate(computed.lines)
    ]
    return Staged(draft, computed, invoice, lines)


def lines_write_early(staged: Staged) -> None:
    """On PostgreSQL, take the invoice's key and write its lines now, in the transaction but
    before the taxpayer's lock is asked for: their foreign key is checked at commit, when the
    invoice row is there. Elsewhere nothing happens (the lines follow the invoice)."""
    key = fastsql.reserve_key(Invoice)()
    if key is None:
        return
    staged.invoice.pk = key
    for line in staged.lines:
        line.invoice_id = key
    fastsql.insert(staged.lines, keys=False)  # nothing refers to a line by its id
    staged.lines_written = True


def restage(old: Staged, new: Staged) -> Staged:
    """``new`` (made again under the lock, the profile having changed) in place of ``old``:
    same key, and the lines ``old`` wrote early taken back."""
    if old.lines_written:
        table = connection.ops.quote_name(InvoiceLine._meta.db_table)
        fastsql.execute(f"DELETE FROM {table} WHERE invoice_id = %s", [old.invoice.pk])  # noqa: S608
    new.invoice.pk = old.invoice.pk
    return new


def store(*, taxpayer: Taxpayer, actor: str, **fields: Any) -> Invoice:
    staged = stage(**fields)
    key_of_invoice = fastsql.reserve_key(Invoice)  # read with the number: one round trip
    numbered = allocate(
        taxpayer=taxpayer,
        channel=fields["channel"],
        kind=staged.draft.kind,
        issued_on=staged.invoice.issued_on,
    )
    staged.invoice.pk = key_of_invoice()
    return store_staged(
        taxpayer=taxpayer, channel=fields["channel"], staged=staged, numbered=numbered,
        actor=actor,
    )  # fmt: skip


def store_staged(
    *, taxpayer: Taxpayer, channel: Channel, staged: Staged, numbered: tuple[str, str], actor: str
) -> Invoice:
    """Number, sign and write ``staged``, with its event, upload row and credit use; the
    caller holds the lock of ``taxpayer`` and has checked the channel."""
    (invoice,) = store_many(
        taxpayer=taxpayer, channel=channel, items=[(staged, numbered)], actor=actor
    )
    return invoice


def _seal(taxpayer: Taxpayer, staged: Staged, numbered: tuple[str, str]) -> dict[str, Any]:
    """Give ``staged`` its code and number, check code, QR code and signature; the payload of
    its issue event."""
    invoice, totals = staged.invoice, staged.computed.totals
    invoice.taxpayer = taxpayer
    invoice.code, invoice.number = numbered
    item = spec(staged.draft.kind)
    if item.has_check_code:
        invoice.check_code = check_code(
            key=bytes(taxpayer.secret),
            code=invoice.code,
            number=invoice.number,
            issued_on=invoice.issued_on,
            seller_id=taxpayer.tax_id,
            total=totals.total,
        )
    invoice.qr = build_qr(
        kind=staged.draft.kind,
        code=invoice.code,
        number=invoice.number,
        amount=totals.total if item.qr_amount_includes_tax else totals.amount,
        issued_on=invoice.issued_on,
        check_code=invoice.check_code,
    )
    invoice.signing_key = key = active_key(taxpayer)
    content_digest = invoice_digest(invoice, staged.lines)
    invoice.signature = sign(key, content_digest.encode())
    payload: dict[str, Any] = {
        "number": str(invoice),
        "total": str(totals.total),
        "status": invoice.status,
        "digest": content_digest,
    }
    if invoice.blue is not None:
        payload["blue"] = str(invoice.blue)
    return payload


def store_many(
    *,
    taxpayer: Taxpayer,
    channel: Channel,
    items: Sequence[tuple[Staged, tuple[str, str]]],
    actor: str,
) -> list[Invoice]:
    """:func:`store_staged` for several invoices of one channel, each numbered: every table
    written once for all of them (the invoices, their lines, their chained events, their
    upload rows, the day's sums, the credit use)."""
    invoices, payloads, lines = [], [], []
    for staged, numbered in items:
        payloads.append(_seal(taxpayer, staged, numbered))
        invoices.append(staged.invoice)
    fastsql.insert(invoices)
    for staged, _ in items:
        if not staged.lines_written:
            for line in staged.lines:
                line.invoice = staged.invoice
            lines.extend(staged.lines)
        fastsql.remember(staged.invoice, "lines", staged.lines)
    fastsql.insert(lines, keys=False)  # nothing refers to a line by its id
    events = events_append(
        taxpayer=taxpayer,
        items=[
            ("invoice.red_issued" if invoice.blue is not None else "invoice.issued", actor,
             invoice.issued_at, payload, invoice, None)
            for invoice, payload in zip(invoices, payloads, strict=True)
        ],
    )  # fmt: skip
    at = invoices[0].issued_at
    uploads_enqueue(
        taxpayer, [(i, e.sequence) for i, e in zip(invoices, events, strict=True)], at=at,
        voided=False,
    )  # fmt: skip
    statements.summaries_add([(staged.invoice, staged.lines) for staged, _ in items])
    if channel.type == ChannelType.DIGITAL:
        months: dict[date, Decimal] = {}
        for invoice in invoices:
            month = invoice.issued_on.replace(day=1)
            months[month] = months.get(month, Decimal(0)) + invoice.amount
        for month, amount in months.items():
            statements.credit_add(channel_id=channel.pk, month=month, amount=amount)
    return invoices
