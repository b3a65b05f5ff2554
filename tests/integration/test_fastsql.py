"""The issuing hot path's statements (fastsql) store what the ORM would store, and their
pipeline keeps the order of what it holds back (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from fapiao.core import fastsql
from fapiao.invoicing import statements
from fapiao.invoicing.models import Counter, Event, Invoice, SigningKey, Taxpayer
from tests.integration.world import make_world

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 24, 9, 5, 7, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def taxpayer() -> Taxpayer:
    return make_world().taxpayer


@pytest.mark.parametrize("rows", [3, fastsql.JSON_ROWS + 3], ids=["few", "many"])
def test_rows_written_together_read_back_as_the_orm_wrote_them(
    taxpayer: Taxpayer, rows: int
) -> None:
    kinds = [
        {"number": "26420000000000000001", "total": "1060.00", "note": '含"引号"与\\反斜杠'},
        {"nested": {"list": [1, 2.5, None, True]}, "empty": ""},
        {},
    ]
    payloads = [kinds[n % 3] for n in range(rows)]
    events = [
        Event(
            taxpayer=taxpayer, sequence=1000 + n, type="test.row", actor="测试", at=AT,
            payload=payload, previous_hash="0" * 64, hash=f"{n:064d}",
        )
        for n, payload in enumerate(payloads)
    ]  # fmt: skip
    fastsql.insert(events)
    assert all(event.pk is not None for event in events)
    stored = list(Event.objects.filter(type="test.row").order_by("sequence"))
    assert [e.pk for e in stored] == [e.pk for e in events]
    assert [e.payload for e in stored] == payloads
    assert {e.at for e in stored} == {AT}
    assert [e.actor for e in stored] == ["测试"] * rows

    keys = [
        SigningKey(
            taxpayer=taxpayer, algorithm="test", public_key=bytes([n, 0, 255, 92]),
            private_key=b"\x00\\x" + bytes(range(n, n + 40)), created_at=AT, active=False,
        )
        for n in range(rows)
    ]  # fmt: skip
    fastsql.insert(keys, keys=False)
    stored_keys = SigningKey.objects.filter(algorithm="test").order_by("public_key")
    assert [(bytes(k.public_key), bytes(k.private_key), k.active) for k in stored_keys] == [
        (bytes(k.public_key), bytes(k.private_key), False) for k in keys
    ]


def test_a_held_write_is_sent_before_a_write_of_its_table(taxpayer: Taxpayer) -> None:
    # statements held in a pipeline run together on one snapshot: an update of a table a held
    # insert writes must see that row, so the insert goes first
    counters = Counter._meta.db_table
    with transaction.atomic(), fastsql.pipeline():
        fastsql.insert([Counter(taxpayer=taxpayer, series="held", next_value=1)], keys=False)
        fastsql.execute(
            f"UPDATE {counters} SET next_value = next_value + 41 "
            "WHERE taxpayer_id = %s AND series = %s",
            [taxpayer.pk, "held"],
        )
        fastsql.insert([Counter(taxpayer=taxpayer, series="other", next_value=7)], keys=False)
        fastsql.update(taxpayer, "ledger_sequence", "ledger_head")
        taken = statements.counter_ask(taxpayer_id=taxpayer.pk, series="held")
        assert taken() == 42
    assert Counter.objects.get(series="held").next_value == 43
    assert Counter.objects.get(series="other").next_value == 7


def test_writes_held_when_the_block_fails_are_not_sent(taxpayer: Taxpayer) -> None:
    def fail() -> None:
        with transaction.atomic(), fastsql.pipeline():
            fastsql.insert([Counter(taxpayer=taxpayer, series="lost", next_value=1)], keys=False)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail()
    assert not Counter.objects.filter(series="lost").exists()


def test_reserved_keys_are_each_used_once() -> None:
    taken = [fastsql.reserve_key(Invoice)() for _ in range(fastsql.KEYS_AHEAD * 2 + 3)]
    if connection.vendor != "postgresql":
        assert set(taken) == {None}  # the insert returns the key there
        return
    assert len(set(taken)) == len(taken)
    assert taken == sorted(taken)  # one process: in the sequence's order
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('invoicing_invoice', 'id'))")
        assert cursor.fetchone()[0] > max(taken)  # type: ignore[index]
