"""Exact statement counts of the hot paths (as Zulip asserts them): issuing on a device and on a
数电 channel, a 查验 and an upload batch. Both what Django's ORM sends and what the project's
statement builder sends are counted, per database; a change that adds a statement to a hot
path fails here and says so."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fapiao.authority.checking import check
from fapiao.core import fastsql
from fapiao.domain.verification import build_query
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import Invoice
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.uploads import upload_flush
from tests.integration.world import World, make_world

pytestmark = pytest.mark.django_db
LINE = {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "100"}


@dataclass
class Counted:
    orm: int = 0
    fast: int = 0


@contextmanager
def counted() -> Iterator[Counted]:
    result = Counted()
    before = fastsql.SENT[0]
    with CaptureQueriesContext(connection) as orm:
        yield result
    result.orm, result.fast = len(orm.captured_queries), fastsql.SENT[0] - before


def _issue(world: World, kind: str, n: int) -> Invoice:
    channel = world.digital if kind.startswith("DIGITAL") else world.device
    data = {"kind": kind, "buyer": {"name": f"客户{n}有限公司"}, "lines": [LINE]}
    return invoice_issue(taxpayer=world.taxpayer, channel=channel, draft=parse_draft(data),
                         request_id=f"r-{kind}-{n}", actor="clerk")  # fmt: skip


#: (ORM, statement builder) per database. On PostgreSQL issuing's writes travel as one
#: pipelined statement and 查验 is one statement; issuing's two ORM statements are its
#: transaction's own (on SQLite ``BEGIN IMMEDIATE`` and ``COMMIT``). Two of issuing's
#: statements keep the reports' day sums (the invoice's and its lines'). Eight of an upload
#: batch's statements send the chains' heads (存证) to the embedded authority and keep them there.
EXPECTED: dict[str, dict[str, tuple[int, int]]] = {
    "issue on a device": {"sqlite": (2, 11), "postgresql": (2, 5)},
    "issue on a 数电 channel": {"sqlite": (2, 11), "postgresql": (2, 4)},
    "查验": {"sqlite": (0, 3), "postgresql": (0, 1)},
    "upload a batch of 5": {"sqlite": (27, 7), "postgresql": (27, 7)},
}


def test_the_hot_paths_send_an_exact_number_of_statements(settings: Any) -> None:
    settings.FAPIAO_DIGITAL_BLOCK = 100
    world = make_world(credit=None, stock=20)
    # warm: the first of each caches what it may (keys, the channel's first 数电 block)
    _issue(world, "VAT_ORDINARY_ELECTRONIC", 0)
    blue = _issue(world, "DIGITAL_ORDINARY", 0)
    upload_flush()
    found: dict[str, tuple[int, int]] = {}
    with counted() as device:
        _issue(world, "VAT_ORDINARY_ELECTRONIC", 1)
    found["issue on a device"] = (device.orm, device.fast)
    with counted() as digital:
        _issue(world, "DIGITAL_ORDINARY", 1)
    found["issue on a 数电 channel"] = (digital.orm, digital.fast)
    query = build_query(code="", number=blue.number, issued_on=blue.issued_on, total=blue.total)
    check(query, client="10.0.0.1")
    with counted() as verified:
        assert check(query, client="10.0.0.1").outcome.value == "一致"
    found["查验"] = (verified.orm, verified.fast)
    for n in range(2, 7):
        _issue(world, "VAT_ORDINARY_ELECTRONIC", n)
    upload_flush()  # what issuing above queued, sent
    for n in range(7, 12):
        _issue(world, "VAT_ORDINARY_ELECTRONIC", n)
    with counted() as uploaded:
        assert upload_flush().sent == 5
    found["upload a batch of 5"] = (uploaded.orm, uploaded.fast)
    assert found == {label: by[connection.vendor] for label, by in EXPECTED.items()}
