"""The issuing hot path's own statements, on :mod:`fapiao.core.fastsql`: the next number of
a stock segment or a 数电 block, running counters, the month's credit use. Each is one
statement; the caller holds the taxpayer's lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection, models

from fapiao.core.fastsql import ask, execute
from fapiao.invoicing.models import (
    Counter,
    CreditUse,
    DaySum,
    DigitalBlock,
    LineSum,
    StockSegment,
    Taxpayer,
)


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


def summary_add(invoice: Any, lines: Any, *, sign: int = 1, voided: bool = False) -> None:
    """Add ``invoice`` (and, unless ``voided``, its ``lines``) to the day's sums, or take it
    away with ``sign`` −1: two statements; the caller holds the taxpayer's lock."""
    ops = connection.ops
    q = ops.quote_name

    def money(value: Any) -> Any:
        return ops.adapt_decimalfield_value(value * sign, 18, 2)

    day = ops.adapt_datefield_value(invoice.issued_on)
    table = q(DaySum._meta.db_table)
    keys = "taxpayer_id, day, kind, channel_id, drawer, buyer_name, red, voided"
    execute(
        f"INSERT INTO {table} ({keys}, n, amount, tax, total) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT ({keys}) DO UPDATE SET n = {table}.n + EXCLUDED.n, "
        f"amount = {table}.amount + EXCLUDED.amount, tax = {table}.tax + EXCLUDED.tax, "
        f"total = {table}.total + EXCLUDED.total",
        [invoice.taxpayer_id, day, invoice.kind, invoice.channel_id, invoice.drawer,
         invoice.buyer_name, invoice.red, voided, sign, money(invoice.amount),
         money(invoice.tax), money(invoice.total)],
    )  # fmt: skip
    if voided:
        return
    groups: dict[tuple[str, str], list[Any]] = {}
    for line in lines:
        for dimension, key in (("rate", line.rate), ("product", line.tax_code)):
            found = groups.setdefault((dimension, key), [line.short_name, 0, 0])
            found[1] += line.amount
            found[2] += line.tax
    if not groups:
        return
    table = q(LineSum._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(groups))
    params: list[Any] = []
    for (dimension, key), (short_name, amount, tax) in groups.items():
        params += [invoice.taxpayer_id, day, dimension, key, short_name, sign, money(amount),
                   money(tax)]  # fmt: skip
    execute(
        f"INSERT INTO {table} (taxpayer_id, day, dimension, {q('key')}, short_name, n, amount, "  # noqa: S608
        f"tax) VALUES {rows} ON CONFLICT (taxpayer_id, day, dimension, {q('key')}) DO UPDATE "
        f"SET n = {table}.n + EXCLUDED.n, amount = {table}.amount + EXCLUDED.amount, "
        f"tax = {table}.tax + EXCLUDED.tax, short_name = EXCLUDED.short_name",
        params,
    )


def summaries_rebuild(taxpayer_id: int | None = None) -> None:
    """The day sums made again from the invoices (of one taxpayer, or all): for data written
    around the services (a migration, a bulk load)."""
    where = "" if taxpayer_id is None else "WHERE i.taxpayer_id = %s"
    params = [] if taxpayer_id is None else [taxpayer_id]
    q = connection.ops.quote_name
    days, lines = q(DaySum._meta.db_table), q(LineSum._meta.db_table)
    voided = "(i.status = 'voided')"
    with connection.cursor() as cursor:
        for table in (days, lines):
            cursor.execute(f"DELETE FROM {table} " + (  # noqa: S608
                "" if taxpayer_id is None else "WHERE taxpayer_id = %s"), params)  # fmt: skip
        cursor.execute(
            f"INSERT INTO {days} (taxpayer_id, day, kind, channel_id, drawer, buyer_name, red, "  # noqa: S608
            "voided, n, amount, tax, total) SELECT i.taxpayer_id, i.issued_on, i.kind, "
            f"i.channel_id, i.drawer, i.buyer_name, i.red, {voided}, COUNT(*), SUM(i.amount), "
            f"SUM(i.tax), SUM(i.total) FROM invoicing_invoice i {where} GROUP BY "
            f"i.taxpayer_id, i.issued_on, i.kind, i.channel_id, i.drawer, i.buyer_name, i.red, "
            f"{voided}",
            params,
        )
        live = ("WHERE i.status <> 'voided'" if taxpayer_id is None
                else "WHERE i.status <> 'voided' AND i.taxpayer_id = %s")  # fmt: skip
        for dimension, column in (("rate", "rate"), ("product", "tax_code")):
            cursor.execute(
                f"INSERT INTO {lines} (taxpayer_id, day, dimension, {q('key')}, short_name, n, "  # noqa: S608
                f"amount, tax) SELECT i.taxpayer_id, i.issued_on, %s, l.{column}, "
                "MAX(l.short_name), COUNT(DISTINCT i.id), SUM(l.amount), SUM(l.tax) "
                "FROM invoicing_invoiceline l JOIN invoicing_invoice i ON i.id = l.invoice_id "
                f"{live} GROUP BY i.taxpayer_id, i.issued_on, l.{column}",
                [dimension, *params],
            )
