"""Receiving uploads (报送) with signed receipts, and what the registry holds for reconciliation.

Uploads are answered in the taxpayer's sequence order; each answer is kept, so the same upload
again gets the same answer and is registered once. An upload that names a registered number with
other content is refused and raised as a risk.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from fapiao.authority.keyring import authority_sign
from fapiao.authority.models import (
    Receipt,
    RegisteredTaxpayer,
    RegistryInvoice,
    TaxpayerKey,
)
from fapiao.authority.services import AuthorityRefused, registered, risk_add
from fapiao.core.fastsql import insert, update_many
from fapiao.core.signing import (
    canonical,
    digest,
    fingerprint_of,
    verify_raw,
)
from fapiao.domain.errors import Text
from fapiao.domain.kinds import parse_kind
from fapiao.domain.verification import (
    RegistryStatus,
)


def text_digest(text: str) -> str:
    """The digest of content stored as its canonical JSON text (equal to ``digest`` of it)."""
    return hashlib.sha256(text.encode()).hexdigest()


def receive(
    *, tax_id: str, name: str, uploads: list[dict[str, Any]], now: datetime | None = None
) -> list[dict[str, Any]]:
    """Answer each upload of a batch, in sequence order, in one transaction.

    An upload is ``{"sequence", "invoice": {"content", "signature", "algorithm",
    "public_key"}, "voided", "blue"}``; the answer names it by sequence and is signed when
    accepted."""
    now = now or timezone.now()
    with transaction.atomic():
        batch = _Batch(registered(tax_id, name), uploads, now)
        answers = [
            batch.receive(upload) for upload in sorted(uploads, key=lambda u: int(u["sequence"]))
        ]
        batch.store()
    return answers


def receive_signed(*, tax_id: str, name: str, uploads: list[dict[str, Any]]) -> dict[str, Any]:
    """:func:`receive` as the wire carries it: ``{"answers", "signature"}``, the signature over
    all the answers, so that the taxpayer side checks a batch with one verification (each
    accepted answer still carries its own signature, the receipt kept with the invoice)."""
    reply: dict[str, Any] = {"answers": receive(tax_id=tax_id, name=name, uploads=uploads)}
    reply["signature"] = authority_sign(reply)
    return reply


def _number_of(upload: dict[str, Any]) -> tuple[str, str]:
    content = upload.get("invoice", {}).get("content", {})
    return str(content.get("code", "")), str(content.get("number", ""))


class _Batch:
    """One batch of uploads: what it needs is read in a few queries, what it writes is written
    at the end in a few statements."""

    def __init__(
        self, taxpayer: RegisteredTaxpayer, uploads: list[dict[str, Any]], now: datetime
    ) -> None:
        self.taxpayer, self.now = taxpayer, now
        sequences = [int(u["sequence"]) for u in uploads]
        self.earlier = {
            r.sequence: r for r in Receipt.objects.filter(taxpayer=taxpayer, sequence__in=sequences)
        }
        wanted = {_number_of(u) for u in uploads} | {
            (str(u["blue"][0]), str(u["blue"][1])) for u in uploads if u.get("blue")
        }
        numbers = {number for _, number in wanted}
        self.records: dict[tuple[str, str], RegistryInvoice] = {
            (r.code, r.number): r
            for r in RegistryInvoice.objects.select_for_update().filter(number__in=numbers)
            if (r.code, r.number) in wanted
        }
        self.keys: dict[str, TaxpayerKey] = {}
        self.created: list[RegistryInvoice] = []  # not yet written
        self.changed: dict[int, RegistryInvoice] = {}  # written, then changed
        self.receipts: list[Receipt] = []

    def receive(self, upload: dict[str, Any]) -> dict[str, Any]:
        sequence = int(upload["sequence"])
        # the content is serialised once: its text is stored, its digest checked and signed
        text = canonical(upload.get("invoice", {}).get("content", {}))
        content_digest = text_digest(text)
        message = _message_digest(upload, content_digest)
        earlier = self.earlier.get(sequence)
        if earlier is not None:
            if earlier.message_digest == message:
                return dict(earlier.answer)
            return _refusal(sequence, "上传序号已用于内容不同的上传")
        if sequence <= self.taxpayer.last_sequence:
            return _refusal(sequence, "上传顺序错误：该序号早于已接收的上传")
        try:
            record: RegistryInvoice | None = self._register(upload, text, content_digest)
        except AuthorityRefused as refusal:
            answer, record = _refusal(sequence, refusal.message), None
        else:
            assert record is not None
            answer = {
                "sequence": sequence,
                "accepted": True,
                "code": record.code,
                "number": record.number,
                "digest": record.digest,
                "status": record.status,
                "received_at": self.now.isoformat(),
            }
            answer["signature"] = authority_sign(answer)
        receipt = Receipt(
            taxpayer=self.taxpayer,
            sequence=sequence,
            invoice=record,
            message_digest=message,
            accepted=answer["accepted"],
            answer=answer,
        )
        self.receipts.append(receipt)
        self.earlier[sequence] = receipt
        self.taxpayer.last_sequence = sequence
        return answer

    def _key(self, signed: dict[str, Any]) -> TaxpayerKey:
        try:
            public = base64.b64decode(str(signed["public_key"]), validate=True)
        except ValueError:
            raise AuthorityRefused("公钥格式不正确") from None
        fingerprint = fingerprint_of(public)
        key = self.keys.get(fingerprint)
        if key is None:
            key = TaxpayerKey.objects.filter(fingerprint=fingerprint).first()
            if key is None:
                key = TaxpayerKey.objects.create(
                    taxpayer=self.taxpayer,
                    algorithm=str(signed["algorithm"]),
                    public_key=public,
                    fingerprint=fingerprint,
                    registered_at=self.now,
                )
            self.keys[fingerprint] = key
        if key.taxpayer_id != self.taxpayer.pk:
            raise AuthorityRefused("该公钥已登记于其他纳税人")
        return key

    def _change(self, record: RegistryInvoice) -> None:
        record.changed_at = self.now
        if record.pk is not None:
            self.changed[record.pk] = record

    def _register(self, upload: dict[str, Any], text: str, content_digest: str) -> RegistryInvoice:
        taxpayer, now = self.taxpayer, self.now
        signed = upload["invoice"]
        content = signed["content"]
        code, number = _number_of(upload)
        if content.get("seller", {}).get("tax_id") != taxpayer.tax_id:
            raise AuthorityRefused("发票的销售方不是上传的纳税人")
        key = self._key(signed)
        if not verify_raw(
            key.algorithm, bytes(key.public_key), content_digest.encode(), str(signed["signature"])
        ):
            risk_add(taxpayer, "bad_signature", now, code=code, number=number)
            raise AuthorityRefused("发票数字签名无效")
        record = self.records.get((code, number))
        if record is None:
            record = self._create(upload, text=text, content_digest=content_digest, key=key)
        elif record.taxpayer_id != taxpayer.pk or record.digest != content_digest:
            risk_add(
                taxpayer, "conflicting_upload", now,
                code=code, number=number, registered=record.digest, uploaded=content_digest,
            )  # fmt: skip
            raise AuthorityRefused(Text("发票{0}已登记为内容不同的发票", record))
        if upload.get("voided") and record.status == RegistryStatus.NORMAL:
            record.status = RegistryStatus.VOIDED
            self._change(record)
        return record

    def _create(
        self, upload: dict[str, Any], *, text: str, content_digest: str, key: TaxpayerKey
    ) -> RegistryInvoice:
        signed = upload["invoice"]
        content = signed["content"]
        blue = None
        if content.get("red"):
            code, number = upload.get("blue") or ("", "")
            blue = self.records.get((str(code), str(number)))
            if blue is None or blue.taxpayer_id != self.taxpayer.pk:
                raise AuthorityRefused(Text("红字发票对应的蓝字发票{0}{1}未登记", code, number))
            if blue.pk is None:  # registered in this batch: written first, to be referred to
                self._write_created()
            blue.red_total += -Decimal(content["total"])
            blue.status = RegistryStatus.RED
            self._change(blue)
        record = RegistryInvoice(
            taxpayer=self.taxpayer,
            kind=parse_kind(content["kind"]).value,
            code=content.get("code", ""),
            number=content["number"],
            issued_at=datetime.fromisoformat(content["issued_at"]),
            issued_on=date.fromisoformat(content["issued_on"]),
            amount=Decimal(content["amount"]),
            tax=Decimal(content["tax"]),
            total=Decimal(content["total"]),
            check_code=content.get("check_code", ""),
            buyer_name=content.get("buyer", {}).get("name", ""),
            buyer_tax_id=content.get("buyer", {}).get("tax_id", ""),
            device_number=str(upload.get("device") or ""),
            blue=blue,
            content=text,
            digest=content_digest,
            signature=str(signed["signature"]),
            key=key,
            received_at=self.now,
            changed_at=self.now,
        )
        self.created.append(record)
        self.records[record.code, record.number] = record
        return record

    def _write_created(self) -> None:
        insert(self.created)
        self.created = []

    def store(self) -> None:
        self._write_created()
        update_many(list(self.changed.values()), "status", "red_total", "changed_at")
        for receipt in self.receipts:
            receipt.invoice = receipt.invoice  # the record's id, now that it has one
        insert([r for r in self.receipts if r.pk is None])
        self.taxpayer.save(update_fields=["last_sequence"])


def _message_digest(upload: dict[str, Any], content_digest: str) -> str:
    """What identifies an upload: all of it, the signed content by its digest."""
    signed = {**upload.get("invoice", {}), "content": content_digest}
    return digest({**upload, "invoice": signed})


def _refusal(sequence: int, message: str) -> dict[str, Any]:
    return {"sequence": sequence, "accepted": False, "error": message}


def record_facts(record: RegistryInvoice) -> dict[str, Any]:
    """A registry record as the taxpayer side compares it: the stored facts and the digest of
    the stored content, each as it is now (an edit of either shows)."""
    return {
        "code": record.code,
        "number": record.number,
        "kind": record.kind,
        "issued_on": record.issued_on.isoformat(),
        "amount": f"{record.amount:.2f}",
        "tax": f"{record.tax:.2f}",
        "total": f"{record.total:.2f}",
        "check_code": record.check_code,
        "status": record.status,
        "digest": text_digest(record.content),
        "signed_digest": record.digest,
    }


def _sent(record: RegistryInvoice) -> dict[str, Any]:
    return {"content": record.content, "signature": record.signature,
            "red_total": f"{record.red_total:.2f}"}  # fmt: skip


def records(
    *, tax_id: str, after: int = 0, limit: int = 1000, content: bool = False
) -> dict[str, Any]:
    """One page of the taxpayer's registry, in registration order; ``next`` pages on. With
    ``content``, each record also carries what the taxpayer signed and sent (to recover it)."""
    rows = list(
        RegistryInvoice.objects.filter(taxpayer__tax_id=tax_id, pk__gt=after).order_by("pk")[:limit]
    )
    registered = RegisteredTaxpayer.objects.filter(tax_id=tax_id).first()
    return {
        "records": [record_facts(row) | (_sent(row) if content else {}) for row in rows],
        "next": rows[-1].pk if len(rows) == limit else None,
        # the sequence of the last event the authority accepted: the taxpayer's history can
        # never end before it
        "last_sequence": registered.last_sequence if registered else 0,
    }
