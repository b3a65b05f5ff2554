"""存证: the heads of each taxpayer's history and of the audit log reach the authority with each
upload batch, and at least daily when nothing is uploaded; ``ledger verify`` then checks both
chains against what the authority kept (:mod:`fapiao.authority.anchors`), so that a database
administrator who rewrites a whole chain and its head consistently is still found out."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from fapiao.authority.client import AuthorityClient, Unreachable, anchored_heads, authority_client
from fapiao.core.signing import signed_answer_valid
from fapiao.domain.errors import DomainError
from fapiao.invoicing.models import Event, Taxpayer, UploadLease
from fapiao.jobs.services import periodic
from fapiao.security.models import AuditEvent, AuditHead

log = logging.getLogger(__name__)
#: how long a taxpayer's heads may go without reaching the authority
DAILY = timedelta(hours=24)


def heads_of(taxpayer: Taxpayer, *, restart: bool = False) -> list[dict[str, Any]]:
    """The taxpayer's history head and the audit log's head, as the authority keeps them."""
    audit = AuditHead.objects.filter(pk=1).first()
    heads = [
        {"chain": "history", "sequence": taxpayer.ledger_sequence, "head": taxpayer.ledger_head},
        {"chain": "audit", "sequence": audit.sequence if audit else 0,
         "head": audit.head if audit else "0" * 64},
    ]  # fmt: skip
    return [{**head, "restart": restart} for head in heads]


def anchor_heads(
    taxpayer: Taxpayer, client: AuthorityClient, *, restart: bool = False
) -> list[str]:
    """Send the taxpayer's heads now; what the authority objected to (empty when it kept them).
    ``restart`` (after a restore) says the chains go on from here."""
    taxpayer = Taxpayer.objects.get(pk=taxpayer.pk)  # the stored heads
    answer = client.anchor(
        tax_id=taxpayer.tax_id, name=taxpayer.name, heads=heads_of(taxpayer, restart=restart)
    )
    return [str(a.get("error", "")) for a in answer.get("anchors", []) if "error" in a]


def anchor_send(
    taxpayer: Taxpayer,
    *,
    client: AuthorityClient | None = None,
    now: datetime | None = None,
    restart: bool = False,
) -> list[str]:
    """:func:`anchor_heads`, and when and with what objection, kept on the upload lease."""
    refused = anchor_heads(taxpayer, client or authority_client(), restart=restart)
    lease, _ = UploadLease.objects.get_or_create(taxpayer_id=taxpayer.pk)
    anchored_on(lease, refused, now or timezone.now())
    lease.save(update_fields=["anchored_at", "anchor_error"])
    return refused


def anchored_on(lease: UploadLease, refused: list[str], now: datetime) -> None:
    """Note on the (unsaved) lease that the heads reached the authority now, and its
    objections."""
    lease.anchored_at, lease.anchor_error = now, "；".join(refused)[:500]


@periodic
def anchor_round(now: datetime | None = None) -> int:
    """The worker's round: every taxpayer whose heads have not reached the authority for a day
    sends them; how many did."""
    now = now or timezone.now()
    recent = UploadLease.objects.filter(anchored_at__gte=now - DAILY).values("taxpayer_id")
    sent = 0
    for taxpayer in Taxpayer.objects.filter(ledger_sequence__gt=0).exclude(pk__in=recent):
        try:
            anchor_send(taxpayer, now=now)
            sent += 1
        except (Unreachable, DomainError) as error:
            log.warning("anchoring of taxpayer %s waits: %s", taxpayer.pk, error)
    return sent


def anchors_check(taxpayer: Taxpayer, authority: AuthorityClient) -> list[tuple[str, str]]:
    """(where, what) for each head the authority kept that the chains here no longer pass
    through, or whose signature does not verify."""
    key = authority.public_key()
    ours = {
        "history": (
            taxpayer.ledger_sequence,
            lambda sequences: dict(
                Event.objects.filter(taxpayer=taxpayer, sequence__in=sequences).values_list(
                    "sequence", "hash"
                )
            ),
            "事件",
        ),
        "audit": (
            (AuditHead.objects.filter(pk=1).values_list("sequence", flat=True).first() or 0),
            lambda sequences: dict(
                AuditEvent.objects.filter(sequence__in=sequences).values_list("sequence", "hash")
            ),
            "审计事件",
        ),
    }
    problems: list[tuple[str, str]] = []
    for chain, (end, hashes_of, noun) in ours.items():
        kept = anchored_heads(authority, taxpayer.tax_id, chain)
        hashes = hashes_of([int(head["sequence"]) for head in kept])
        for head in kept:
            sequence, where = int(head["sequence"]), f"存证{noun}#{head['sequence']}"
            signed = {name: value for name, value in head.items() if name != "signature"}
            if not signed_answer_valid(
                {**signed, "tax_id": taxpayer.tax_id, "signature": head["signature"]}, key
            ):
                problems.append((where, "税务机关存证的签名无效"))
            elif sequence > end:
                problems.append((where, f"税务机关已存证到#{sequence}，本地只到#{end}"))
            elif hashes.get(sequence) != head["head"]:
                problems.append((where, "与税务机关存证的链头不一致：链已被改写"))
    return problems
