"""After a restore, no number issued since the snapshot may be issued again. The authority's
registry knows what was uploaded after it: those invoices are brought back from what the
registry kept (content and signature), every stock segment's counter moves past the highest
number it has seen, and every 数电 block taken before the restore is closed (an invoice issued
but not yet uploaded is visible to nobody). The authority is told the chains restart from the
snapshot's heads (存证)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fapiao.authority.client import Unreachable, authority_client, registry_records
from fapiao.domain.errors import DomainError
from fapiao.invoicing.anchoring import anchor_send
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.models import DigitalBlock, Invoice, StockSegment, Taxpayer
from fapiao.invoicing.recovery import invoice_recover

SHOWN = 50  # the invoices named in the report; the rest are counted


def renumber(authority: Any = None) -> dict[str, Any]:
    client = authority or authority_client()
    report: dict[str, Any] = {"after_snapshot": 0, "recovered": 0, "invoices": [],
                              "not_recovered": [], "segments_moved": 0,
                              "digital_blocks_closed": 0, "problems": []}  # fmt: skip
    for taxpayer in Taxpayer.objects.order_by("pk"):
        try:
            # 存证: the restored chains go on from the snapshot's heads; what the authority
            # kept after them no longer counts (and it learns of the restore)
            anchor_send(taxpayer, client=client, restart=True)
            seen = registry_records(client, taxpayer.tax_id, content=True)
        except (Unreachable, DomainError, OSError) as error:
            report["problems"].append(
                f"{taxpayer}：无法向税务机关核对恢复后的号码（{error}），请在恢复网络后运行 "
                "fapiao backup renumber，在此之前不要开具发票"
            )
            continue
        local = set(Invoice.objects.filter(taxpayer=taxpayer).values_list("code", "number"))
        missing = [r for r in seen if (r["code"], r["number"]) not in local]
        report["after_snapshot"] += len(missing)
        report["invoices"] += [
            {"taxpayer": taxpayer.tax_id, "code": r["code"], "number": r["number"],
             "issued_on": r["issued_on"], "total": r["total"]}
            for r in missing[: max(0, SHOWN - len(report["invoices"]))]
        ]  # fmt: skip
        for record in missing:
            try:
                invoice_recover(taxpayer=taxpayer, record=record, actor="system")
                report["recovered"] += 1
            except DomainError as refused:
                report["not_recovered"].append(str(refused.message))
        with transaction.atomic():
            locked = Taxpayer.objects.select_for_update().get(pk=taxpayer.pk)
            report["segments_moved"] += _segments(locked, seen)
            open_blocks = DigitalBlock.objects.select_for_update().filter(
                channel__taxpayer=taxpayer, next_number__lte=F("last")
            )
            for block in open_blocks:
                _skip(locked, block, block.prefix, block.last + 1)
                report["digital_blocks_closed"] += 1
    return report


def _skip(taxpayer: Taxpayer, counter: Any, key: str, past: int) -> None:
    """Move ``counter`` (a stock segment or a 数电 block) on to ``past``, with the history's
    word for the numbers skipped, so that the ledger knows why they have no invoice here."""
    event_append(
        taxpayer=taxpayer, type="numbers.skipped", actor="system", at=timezone.now(),
        payload={"key": key, "from": counter.next_number, "to": past - 1, "reason": "restore"},
    )  # fmt: skip
    counter.next_number = past
    counter.save(update_fields=["next_number"])


def _segments(taxpayer: Taxpayer, seen: list[dict[str, Any]]) -> int:
    highest: dict[str, int] = {}
    for record in seen:
        if record["code"] and record["number"].isdigit():
            highest[record["code"]] = max(highest.get(record["code"], 0), int(record["number"]))
    moved = 0
    for segment in StockSegment.objects.select_for_update().filter(
        channel__taxpayer=taxpayer, code__in=highest
    ):
        top = highest[segment.code]
        if segment.first <= top <= segment.last and segment.next_number <= top:
            _skip(taxpayer, segment, segment.code, top + 1)
            moved += 1
    return moved
