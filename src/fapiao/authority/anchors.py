"""存证: the heads of a taxpayer's chains (its history, and the audit log of the system it
uses) kept by the authority and signed, as they arrive with each upload batch and at least once a
day. A chain rewritten later, however consistently, no longer passes through what was kept here.

A head at a sequence already kept with another hash is refused and raised as a risk. After a
restore, the taxpayer side says from which sequence its chain goes on (``restart``): the heads
kept after that point are superseded, and the restart itself is kept and raised as a risk.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from fapiao.authority.keyring import authority_sign
from fapiao.authority.models import Anchor
from fapiao.authority.services import AuthorityRefused, registered, risk_add

CHAINS = ("history", "audit")
_HEAD = re.compile(r"[0-9a-f]{64}")
PAGE = 1000


def _facts(anchor: Anchor) -> dict[str, Any]:
    return {
        "chain": anchor.chain, "sequence": anchor.sequence, "head": anchor.head,
        "restart": anchor.restart, "received_at": anchor.received_at.astimezone(UTC).isoformat(),
    }  # fmt: skip


def _head_of(value: dict[str, Any]) -> tuple[str, int, str, bool]:
    chain, head = str(value.get("chain", "")), str(value.get("head", ""))
    try:
        sequence = int(value.get("sequence", -1))
    except (TypeError, ValueError):
        sequence = -1
    if chain not in CHAINS or sequence < 0 or not _HEAD.fullmatch(head):
        raise AuthorityRefused("存证的链头格式错误", field="heads")
    return chain, sequence, head, bool(value.get("restart", False))


def anchors_receive(
    *, tax_id: str, name: str, heads: list[dict[str, Any]], now: datetime | None = None
) -> dict[str, Any]:
    """Keep each head (``{"chain", "sequence", "head", "restart"}``); the answer lists each one
    as kept, each signed, and a refusal for a head that contradicts one kept before."""
    now = now or timezone.now()
    parsed = [head for head in map(_head_of, heads) if head[1] > 0]  # an empty chain: nothing
    answers: list[dict[str, Any]] = []
    with transaction.atomic():
        taxpayer = registered(tax_id, name)
        for chain, sequence, _, restart in parsed:
            if restart:  # the heads kept from the restart point on no longer count
                Anchor.objects.filter(
                    taxpayer=taxpayer, chain=chain, sequence__gte=sequence,
                    superseded_at__isnull=True,
                ).update(superseded_at=now)  # fmt: skip
                risk_add(taxpayer, "chain_restarted", now, chain=chain, sequence=sequence)
        kept = {
            (a.chain, a.sequence): a
            for a in Anchor.objects.filter(
                taxpayer=taxpayer, superseded_at__isnull=True,
                sequence__in=[sequence for _, sequence, _, _ in parsed],
            )
        }  # fmt: skip
        made = []
        for chain, sequence, head, restart in parsed:
            earlier = kept.get((chain, sequence))
            if earlier is None:
                earlier = Anchor(taxpayer=taxpayer, chain=chain, sequence=sequence, head=head,
                                 restart=restart, received_at=now)  # fmt: skip
                earlier.signature = authority_sign(_facts(earlier) | {"tax_id": tax_id})
                kept[chain, sequence] = earlier
                made.append(earlier)
            if earlier.head == head:
                answers.append({**_facts(earlier), "signature": earlier.signature})
                continue
            risk_add(taxpayer, "chain_rewritten", now, chain=chain, sequence=sequence,
                     kept=earlier.head, sent=head)  # fmt: skip
            answers.append({"chain": chain, "sequence": sequence, "accepted": False,
                            "error": f"第{sequence}号链头与税务机关已存证的不一致"})  # fmt: skip
        Anchor.objects.bulk_create(made)
    return {"anchors": answers}


def anchors_list(*, tax_id: str, chain: str, after: int = 0) -> dict[str, Any]:
    """One page of the heads kept for the taxpayer's ``chain`` that still count, in the order
    they arrived, each with its signature (over its facts and the tax id); ``next`` pages on."""
    rows = list(
        Anchor.objects.filter(
            taxpayer__tax_id=tax_id, chain=chain, superseded_at__isnull=True, pk__gt=after
        ).order_by("pk")[:PAGE]
    )
    return {
        "anchors": [{**_facts(row), "signature": row.signature} for row in rows],
        "next": rows[-1].pk if len(rows) == PAGE else None,
    }
