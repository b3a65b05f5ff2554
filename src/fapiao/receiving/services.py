"""Receiving invoices: files read (:mod:`fapiao.receiving.reading`) and kept, one row per
invoice whatever its format or whoever brought it, a clerk's corrections, and 查验 of what was
received. Every step is in the audit log."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.utils import timezone

from fapiao.core.clock import local_date
from fapiao.documents.readers import UnreadableFile
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.facelayout import date_of
from fapiao.domain.kinds import InvoiceKind
from fapiao.domain.money import parse_money
from fapiao.domain.reading import LABELS, Reading
from fapiao.domain.taxpayer_id import compact
from fapiao.invoicing.models import Taxpayer
from fapiao.receiving.models import Correction, ReceivedFile, ReceivedInvoice, ReceivedStatus
from fapiao.receiving.reading import read_in_time
from fapiao.security.audit import audit_append


class ReceiveRefused(DomainError):
    code = "receive_refused"


@dataclass
class Received:
    """What one receive did: the invoices new and already there, and the files refused."""

    new: list[ReceivedInvoice] = field(default_factory=list)
    known: list[ReceivedInvoice] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file, why)

    def as_dict(self) -> dict[str, Any]:
        return {
            "new": [received_as_dict(r) for r in self.new],
            "known": [received_as_dict(r) for r in self.known],
            "refused": [{"file": name, "message": why} for name, why in self.refused],
        }


def identity_of(code: str, number: str) -> str:
    return f"{code}:{number}"


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _not_ours(taxpayer: Taxpayer, name: str, tax_id: str) -> bool:
    """The buyer printed is someone else: its tax id, or (without one) its name, differs."""
    if tax_id:
        return compact(tax_id) != compact(taxpayer.tax_id)
    return bool(name) and name.strip() != taxpayer.name.strip()


def receive_files(
    *,
    taxpayer: Taxpayer,
    files: list[tuple[str, bytes]],
    actor: str,
    via: str,
    now: datetime | None = None,
) -> Received:
    """Read and keep every invoice of ``files``; an invoice already received (in any format,
    by anyone) is the same row, its new file kept beside the others."""
    now = now or timezone.now()
    done = Received()
    for name, content in files:
        try:
            readings = read_in_time(name, content)
        except UnreadableFile as refused:
            done.refused.append((name, str(refused.message)))
            continue
        for reading in readings:
            if not reading.value("invoice_number"):
                done.refused.append((name, "未识别出发票号码"))
                continue
            row, new = _keep(
                taxpayer, reading, name=name, content=content, actor=actor, via=via, now=now
            )
            (done.new if new else done.known).append(row)
    return done


def _keep(
    taxpayer: Taxpayer,
    reading: Reading,
    *,
    name: str,
    content: bytes,
    actor: str,
    via: str,
    now: datetime,
) -> tuple[ReceivedInvoice, bool]:
    code, number = reading.identity()
    values = reading.as_json()
    row = ReceivedInvoice(
        taxpayer=taxpayer,
        identity=identity_of(code, number),
        kind=values["kind"] or "",
        code=code,
        number=number,
        issued_on=reading.value("date"),
        check_code=values["check_code"] or "",
        seller_name=(values["seller_name"] or "")[:200],
        seller_tax_id=values["seller_tax_id"] or "",
        buyer_name=(values["buyer_name"] or "")[:200],
        buyer_tax_id=values["buyer_tax_id"] or "",
        amount=_money(values["amount_excl_tax"]),
        tax=_money(values["tax"]),
        total=_money(values["total"]),
        remarks=values["remarks"] or "",
        issuer=(values["issuer"] or "")[:60],
        lines=values["lines"],
        reading=values,
        received_at=now,
        received_by=actor,
        via=via,
        not_ours=_not_ours(taxpayer, values["buyer_name"] or "", values["buyer_tax_id"] or ""),
    )
    try:
        with transaction.atomic():
            row.save()
            new = True
    except IntegrityError:  # received before (or at this moment by another): the same row
        row = ReceivedInvoice.objects.get(taxpayer=taxpayer, identity=row.identity)
        new = False
    with transaction.atomic():
        _, added = ReceivedFile.objects.get_or_create(
            invoice=row,
            sha256=hashlib.sha256(content).hexdigest(),
            page=reading.page,
            defaults={
                "name": name[:200],
                "size": len(content),
                "content": content,
                "received_at": now,
                "received_by": actor,
            },
        )
        audit_append(
            "received.new" if new else "received.again",
            actor=actor,
            taxpayer=taxpayer,
            payload={"invoice": str(row), "file": name[:200], "via": via, "file_added": added},
            at=now,
        )
    return row, new


#: what a clerk may correct, and how a typed value is read
CORRECTABLE = {
    "kind": "kind",
    "invoice_code": "code",
    "invoice_number": "number",
    "date": "issued_on",
    "check_code": "check_code",
    "seller_name": "seller_name",
    "seller_tax_id": "seller_tax_id",
    "buyer_name": "buyer_name",
    "buyer_tax_id": "buyer_tax_id",
    "amount_excl_tax": "amount",
    "tax": "tax",
    "total": "total",
    "remarks": "remarks",
    "issuer": "issuer",
}


def _typed(name: str, text: str) -> Any:
    text = text.strip()
    if name in ("amount_excl_tax", "tax", "total"):
        return parse_money(text, field=name, label=LABELS[name]) if text else None
    if name == "date":
        day = date_of(text)
        if text and day is None:
            raise ReceiveRefused(Text("{0}应为YYYY-MM-DD", LABELS[name]), field=name)
        return day
    if name == "kind" and text and text not in {kind.value for kind in InvoiceKind}:
        raise ReceiveRefused(Text("{0}“{1}”不是发票种类", LABELS[name], text), field=name)
    limit = getattr(ReceivedInvoice._meta.get_field(CORRECTABLE[name]), "max_length", None)
    if limit and len(text) > limit:
        raise ReceiveRefused(Text("{0}不能超过{1}个字符", LABELS[name], limit), field=name)
    return text


def _shown(value: Any) -> str:
    return "" if value is None else str(value)


@transaction.atomic
def received_correct(
    *, invoice: ReceivedInvoice, values: dict[str, str], actor: str, now: datetime | None = None
) -> ReceivedInvoice:
    """Correct fields read wrong; each change is kept with who and when (and audited)."""
    now = now or timezone.now()
    row = ReceivedInvoice.objects.select_for_update().get(pk=invoice.pk)
    changed = []
    for name, text in values.items():
        if name not in CORRECTABLE:
            raise ReceiveRefused(Text("字段“{0}”不能更正", name), field=name)
        value = _typed(name, text)
        attribute = CORRECTABLE[name]
        before = getattr(row, attribute)
        if (before or None) == (value or None):
            continue
        empty = None if name in ("amount_excl_tax", "tax", "total", "date") else ""
        setattr(row, attribute, empty if value in (None, "") else value)
        Correction.objects.create(
            invoice=row, field=name, before=_shown(before), after=_shown(value), by=actor, at=now
        )
        row.reading.setdefault("sources", {})[name] = "corrected"
        changed.append(name)
    if not changed:
        return row
    row.identity = identity_of(row.code, row.number)
    row.not_ours = _not_ours(row.taxpayer, row.buyer_name, row.buyer_tax_id)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ReceiveRefused(
            Text("发票{0}已在进项发票中", row.code + row.number), field="invoice_number"
        ) from None
    audit_append(
        "received.corrected",
        actor=actor,
        taxpayer=row.taxpayer,
        at=now,
        payload={"invoice": str(row), "fields": changed},
    )
    return row


class Verifier(Protocol):
    """Who answers a 查验: our authority client, or an outside verification service."""

    def verify(self, inputs: dict[str, Any]) -> dict[str, Any]: ...


class AuthorityVerifier:
    """查验 through the authority client (the invoices in its registry)."""

    def verify(self, inputs: dict[str, Any]) -> dict[str, Any]:
        from fapiao.invoicing.verification import verify

        return verify(inputs, client="received")


def verify_inputs(row: ReceivedInvoice) -> dict[str, Any]:
    return {
        "code": row.code,
        "number": row.number,
        "issued_on": row.issued_on.isoformat() if row.issued_on else "",
        "amount": None if row.amount is None else str(row.amount),
        "check6": row.check_code[-6:] or None,
        "total": None if row.total is None else str(row.total),
    }


def received_verify(
    *,
    invoice: ReceivedInvoice,
    actor: str,
    verifier: Verifier | None = None,
    now: datetime | None = None,
) -> ReceivedInvoice:
    """查验 the invoice and keep the answer: 已查验 when it matches, 查验不符 when it does
    not; an invoice the service does not know stays 待查验 (the answer kept)."""
    now = now or timezone.now()
    answer = (verifier or AuthorityVerifier()).verify(verify_inputs(invoice))
    with transaction.atomic():
        row = ReceivedInvoice.objects.select_for_update().get(pk=invoice.pk)
        outcome = answer.get("outcome")
        row.verify_answer = {k: answer.get(k) for k in ("outcome", "message", "status", "field")}
        if outcome in ("一致", "不一致"):  # an answer that decides nothing keeps the status
            row.status = row.settled_status()
        row.verified_at = now
        row.save(update_fields=["status", "verify_answer", "verified_at"])
        audit_append(
            "received.verified",
            actor=actor,
            taxpayer=row.taxpayer,
            at=now,
            payload={"invoice": str(row), "outcome": outcome},
        )
    return row


def received_as_dict(row: ReceivedInvoice) -> dict[str, Any]:
    return {
        "id": row.pk,
        "kind": row.kind or None,
        "invoice_code": row.code or None,
        "invoice_number": row.number,
        "date": row.issued_on.isoformat() if row.issued_on else None,
        "seller_name": row.seller_name,
        "seller_tax_id": row.seller_tax_id,
        "buyer_name": row.buyer_name,
        "buyer_tax_id": row.buyer_tax_id,
        "amount_excl_tax": None if row.amount is None else str(row.amount),
        "tax": None if row.tax is None else str(row.tax),
        "total": None if row.total is None else str(row.total),
        "status": row.status,
        "status_label": ReceivedStatus(row.status).label,
        "not_ours": row.not_ours,
        "claim": row.claim_id,
        "deducted_period": row.deducted_period.isoformat() if row.deducted_period else None,
        "received_at": local_date(row.received_at).isoformat(),
        "received_by": row.received_by,
        "warnings": row.reading.get("warnings", []),
    }
