"""An invoice brought back from the authority's registry after a restore: what the taxpayer
signed and sent is stored again exactly (its digest and signature still hold), with the
registry's status and an ``invoice.recovered`` event on the history."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from fapiao.core.signing import digest
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.lifecycle import Status
from fapiao.domain.verification import RegistryStatus
from fapiao.invoicing import statements
from fapiao.invoicing.keys import verify
from fapiao.invoicing.ledger import event_append, invoice_digest
from fapiao.invoicing.models import Channel, Invoice, InvoiceLine, RedForm, SigningKey, Taxpayer


class RecoveryRefused(DomainError):
    code = "recovery_refused"


def _status(record: dict[str, Any]) -> Status:
    if record["status"] == RegistryStatus.VOIDED:
        return Status.VOIDED
    if record["status"] == RegistryStatus.RED:
        full = Decimal(record.get("red_total") or "0") >= Decimal(record["total"])
        return Status.RED_FULL if full else Status.RED_PARTIAL
    return Status.UPLOADED


@transaction.atomic
def invoice_recover(*, taxpayer: Taxpayer, record: dict[str, Any], actor: str) -> Invoice:
    """Store the registry ``record`` (with its ``content`` and ``signature``) as ``taxpayer``'s
    invoice; refused when it does not verify or refers to what this database does not hold."""
    locked = Taxpayer.objects.select_for_update().get(pk=taxpayer.pk)
    where = f"{record['code']}{record['number']}"
    try:
        return _recover(locked, record, actor, where)
    except RecoveryRefused:
        raise
    except (KeyError, TypeError, ValueError):  # not the shape of an invoice's content
        raise RecoveryRefused(
            Text("发票{0}的登记内容无法解读，未恢复", where), field="number"
        ) from None


def _recover(locked: Taxpayer, record: dict[str, Any], actor: str, where: str) -> Invoice:
    content = json.loads(record["content"])
    lines = content.pop("lines")
    fields = {f.attname for f in Invoice._meta.concrete_fields} - {"id", "status", "signature"}
    line_fields = {f.attname for f in InvoiceLine._meta.concrete_fields} - {"id", "invoice_id"}
    if set(content) != fields or any(set(line) != line_fields for line in lines):
        raise ValueError("not an invoice's content")
    if Invoice.objects.filter(taxpayer=locked, code=content["code"],
                              number=content["number"]).exists():  # fmt: skip
        raise RecoveryRefused(Text("发票{0}已在本地", where), field="number")
    if content["taxpayer_id"] != locked.pk:
        raise RecoveryRefused(Text("发票{0}不属于该纳税人", where), field="taxpayer")
    needed = [
        (Channel, content["channel_id"]), (SigningKey, content["signing_key_id"]),
        (Invoice, content.get("blue_id")), (RedForm, content.get("red_form_id")),
    ]  # fmt: skip
    for model, pk in needed:
        if pk is not None and not model.objects.filter(pk=pk).exists():
            raise RecoveryRefused(
                Text("发票{0}所依赖的记录不在本地，无法恢复", where), field="number"
            )
    content["issued_at"] = datetime.fromisoformat(content["issued_at"])
    content["issued_on"] = date.fromisoformat(content["issued_on"])
    status = _status(record)
    invoice = Invoice(**content, status=status, signature=record["signature"])
    made = [InvoiceLine(invoice=invoice, **line) for line in lines]
    signed = digest(json.loads(record["content"]))
    key = SigningKey.objects.get(pk=content["signing_key_id"])
    if invoice_digest(invoice, made) != signed or not verify(key, signed.encode(),
                                                             record["signature"]):  # fmt: skip
        raise RecoveryRefused(Text("发票{0}的内容与其签名不符，未恢复", where), field="number")
    invoice.save(force_insert=True)
    for line in made:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(made)
    invoice = Invoice.objects.get(pk=invoice.pk)  # as stored: decimals, not the JSON's text
    statements.summary_add(invoice, list(invoice.lines.all()), voided=status == Status.VOIDED)
    event_append(
        taxpayer=locked, type="invoice.recovered", actor=actor, at=timezone.now(), invoice=invoice,
        payload={"number": str(invoice), "digest": signed, "status": status.value,
                 "from": "registry"},
    )  # fmt: skip
    return invoice
