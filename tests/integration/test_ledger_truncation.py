"""A careful intruder deletes the newest invoice with its lines, events and upload row and
rewinds the history's head: ``ledger verify`` still finds it, from the numbers the channel has
used, and, when the counter is rewound too, from what the authority has received and the heads it
kept (存证)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from fapiao.authority.client import EmbeddedClient
from fapiao.authority.models import Anchor
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.models import (
    DigitalBlock,
    Event,
    Invoice,
    InvoiceLine,
    Taxpayer,
    Upload,
)
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.uploads import upload_flush
from tests.integration.world import World, make_world

pytestmark = pytest.mark.django_db
LINE = {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "100"}


def _issue(world: World, kind: str) -> Invoice:
    channel = world.digital if kind.startswith("DIGITAL") else world.device
    data = {"kind": kind, "buyer": {"name": "武汉某某有限公司"}, "lines": [LINE]}
    return invoice_issue(
        taxpayer=world.taxpayer,
        channel=channel,
        draft=parse_draft(data),
        request_id=None,
        actor="clerk",
    )


def _truncate(invoice: Invoice) -> None:
    """What the intruder does: the invoice and every trace of it gone, the head rewound."""
    taxpayer = Taxpayer.objects.get(pk=invoice.taxpayer_id)
    Upload.objects.filter(invoice=invoice).delete()
    first = Event.objects.filter(invoice=invoice).order_by("sequence").first()
    assert first is not None
    Event.objects.filter(taxpayer=taxpayer, sequence__gte=first.sequence).delete()
    before = Event.objects.get(taxpayer=taxpayer, sequence=first.sequence - 1)
    InvoiceLine.objects.filter(invoice=invoice).delete()
    Invoice.objects.filter(pk=invoice.pk).delete()
    Taxpayer.objects.filter(pk=taxpayer.pk).update(
        ledger_sequence=before.sequence, ledger_head=before.hash
    )


def _verify(*args: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    try:
        call_command("ledger", "verify", *args, "--json", stdout=out)
    except CommandError as error:
        return error.returncode, json.loads(out.getvalue())
    return 0, json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("kind", "missing"), [("VAT_ORDINARY_ELECTRONIC", 1003), ("DIGITAL_ORDINARY", 3)]
)
def test_a_deleted_newest_invoice_shows_as_a_used_number_without_invoice(
    kind: str, missing: int
) -> None:
    world = make_world(credit=None)
    for _ in range(3):
        _issue(world, kind)
    assert ledger_verify(world.taxpayer) == []
    assert _verify("--local")[0] == 0
    newest = Invoice.objects.order_by("-pk").first()
    assert newest is not None
    _truncate(newest)
    assert Event.objects.filter(taxpayer=world.taxpayer).count() > 0
    found = [p.what for p in ledger_verify(world.taxpayer)]
    assert found == [f"已用号码{missing}没有发票（共1个）"]
    code, answer = _verify("--local")
    assert code == 5 and [p["what"] for p in answer["problems"]] == found


def test_a_rewound_counter_is_found_by_what_the_authority_received() -> None:
    world = make_world(credit=None)
    for _ in range(2):
        _issue(world, "DIGITAL_ORDINARY")
    assert upload_flush().sent == 2
    newest = _issue(world, "DIGITAL_ORDINARY")
    assert upload_flush().sent == 1
    _truncate(newest)
    DigitalBlock.objects.filter(channel=world.digital).update(next_number=3)  # rewound as well
    assert ledger_verify(world.taxpayer) == []  # nothing left here to tell
    found = [p.what for p in ledger_verify(world.taxpayer, authority=EmbeddedClient())]
    sequence = Taxpayer.objects.get(pk=world.taxpayer.pk).ledger_sequence
    assert found[0].startswith("税务机关已收到事件#") and found[0].endswith(f"只到#{sequence}")
    # the head kept by the authority (存证) with the last upload is beyond the rewound one
    anchored = Anchor.objects.filter(chain="history").latest("sequence").sequence
    assert found[1:] == [
        "税务机关已登记，本地没有",
        f"税务机关已存证到#{anchored}，本地只到#{sequence}",
    ]
    code, answer = _verify()
    assert code == 5 and [p["where"] for p in answer["problems"]] == [
        "链头",
        f"发票{newest}",
        f"存证事件#{anchored}",
    ]
