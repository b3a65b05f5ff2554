"""The issuing hot path's own statements, on :mod:`fapiao.core.fastsql`: the next number of
a stock segment or a 数电 block, running counters, the month's credit use. Each is one
statement; the caller holds the taxpayer's lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection, models

from fapiao.core.fastsql import ask, execute, execute_many, query
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


def stock_segments(*, channel_id: int, kind: str) -> list[tuple[Any, ...]]:
    """Every stock segment of the channel's ``kind`` with numbers left, in the order
    :func:`number_ask` takes them: id, code, next number, last."""
    q = connection.ops.quote_name
    table = q(StockSegment._meta.db_table)
    return query(
        f"SELECT id, code, next_number, {q('last')} FROM {table} "  # noqa: S608
        f"WHERE channel_id = %s AND kind = %s AND next_number <= {q('last')} "
        f"ORDER BY received_at, {q('first')}",
        [channel_id, kind],
    )


def digital_blocks(*, channel_id: int, year: int) -> list[tuple[Any, ...]]:
    """:func:`stock_segments` for a 数电 channel's blocks of ``year``: id, prefix, next, last."""
    q = connection.ops.quote_name
    table = q(DigitalBlock._meta.db_table)
    return query(
        f"SELECT id, prefix, next_number, {q('last')} FROM {table} "  # noqa: S608
        f"WHERE channel_id = %s AND year = %s AND next_number <= {q('last')} "
        f"ORDER BY {q('first')}",
        [channel_id, year],
    )


def next_numbers_save(*, digital: bool, rows: list[tuple[int, int]]) -> None:
    """Store segments' (or blocks') next numbers: ``(next_number, id)`` each."""
    if rows:
        model = DigitalBlock if digital else StockSegment
        table = connection.ops.quote_name(model._meta.db_table)
        execute_many(f"UPDATE {table} SET next_number = %s WHERE id = %s", rows)  # noqa: S608


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
    away with ``sign`` −1; the caller holds the taxpayer's lock."""
    summaries_add([(invoice, lines)], sign=sign, voided=voided)


def _upsert(
    table: str, keys: str, sums: str, rows: list[list[Any]], *, per_statement: int, kept: str = ""
) -> None:
    """Add ``rows`` (keys, then ``kept`` when named, then the figures to add) to a table of
    sums, ``per_statement`` rows at a time; ``kept`` takes the row's value."""
    columns = ", ".join(filter(None, [keys, kept, sums]))
    added = [f"{name} = {table}.{name} + EXCLUDED.{name}" for name in sums.split(", ")]
    added += [f"{name} = EXCLUDED.{name}" for name in filter(None, kept.split(", "))]
    for start in range(0, len(rows), per_statement):
        part = rows[start : start + per_statement]
        values = ", ".join(["(" + ", ".join(["%s"] * len(part[0])) + ")"] * len(part))
        execute(
            f"INSERT INTO {table} ({columns}) VALUES {values} "  # noqa: S608
            f"ON CONFLICT ({keys}) DO UPDATE SET {', '.join(added)}",
            [value for row in part for value in row],
        )


#: rows of sums per statement: all of an invoice's (a pipeline sends its writes as one), and a
#: batch's within any database's bound on parameters
_ROWS_PER_STATEMENT = 500


def summaries_add(items: Any, *, sign: int = 1, voided: bool = False) -> None:
    """:func:`summary_add` for many ``(invoice, lines)``: their figures added up by day, kind,
    drawer and buyer (and by rate and product: ``n`` counts invoices) first, each sum written
    once."""
    ops = connection.ops
    q = ops.quote_name

    def money(value: Any) -> Any:
        return ops.adapt_decimalfield_value(value * sign, 18, 2)

    days: dict[tuple[Any, ...], list[Any]] = {}
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for invoice, lines in items:
        day = ops.adapt_datefield_value(invoice.issued_on)
        key = (invoice.taxpayer_id, day, invoice.kind, invoice.channel_id, invoice.drawer,
               invoice.buyer_name, invoice.red, voided)  # fmt: skip
        found = days.setdefault(key, [0, 0, 0, 0])
        for at, value in enumerate((sign, invoice.amount, invoice.tax, invoice.total)):
            found[at] += value
        if voided:
            continue
        mine: dict[tuple[Any, ...], list[Any]] = {}  # the invoice's own: its first line names it
        for line in lines:
            for dimension, value in (("rate", line.rate), ("product", line.tax_code)):
                group = mine.setdefault((invoice.taxpayer_id, day, dimension, value),
                                        [line.short_name, 0, 0])  # fmt: skip
                group[1] += line.amount
                group[2] += line.tax
        for group_key, (short_name, amount, tax) in mine.items():
            total = groups.setdefault(group_key, ["", 0, 0, 0])
            total[0] = short_name
            total[1] += sign
            total[2] += amount
            total[3] += tax
    if days:
        _upsert(
            q(DaySum._meta.db_table),
            "taxpayer_id, day, kind, channel_id, drawer, buyer_name, red, voided",
            "n, amount, tax, total",
            [[*key, n, money(a), money(t), money(g)] for key, (n, a, t, g) in days.items()],
            per_statement=_ROWS_PER_STATEMENT,
        )
    if groups:
        _upsert(
            q(LineSum._meta.db_table),
            f"taxpayer_id, day, dimension, {q('key')}",
            "n, amount, tax",
            [[*key, name, n, money(a), money(t)] for key, (name, n, a, t) in groups.items()],
            per_statement=_ROWS_PER_STATEMENT,
            kept="short_name",
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
