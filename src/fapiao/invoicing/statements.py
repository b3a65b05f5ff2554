"""The issuing hot path's own statements, on :mod:`fapiao.core.fastsql`: the next number of
a stock segment or a 数电 block, running counters, the month's credit use. Each is one
statement; the caller holds the taxpayer's lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection, models

from fapiao.core.fastsql import ask, execute
from fapiao.invoicing.models import Counter, CreditUse, DigitalBlock, StockSegment, Taxpayer


def _next_of(
    model: type[models.Model], where: str, order: str, returning: str, params: list[Any]
) -> Callable[[], list[tuple[Any, ...]]]:
    """Take the next number of the first row (by ``order``) of a table of number segments that
    matches ``where`` and has one left, in one statement (see :func:`ask`)."""
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    return ask(
        f"UPDATE {table} SET next_number = next_number + 1 WHERE id = ("  # noqa: S608
        f" SELECT id FROM {table} WHERE {where} AND next_number <= {q('last')}"
        f" ORDER BY {order} LIMIT 1) RETURNING {returning}",
        params,
    )


def number_ask(*, channel_id: int, kind: str) -> Callable[[], tuple[str, int] | None]:
    """Ask for the next number of the channel's oldest segment of ``kind`` that has one left,
    in one statement, and return how to read it (see :func:`ask`): code and number, or
    ``None`` when the stock is used up. The caller holds the taxpayer's lock."""
    rows = _next_of(
        StockSegment, "channel_id = %s AND kind = %s",
        f"received_at, {connection.ops.quote_name('first')}", "code, next_number - 1",
        [channel_id, kind],
    )  # fmt: skip

    def taken() -> tuple[str, int] | None:
        found = rows()
        return (found[0][0], found[0][1]) if found else None

    return taken


def digital_ask(*, channel_id: int, year: int) -> Callable[[], tuple[str, int] | None]:
    """:func:`number_ask` for a 数电 channel: the prefix and sequence of the next number of its
    oldest block of ``year`` with one left, or ``None``."""
    rows = _next_of(
        DigitalBlock, "channel_id = %s AND year = %s", connection.ops.quote_name("first"),
        "prefix, next_number - 1", [channel_id, year],
    )  # fmt: skip

    def taken() -> tuple[str, int] | None:
        found = rows()
        return (found[0][0], int(found[0][1])) if found else None

    return taken


def credit_add(*, channel_id: int, month: Any, amount: Any) -> None:
    """Add ``amount`` to the channel's credit use of ``month`` (made at 0), in one statement;
    the caller holds the taxpayer's lock."""
    table = connection.ops.quote_name(CreditUse._meta.db_table)
    ops = connection.ops
    execute(
        f"INSERT INTO {table} (channel_id, month, used) VALUES (%s, %s, %s) "  # noqa: S608
        f"ON CONFLICT (channel_id, month) DO UPDATE SET used = {table}.used + EXCLUDED.used",
        [channel_id, ops.adapt_datefield_value(month), ops.adapt_decimalfield_value(amount, 18, 2)],
    )


def counter_ask(*, taxpayer_id: int, series: str) -> Callable[[], int]:
    """Ask for the next value of a running number (starting at 1), in one statement, and
    return how to read it (see :func:`ask`); the caller holds the taxpayer's lock."""
    table = connection.ops.quote_name(Counter._meta.db_table)
    rows = ask(
        f"INSERT INTO {table} (taxpayer_id, series, next_value) VALUES (%s, %s, 2) "  # noqa: S608
        f"ON CONFLICT (taxpayer_id, series) DO UPDATE SET next_value = {table}.next_value + 1 "
        "RETURNING next_value - 1",
        [taxpayer_id, series],
    )
    return lambda: int(rows()[0][0])


def counter_next(taxpayer: Taxpayer, series: str) -> int:
    """The next value of a gapless running number; the caller holds the taxpayer's lock."""
    return counter_ask(taxpayer_id=taxpayer.pk, series=series)()
