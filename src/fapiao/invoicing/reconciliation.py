"""Reconciliation (对账): every invoice the taxpayer's side and the authority's registry disagree
on, and which of them sending again repairs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fapiao.authority.client import AuthorityClient, authority_client, registry_records
from fapiao.domain.lifecycle import Status
from fapiao.invoicing.ledger import (
    event_append,
    invoice_digest,
)
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Invoice, Taxpayer, Upload
from fapiao.invoicing.uploads import upload_enqueue

_FACTS = ("kind", "issued_on", "amount", "tax", "total", "check_code")


STATUS_AT_AUTHORITY = {
    Status.VOIDED: "作废",
    Status.RED_FULL: "红冲",
    Status.RED_PARTIAL: "红冲",
}


@dataclass(frozen=True)
class Disagreement:
    invoice: str
    what: str  # 税务机关无记录 / 状态不一致 / 内容不一致 / 上传被拒绝 / 本地无此发票
    detail: str
    repairable: bool


def expected_status(invoice: Invoice) -> str:
    return STATUS_AT_AUTHORITY.get(Status(invoice.status), "正常")


def reconcile(taxpayer: Taxpayer, *, client: AuthorityClient | None = None) -> list[Disagreement]:
    """Every invoice the two sides disagree on ("发票未同步"). Invoices still waiting in the
    outbox are not counted as missing: they are on their way."""
    client = client or authority_client()
    theirs = {r["code"] + r["number"]: r for r in registry_records(client, taxpayer.tax_id)}
    waiting = set(
        Upload.objects.filter(taxpayer=taxpayer, answered_at__isnull=True).values_list(
            "invoice_id", flat=True
        )
    )
    refused = {
        row.invoice_id: row.last_error
        for row in Upload.objects.filter(taxpayer=taxpayer, accepted=False)
    }
    found: list[Disagreement] = []
    invoices = Invoice.objects.filter(taxpayer=taxpayer).prefetch_related("lines")
    for invoice in invoices.order_by("pk"):
        name = str(invoice)
        record = theirs.pop(name, None)
        if invoice.pk in waiting:
            continue
        if record is None:
            why = refused.get(invoice.pk)
            found.append(
                Disagreement(
                    name, "税务机关无记录", f"上传被拒绝：{why}" if why else "未上传", why is None
                )
            )
            continue
        ours = invoice_digest(invoice)
        wrong = [fact for fact in _FACTS if str(record[fact]) != _local_fact(invoice, fact)]
        if ours != record["digest"] or ours != record["signed_digest"] or wrong:
            detail = "、".join(wrong) if wrong else "登记的发票内容与本地不同"
            found.append(Disagreement(name, "内容不一致", detail, False))
        elif record["status"] != expected_status(invoice):
            found.append(
                Disagreement(
                    name,
                    "状态不一致",
                    f"本地{expected_status(invoice)}，税务机关{record['status']}",
                    record["status"] == "正常",
                )
            )
    found += [
        Disagreement(name, "本地无此发票", "税务机关登记了本地没有的发票", False) for name in theirs
    ]
    return found


def _local_fact(invoice: Invoice, fact: str) -> str:
    value = getattr(invoice, fact)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if fact == "issued_on":
        return str(value.isoformat())
    return str(value)


@transaction.atomic
def reconcile_repair(taxpayer: Taxpayer, found: list[Disagreement], *, actor: str) -> int:
    """Send again what re-sending can repair (missing records, a void the authority missed);
    the worker delivers them. Returns how many were queued."""
    locked = taxpayer_lock(taxpayer.pk)
    now = timezone.now()
    count = 0
    for item in found:
        if not item.repairable:
            continue
        invoice = _by_name(taxpayer, item.invoice)
        if invoice is None:
            continue
        event_append(
            taxpayer=locked,
            type="invoice.resent",
            actor=actor,
            at=now,
            invoice=invoice,
            payload={"number": str(invoice), "why": item.what},
        )
        upload_enqueue(locked, invoice, at=now, voided=invoice.status == Status.VOIDED)
        count += 1
    return count


def _by_name(taxpayer: Taxpayer, name: str) -> Invoice | None:
    for code_length in (0, 10, 12):
        code, number = name[:code_length], name[code_length:]
        found = Invoice.objects.filter(taxpayer=taxpayer, code=code, number=number).first()
        if found is not None:
            return found
    return None
