"""The append-only, hash-chained history of each taxpayer.

Every event hashes the one before it (SHA-256 over a canonical JSON form); the taxpayer row holds
the head, so an edited, inserted or deleted event, and an invoice row changed behind the
services' back, are found by :func:`ledger_verify`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fapiao.authority.client import AuthorityClient, Unreachable
from fapiao.core import fastsql
from fapiao.core.chain import walk_chain
from fapiao.core.clients import client, client_agent
from fapiao.core.signing import digest
from fapiao.invoicing.anchoring import anchors_check
from fapiao.invoicing.keys import verify
from fapiao.invoicing.models import (
    DigitalBlock,
    Event,
    Invoice,
    InvoiceLine,
    RedForm,
    StockSegment,
    Taxpayer,
)


def _event_hash(event: Event) -> str:
    content = {
        "taxpayer": event.taxpayer_id,
        "sequence": event.sequence,
        "type": event.type,
        "invoice": event.invoice_id,
        "red_form": event.red_form_id,
        "actor": event.actor,
        "at": event.at.astimezone(UTC).isoformat(),
        "payload": event.payload,
        "previous": event.previous_hash,
    }
    if event.client:  # where it came from is vouched for too (events before it had none)
        content["client"] = event.client
    if event.user_agent:  # and with what (likewise)
        content["user_agent"] = event.user_agent
    return digest(content)


def event_append(
    *,
    taxpayer: Taxpayer,
    type: str,
    actor: str,
    at: datetime,
    payload: dict[str, Any],
    invoice: Invoice | None = None,
    red_form: RedForm | None = None,
) -> Event:
    """Append inside the caller's transaction; ``taxpayer`` must be locked (select_for_update)."""
    return events_append(
        taxpayer=taxpayer,
        items=[(type, actor, at, payload, invoice, red_form)],
    )[0]


EventItem = tuple[str, str, datetime, dict[str, Any], Invoice | None, RedForm | None]


def events_append(*, taxpayer: Taxpayer, items: list[EventItem]) -> list[Event]:
    """Append several events (type, actor, at, payload, invoice, red form) in one statement,
    each chained to the one before; ``taxpayer`` must be locked."""
    events = []
    address, agent = client(), client_agent()
    for type, actor, at, payload, invoice, red_form in items:
        event = Event(
            client=address,
            user_agent=agent,
            taxpayer=taxpayer,
            sequence=taxpayer.ledger_sequence + 1,
            type=type,
            invoice=invoice,
            red_form=red_form,
            actor=actor,
            at=at,
            payload=payload,
            previous_hash=taxpayer.ledger_head,
        )
        event.hash = _event_hash(event)
        taxpayer.ledger_sequence, taxpayer.ledger_head = event.sequence, event.hash
        events.append(event)
    if events:
        fastsql.insert(events, keys=False)  # nothing refers to an event by its id
        fastsql.update(taxpayer, "ledger_sequence", "ledger_head")
    return events


_UNSIGNED = ("id", "status", "signature")


def invoice_digest(invoice: Invoice, lines: Iterable[InvoiceLine] | None = None) -> str:
    """What an invoice's signature and issue event vouch for: the digest of its content."""
    return digest(invoice_content(invoice, lines))


def invoice_content(invoice: Invoice, lines: Iterable[InvoiceLine] | None = None) -> dict[str, Any]:
    """Every field of an invoice but its id, status and signature, and its lines, as plain JSON
    values (what is signed, and what the authority receives). ``lines`` defaults to the stored
    ones."""
    fields = {
        f.attname: getattr(invoice, f.attname)
        for f in Invoice._meta.concrete_fields
        if f.attname not in _UNSIGNED
    }
    fields["issued_at"] = invoice.issued_at.astimezone(UTC).isoformat()
    fields["issued_on"] = invoice.issued_on.isoformat()
    if lines is None:
        lines = invoice.lines.all()
    fields["lines"] = [
        {
            f.attname: getattr(line, f.attname)
            for f in InvoiceLine._meta.concrete_fields
            if f.attname not in ("id", "invoice_id")
        }
        for line in sorted(lines, key=lambda line: line.index)
    ]
    for name in ("amount", "tax", "total"):
        fields[name] = f"{Decimal(fields[name]):.2f}"
    for line in fields["lines"]:
        for name in ("amount", "tax"):
            line[name] = f"{Decimal(line[name]):.2f}"
        for name in ("quantity", "unit_price"):
            line[name] = None if line[name] is None else f"{Decimal(line[name]).normalize():f}"
    return fields


@dataclass(frozen=True)
class Problem:
    taxpayer: str
    where: str
    what: str


#: what a block of 数电 numbers issued before the authority handed them out says it came from
LEGACY_BLOCK = "启用赋码前已开具"
#: at most this many missing numbers are named per segment
NAMED = 5


def ledger_verify(taxpayer: Taxpayer, *, authority: AuthorityClient | None = None) -> list[Problem]:
    """Every way the stored history disagrees with itself, with the invoices, with the numbers
    the channels have used and, given ``authority``, with what the authority has received."""
    taxpayer = Taxpayer.objects.get(pk=taxpayer.pk)  # the stored head, not a stale copy
    problems: list[Problem] = []
    name = taxpayer.tax_id
    issued: dict[int, str] = {}
    statuses: dict[int, str] = {}
    form_statuses: dict[int, str] = {}
    events = Event.objects.filter(taxpayer=taxpayer).order_by("sequence")
    head = (taxpayer.ledger_sequence, taxpayer.ledger_head)
    for event, found in walk_chain(events, _event_hash, head):
        if event is None:
            problems += [Problem(name, "链头", what) for what in found]
            break
        problems += [Problem(name, f"事件#{event.sequence}", what) for what in found]
        if event.invoice_id is not None:
            if event.type in ("invoice.issued", "invoice.red_issued", "invoice.recovered"):
                issued[event.invoice_id] = event.payload.get("digest", "")
            if "status" in event.payload:
                statuses[event.invoice_id] = event.payload["status"]
        if event.red_form_id is not None and "form_status" in event.payload:
            form_statuses[event.red_form_id] = event.payload["form_status"]
    invoices = Invoice.objects.filter(taxpayer=taxpayer).select_related("signing_key")
    # in chunks: one prefetch of a million invoices' lines would pass more parameters than
    # PostgreSQL takes in one statement (65,535)
    for invoice in invoices.prefetch_related("lines").iterator(chunk_size=2000):
        where = f"发票{invoice}"
        content = invoice_digest(invoice)
        if invoice.id not in issued:
            problems.append(Problem(name, where, "没有开具事件"))
        elif content != issued[invoice.id]:
            problems.append(Problem(name, where, "发票内容被修改"))
        if not verify(invoice.signing_key, content.encode(), invoice.signature):
            problems.append(Problem(name, where, "数字签名无效"))
        if statuses.get(invoice.id) != invoice.status:
            problems.append(Problem(name, where, "发票状态与事件记录不一致"))
    for form in RedForm.objects.filter(taxpayer=taxpayer):
        if form_statuses.get(form.id) != form.status:
            problems.append(Problem(name, f"红字信息表/确认单{form}", "状态与事件记录不一致"))
    problems += _numbers_used(taxpayer, events)
    if authority is not None:
        problems += _anchored(taxpayer, authority)
        try:
            problems += [
                Problem(name, where, what) for where, what in anchors_check(taxpayer, authority)
            ]
        except Unreachable as error:
            problems.append(Problem(name, "税务机关", f"未能核对存证：{error}"))
    return problems


def _gaps(
    where: str, taxpayer: str, used: list[int], first: int, next_number: int, *,
    skipped: frozenset[int] = frozenset(),
) -> list[Problem]:  # fmt: skip
    """A segment's numbers must be exactly ``first`` .. ``next_number - 1``: a number the
    counter has passed with no invoice is a deleted invoice (or a rewound history), unless the
    history says it was skipped (issued elsewhere, seen after a restore)."""
    found = set(used)
    missing = [n for n in range(first, next_number) if n not in found and n not in skipped]
    beyond = sorted(n for n in found if n >= next_number)
    problems = []
    if missing:
        named = "、".join(str(n) for n in missing[:NAMED]) + ("等" if len(missing) > NAMED else "")
        problems.append(Problem(taxpayer, where, f"已用号码{named}没有发票（共{len(missing)}个）"))
    if beyond:
        problems.append(Problem(taxpayer, where, f"发票号码{beyond[0]}超出号码段的已用位置"))
    if len(used) != len(found):
        problems.append(Problem(taxpayer, where, "号码重复"))
    return problems


def _numbers_used(taxpayer: Taxpayer, events: Any) -> list[Problem]:
    """Each stock segment and 数电 block: received by an event of the history, its numbers
    gapless up to its counter, and no invoice beyond it."""
    name = taxpayer.tax_id
    received = {
        (e.payload.get("code") or e.payload.get("prefix"), e.payload["first"], e.payload["last"])
        for e in events.filter(type__in=("stock.received", "numbers.received"))
    }
    # every number the taxpayer used, read once: by code (stock), by prefix (数电)
    used_by: dict[str, list[int]] = {}
    for code, number in Invoice.objects.filter(taxpayer=taxpayer).values_list("code", "number"):
        key, sequence = (code, number) if code else (number[:5], number[5:])
        used_by.setdefault(key, []).append(int(sequence))
    problems: list[Problem] = []
    segments = [
        (f"号码段{s.code} {s.first}-{s.last}", s.code, s, False)
        for s in StockSegment.objects.filter(channel__taxpayer=taxpayer)
    ] + [
        (f"数电号码段{b.prefix} {b.first}-{b.last}", b.prefix, b, b.received_from == LEGACY_BLOCK)
        for b in DigitalBlock.objects.filter(channel__taxpayer=taxpayer)
    ]
    skipped: dict[str, set[int]] = {}
    for e in events.filter(type="numbers.skipped"):
        skipped.setdefault(e.payload["key"], set()).update(
            range(e.payload["from"], e.payload["to"] + 1)
        )
    for where, key, segment, legacy in segments:
        if not legacy and (key, segment.first, segment.last) not in received:
            problems.append(Problem(name, where, "号码段没有领入记录"))
        used = [n for n in used_by.get(key, ()) if segment.first <= n <= segment.last]
        problems += _gaps(where, name, used, segment.first, segment.next_number,
                          skipped=frozenset(skipped.get(key, ())))  # fmt: skip
    return problems


def _anchored(taxpayer: Taxpayer, authority: AuthorityClient) -> list[Problem]:
    """The history against what the authority holds: it cannot end before the last event the
    authority accepted, and every invoice it registered is here."""
    name = taxpayer.tax_id
    ours = {
        code + number
        for code, number in Invoice.objects.filter(taxpayer=taxpayer).values_list("code", "number")
    }
    problems: list[Problem] = []
    after: int | None = 0
    try:
        while after is not None:
            page = authority.records(tax_id=taxpayer.tax_id, after=after)
            if after == 0 and int(page.get("last_sequence", 0)) > taxpayer.ledger_sequence:
                problems.append(
                    Problem(name, "链头", f"税务机关已收到事件#{page['last_sequence']}，本地历史"
                            f"只到#{taxpayer.ledger_sequence}")
                )  # fmt: skip
            for record in page["records"]:
                number = record["code"] + record["number"]
                if number not in ours:
                    problems.append(Problem(name, f"发票{number}", "税务机关已登记，本地没有"))
            after = page["next"]
    except Unreachable as error:
        problems.append(Problem(name, "税务机关", f"未能核对：{error}"))
    return problems
