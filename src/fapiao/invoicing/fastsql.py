"""Writes on the issuing hot path without the ORM's per-query compilation.

The SQL of each statement is built once per model from its fields; values still go through
each field's own conversion (``pre_save`` and ``get_db_prep_save``), so what is stored is what
``Model.save()`` would store. No signals are sent: the project uses none.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

M = TypeVar("M", bound=models.Model)


@functools.cache
def _insert_sql(model: type[models.Model], rows: int) -> tuple[str, tuple[models.Field, ...]]:
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk = quote(model._meta.pk.column)  # type: ignore[union-attr]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 - names from _meta
        f"VALUES {', '.join([row] * rows)} RETURNING {pk}"
    )
    return sql, fields


def insert(objects: Sequence[models.Model]) -> None:
    """Insert rows of one model in one statement; sets the primary key of a single row."""
    if not objects:
        return
    sql, fields = _insert_sql(type(objects[0]), len(objects))
    wrapper = connections[DEFAULT_DB_ALIAS]  # once: each lookup goes through a context-local
    params: list[Any] = []
    for item in objects:
        params.extend(
            f.get_db_prep_save(f.pre_save(item, add=True), wrapper)  # type: ignore[arg-type]
            for f in fields
        )
    with wrapper.cursor() as cursor:
        cursor.execute(sql, params)
        if len(objects) == 1:
            objects[0].pk = cursor.fetchone()[0]
    for item in objects:
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
    with wrapper.cursor() as cursor:
        cursor.execute(sql, [*params, item.pk])


def allocate_number(*, channel_id: int, kind: str) -> tuple[str, int] | None:
    """Take the next number of the channel's oldest segment of ``kind`` that has one left, in
    one statement; ``None`` when the stock is used up. The caller holds the taxpayer's lock."""
    from fapiao.invoicing.models import StockSegment

    q = connection.ops.quote_name
    table, first, last = q(StockSegment._meta.db_table), q("first"), q("last")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET next_number = next_number + 1 WHERE id = ("  # noqa: S608
            f" SELECT id FROM {table} WHERE channel_id = %s AND kind = %s"
            f" AND next_number <= {last} ORDER BY received_at, {first} LIMIT 1"
            ") RETURNING code, next_number - 1",
            [channel_id, kind],
        )
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1])


@functools.cache
def _select_sql(model: type[models.Model], where: tuple[str, ...], lock: bool) -> str:
    quote = connection.ops.quote_name
    meta = model._meta
    columns = ", ".join(quote(f.column) for f in meta.concrete_fields)
    condition = " AND ".join(f"{quote(meta.get_field(name).column)} = %s" for name in where)  # type: ignore[union-attr]
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {condition}"  # noqa: S608
    return f"{sql} FOR UPDATE" if lock and connection.features.has_select_for_update else sql


def get(model: type[M], *, lock: bool = False, **where: Any) -> M | None:
    """The one row of ``model`` matching ``where`` (or None), optionally locked FOR UPDATE;
    through a raw query, so the ORM's converters still apply but nothing is compiled."""
    names = tuple(sorted(where))
    rows = list(
        model._default_manager.raw(  # type: ignore[attr-defined]
            _select_sql(model, names, lock), [where[name] for name in names]
        )
    )
    return rows[0] if rows else None
