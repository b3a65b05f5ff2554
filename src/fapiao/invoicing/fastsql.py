"""Writes on the issuing hot path without the ORM's per-query compilation.

The SQL of each statement is built once per model from its fields; values still go through
each field's own conversion (``pre_save`` and ``get_db_prep_save``), so what is stored is what
``Model.save()`` would store. No signals are sent: the project uses none.

Statements run on the database driver's own cursor of Django's connection (same connection,
same transaction; errors still become Django's ``IntegrityError`` and the like), skipping the
per-statement wrapping that Django's cursor adds. On PostgreSQL, :func:`pipeline` sends the
statements whose answer is not needed at once together with the next one that is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.expressions import Col

M = TypeVar("M", bound=models.Model)


#: Fields stored as the attribute itself: ``get_db_prep_save`` is the identity for them when the
#: value already has the field's type (a ``str``, ``bool`` or ``int``), which is checked.
_PLAIN: dict[type, type] = {
    models.CharField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.ForeignKey: int,
}


def _preparer(field: models.Field) -> Any:
    """The field's value of an object as stored; the plain case skips Django's conversion."""
    plain = _PLAIN.get(type(field))
    attname = field.attname

    def prepare(item: models.Model, wrapper: Any) -> Any:
        value = getattr(item, attname)
        if plain is not None and (
            value is None or type(value) is plain or (plain is str and isinstance(value, str))
        ):
            return value
        return field.get_db_prep_save(field.pre_save(item, add=True), wrapper)

    return prepare


@functools.cache
def _native(sql: str, vendor: str) -> str:
    """``sql`` in the driver's own placeholder style (sqlite3 takes ``?``)."""
    return sql.replace("%s", "?") if vendor == "sqlite" else sql


def _raw(wrapper: Any) -> Any:
    if wrapper.connection is None:
        wrapper.ensure_connection()
    return wrapper.connection.cursor()


def execute(sql: str, params: Sequence[Any] = ()) -> None:
    """Run one statement whose answer is not read (in a :func:`pipeline`, it is sent with the
    next statement that is read, or with the commit)."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    with wrapper.wrap_database_errors:
        _raw(wrapper).execute(_native(sql, wrapper.vendor), params)


def query(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement and return its rows."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    with wrapper.wrap_database_errors:
        cursor = _raw(wrapper)
        cursor.execute(_native(sql, wrapper.vendor), params)
        return cursor.fetchall()


def execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    wrapper = connections[DEFAULT_DB_ALIAS]
    with wrapper.wrap_database_errors:
        _raw(wrapper).executemany(_native(sql, wrapper.vendor), rows)


@contextmanager
def pipeline() -> Iterator[None]:
    """On PostgreSQL, hold back each statement whose answer is not read until one is read or
    the transaction ends, and send them in one round trip (psycopg's pipeline mode; errors
    surface there, still inside the transaction). Elsewhere, nothing changes. Wrap it around
    ``transaction.atomic()`` so that the commit travels with the last statements."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    if wrapper.vendor != "postgresql":
        yield
        return
    wrapper.ensure_connection()
    with wrapper.wrap_database_errors, wrapper.connection.pipeline():
        yield


@functools.cache
def _insert_sql(
    model: type[models.Model], rows: int, returning: bool, with_pk: bool = False
) -> tuple[str, tuple[Any, ...]]:
    fields = tuple(f for f in model._meta.concrete_fields if with_pk or not f.primary_key)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 - names from _meta
        f"VALUES {', '.join([row] * rows)}"
    )
    if returning:
        sql += f" RETURNING {quote(model._meta.pk.column)}"  # type: ignore[union-attr]
    return sql, tuple(_preparer(f) for f in fields)


def insert(objects: Sequence[models.Model], *, keys: bool = True) -> None:
    """Insert rows of one model in one statement and set their primary keys (RETURNING gives
    them in the order of the VALUES rows, as Django's own ``bulk_create`` relies on). Without
    ``keys`` the rows are written and their keys not read (nor waited for, in a pipeline);
    rows whose key is already set (see :func:`reserve_key`) are written with it."""
    if not objects:
        return
    with_pk = objects[0].pk is not None
    sql, fields = _insert_sql(type(objects[0]), len(objects), keys and not with_pk, with_pk)
    wrapper = connections[DEFAULT_DB_ALIAS]  # once: each lookup goes through a context-local
    params: list[Any] = []
    for item in objects:
        params.extend(prepare(item, wrapper) for prepare in fields)
    if with_pk or not keys:
        execute(sql, params)
        for item in objects:
            item._state.adding = False
            item._state.db = DEFAULT_DB_ALIAS
        return
    for item, row in zip(objects, query(sql, params), strict=True):
        item.pk = row[0]
        item._state.adding = False
        item._state.db = DEFAULT_DB_ALIAS


@functools.cache
def _update_sql(model: type[models.Model], names: tuple[str, ...]) -> tuple[str, tuple[Any, ...]]:
    fields = tuple(model._meta.get_field(name) for name in names)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)  # type: ignore[union-attr]
    pk = quote(model._meta.pk.column)  # type: ignore[union-attr]
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    return sql, fields


def update(item: models.Model, *names: str) -> None:
    """Store the named fields of ``item``, like ``save(update_fields=names)``."""
    sql, fields = _update_sql(type(item), names)
    wrapper = connections[DEFAULT_DB_ALIAS]
    params = [f.get_db_prep_save(getattr(item, f.attname), wrapper) for f in fields]
    execute(sql, [*params, item.pk])


def update_many(items: Sequence[models.Model], *names: str) -> None:
    """Store the named fields of each of ``items`` (one model), one statement sent many times:
    far cheaper than ``bulk_update``'s CASE expressions."""
    if not items:
        return
    sql, fields = _update_sql(type(items[0]), names)
    wrapper = connections[DEFAULT_DB_ALIAS]
    rows = [
        [*(f.get_db_prep_save(getattr(item, f.attname), wrapper) for f in fields), item.pk]
        for item in items
    ]
    execute_many(sql, rows)


def reserve_key(model: type[models.Model]) -> Callable[[], int | None]:
    """On PostgreSQL, ask now for the next primary key of ``model`` (from the sequence its
    inserts use) and return how to read it: in a :func:`pipeline`, the question travels with
    the next statement whose answer is read, so that the row's key is known before its insert
    and what follows need not wait for it. Elsewhere the reader gives None (the insert returns
    the key; SQLite answers in-process anyway)."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    if wrapper.vendor != "postgresql":
        return lambda: None
    table, column = model._meta.db_table, model._meta.pk.column  # type: ignore[union-attr]
    with wrapper.wrap_database_errors:
        cursor = _raw(wrapper)
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s))", [table, column])

    def read() -> int:
        with wrapper.wrap_database_errors:
            return cursor.fetchone()[0]  # type: ignore[no-any-return]

    return read


def allocate_number(*, channel_id: int, kind: str) -> tuple[str, int] | None:
    """Take the next number of the channel's oldest segment of ``kind`` that has one left, in
    one statement; ``None`` when the stock is used up. The caller holds the taxpayer's lock."""
    from fapiao.invoicing.models import StockSegment

    q = connection.ops.quote_name
    table, first, last = q(StockSegment._meta.db_table), q("first"), q("last")
    rows = query(
        f"UPDATE {table} SET next_number = next_number + 1 WHERE id = ("  # noqa: S608
        f" SELECT id FROM {table} WHERE channel_id = %s AND kind = %s"
        f" AND next_number <= {last} ORDER BY received_at, {first} LIMIT 1"
        ") RETURNING code, next_number - 1",
        [channel_id, kind],
    )
    return (rows[0][0], rows[0][1]) if rows else None


def counter_next(*, taxpayer_id: int, series: str) -> int:
    """Take the next value of a running number (starting at 1) in one statement; the caller
    holds the taxpayer's lock."""
    from fapiao.invoicing.models import Counter

    table = connection.ops.quote_name(Counter._meta.db_table)
    rows = query(
        f"INSERT INTO {table} (taxpayer_id, series, next_value) VALUES (%s, %s, 2) "  # noqa: S608
        f"ON CONFLICT (taxpayer_id, series) DO UPDATE SET next_value = {table}.next_value + 1 "
        "RETURNING next_value - 1",
        [taxpayer_id, series],
    )
    return int(rows[0][0])


@functools.cache
def _select(
    model: type[models.Model], where: tuple[str, ...], lock: bool
) -> tuple[str, tuple[tuple[Col, list[Any]], ...]]:
    """The SELECT of every column, and each column's converters (what the ORM applies)."""
    quote = connection.ops.quote_name
    meta = model._meta
    fields = meta.concrete_fields
    columns = ", ".join(quote(f.column) for f in fields)
    condition = " AND ".join(f"{quote(meta.get_field(name).column)} = %s" for name in where)  # type: ignore[union-attr]
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {condition}"  # noqa: S608
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    converters = []
    for field in fields:
        column = Col(meta.db_table, field)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        converters.append((column, found))
    return sql, tuple(converters)


def get(model: type[M], *, lock: bool = False, **where: Any) -> M | None:
    """The one row of ``model`` matching ``where`` (or None), optionally locked FOR UPDATE,
    converted as the ORM converts it."""
    names = tuple(sorted(where))
    sql, converters = _select(model, names, lock)
    wrapper = connections[DEFAULT_DB_ALIAS]
    rows = query(sql, [where[name] for name in names])
    if not rows:
        return None
    row = rows[0]
    values = []
    for raw, (column, functions) in zip(row, converters, strict=True):
        value = raw
        for function in functions:
            value = function(value, column, wrapper)
        values.append(value)
    return model.from_db(DEFAULT_DB_ALIAS, None, values)  # type: ignore[arg-type]
