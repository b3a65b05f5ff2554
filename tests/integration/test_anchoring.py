"""存证: the history's and the audit log's heads reach the authority with each upload batch and
daily; a database administrator who rewrites a whole chain and its head consistently, so that
the chain verifies on its own, is still found out by ``ledger verify``."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from fapiao.authority.client import EmbeddedClient, Unreachable
from fapiao.authority.models import Anchor, Risk
from fapiao.invoicing.anchoring import anchor_round, anchor_send
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.ledger import _event_hash, ledger_verify
from fapiao.invoicing.models import Event, Invoice, Taxpayer, UploadLease
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.uploads import upload_flush
from fapiao.security.audit import _hash as audit_hash
from fapiao.security.audit import audit_append, audit_verify
from fapiao.security.models import AuditEvent, AuditHead
from tests.integration.world import World, make_world

pytestmark = pytest.mark.django_db
LINE = {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "100"}


@pytest.fixture
def world() -> World:
    return make_world(credit=None)


def _issue(world: World) -> Invoice:
    data = {"kind": "DIGITAL_ORDINARY", "buyer": {"name": "武汉某某有限公司"}, "lines": [LINE]}
    return invoice_issue(taxpayer=world.taxpayer, channel=world.digital,
                         draft=parse_draft(data), request_id=None, actor="clerk")  # fmt: skip


def _verify() -> tuple[int, list[str]]:
    out = io.StringIO()
    try:
        call_command("ledger", "verify", "--json", stdout=out)
    except CommandError as error:
        return error.returncode, [p["what"] for p in json.loads(out.getvalue())["problems"]]
    return 0, []


def _rewrite_history(taxpayer: Taxpayer, change: Any) -> None:
    """What the administrator does: change an event, then recompute every hash after it and
    the head, so that the chain is consistent again."""
    previous = "0" * 64
    for event in Event.objects.filter(taxpayer=taxpayer).order_by("sequence"):
        change(event)
        event.previous_hash = previous
        event.hash = previous = _event_hash(event)
        event.save()
    Taxpayer.objects.filter(pk=taxpayer.pk).update(ledger_head=previous)


def test_the_heads_go_with_each_upload_batch_and_a_normal_day_verifies(world: World) -> None:
    _issue(world)
    audit_append("export", actor="clerk", taxpayer=world.taxpayer, payload={"what": "invoices"})
    assert upload_flush().accepted == 1
    taxpayer = Taxpayer.objects.get(pk=world.taxpayer.pk)
    kept = {(a.chain, a.sequence, a.head) for a in Anchor.objects.all()}
    head = AuditHead.objects.get(pk=1)
    # the history's head after the receipts' events were appended is sent with the batch
    assert kept == {
        ("history", taxpayer.ledger_sequence, taxpayer.ledger_head),
        ("audit", head.sequence, head.head),
    }
    assert UploadLease.objects.get(taxpayer=taxpayer).anchored_at is not None
    assert ledger_verify(taxpayer, authority=EmbeddedClient()) == []
    assert _verify() == (0, [])


def test_a_whole_history_rewritten_consistently_is_found_by_the_anchors(world: World) -> None:
    invoice = _issue(world)
    assert upload_flush().accepted == 1
    _issue(world)
    taxpayer = Taxpayer.objects.get(pk=world.taxpayer.pk)

    def actor(event: Event) -> None:
        if event.invoice_id == invoice.pk:
            event.actor = "someone-else"

    _rewrite_history(taxpayer, actor)
    taxpayer = Taxpayer.objects.get(pk=world.taxpayer.pk)
    assert ledger_verify(taxpayer) == []  # on its own, the chain is consistent
    found = [p.what for p in ledger_verify(taxpayer, authority=EmbeddedClient())]
    assert found == ["与税务机关存证的链头不一致：链已被改写"]
    assert _verify() == (5, found)
    # the rewritten chain's new head is kept beside the old ones: it does not excuse them
    assert anchor_send(taxpayer) == []
    assert [p.what for p in ledger_verify(taxpayer, authority=EmbeddedClient())] == found


def test_a_rewritten_audit_log_is_found_by_the_anchors(world: World) -> None:
    audit_append("login.ok", actor="clerk", payload={})
    audit_append("export", actor="clerk", taxpayer=world.taxpayer, payload={"rows": 10})
    assert anchor_send(world.taxpayer) == []
    previous = "0" * 64
    for event in AuditEvent.objects.order_by("sequence"):
        if event.type == "export":
            event.payload = {"rows": 1}
        event.previous_hash = previous
        event.hash = previous = audit_hash(event)
        event.save()
    AuditHead.objects.filter(pk=1).update(head=previous)
    assert audit_verify() == []  # consistent on its own
    found = [p.what for p in ledger_verify(world.taxpayer, authority=EmbeddedClient())]
    assert found == ["与税务机关存证的链头不一致：链已被改写"]
    assert [p.where for p in ledger_verify(world.taxpayer, authority=EmbeddedClient())] == [
        f"存证审计事件#{AuditHead.objects.get(pk=1).sequence}"
    ]


def test_a_head_that_contradicts_a_kept_one_is_refused_and_raised(world: World) -> None:
    _issue(world)
    assert anchor_send(world.taxpayer) == []
    Taxpayer.objects.filter(pk=world.taxpayer.pk).update(ledger_head="f" * 64)
    refused = anchor_send(world.taxpayer)
    assert len(refused) == 1 and "与税务机关已存证的不一致" in refused[0]
    assert Risk.objects.filter(kind="chain_rewritten").count() == 1
    assert UploadLease.objects.get(taxpayer=world.taxpayer).anchor_error == refused[0]
    # a restart (after a restore) supersedes what was kept from there on, and is raised too
    assert anchor_send(world.taxpayer, restart=True) == []
    assert Risk.objects.filter(kind="chain_restarted").exists()
    kept = Anchor.objects.filter(chain="history", superseded_at__isnull=True).get()
    assert kept.head == "f" * 64 and kept.restart


def test_the_daily_round_anchors_a_taxpayer_that_uploaded_nothing(world: World) -> None:
    _issue(world)
    now = timezone.now()
    assert anchor_round(now=now) == 1
    assert anchor_round(now=now + timedelta(hours=1)) == 0  # sent within the day
    assert anchor_round(now=now + timedelta(hours=25)) == 1
    assert Anchor.objects.filter(chain="history").count() == 1  # the same head, kept once


def test_a_forged_anchor_signature_is_reported(world: World) -> None:
    _issue(world)
    assert anchor_send(world.taxpayer) == []
    Anchor.objects.filter(chain="history").update(signature="AAAA")
    found = [p.what for p in ledger_verify(world.taxpayer, authority=EmbeddedClient())]
    assert found == ["税务机关存证的签名无效"]


class AnchorsDown(EmbeddedClient):
    """An authority that answers uploads but cannot take heads."""

    def anchor(self, *, tax_id: str, name: str, heads: list[dict[str, Any]]) -> dict[str, Any]:
        raise Unreachable("存证服务暂不可用")


def test_heads_that_fail_to_go_do_not_hold_back_the_next_uploads(world: World) -> None:
    _issue(world)
    assert upload_flush(client=AnchorsDown()).accepted == 1
    lease = UploadLease.objects.get(taxpayer=world.taxpayer)
    assert (lease.failures, lease.retry_at, lease.last_error) == (0, None, "")
    assert lease.anchored_at is None and lease.anchor_error == "存证未送达：存证服务暂不可用"
    assert not Anchor.objects.exists()
    _issue(world)  # at once: no pause for the failed anchoring
    assert upload_flush().accepted == 1
    lease.refresh_from_db()
    assert lease.anchored_at is not None and lease.anchor_error == ""
    assert Anchor.objects.filter(chain="history").count() == 1
