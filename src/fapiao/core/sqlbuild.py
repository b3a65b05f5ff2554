"""The SQL of the statements :mod:`fapiao.core.fastsql` runs, built once per model from its
fields, and the converters that read rows back as the ORM would."""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection, models
from django.db.models.expressions import Col

#: Fields stored as the attribute itself: ``get_db_prep_save`` is the identity for them when the
#: value already has the field's type (a ``str``, ``bool`` or ``int``), which is checked.
PLAIN: dict[type, type] = {
    models.CharField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.ForeignKey: int,
}


def preparer(field: models.Field) -> Any:
    """The field's value of an object as stored; the plain case skips Django's conversion."""
    plain = PLAIN.get(type(field))
    attname = field.attname

    def prepare(item: models.Model, wrapper: Any) -> Any:
        value = getattr(item, attname)
        if plain is not None and (
            value is None or type(value) is plain or (plain is str and isinstance(value, str))
        ):
            return value
        return field.get_db_prep_save(field.pre_save(item, add=True), wrapper)

    return prepare


#: Up to this many rows, an insert on PostgreSQL travels as one JSON document; more, as one
#: array per column (measured: JSON is cheaper for a few rows, the arrays for many).
JSON_ROWS = 8


class Shape(enum.Enum):
    VALUES = "values"  # a parameter per value
    JSON = "json"  # one JSON document: a parameter for all
    ARRAYS = "arrays"  # one array per column


@functools.cache
def insert_sql(
    model: type[models.Model], shape: Shape, rows: int, returning: bool, with_pk: bool = False
) -> tuple[str, tuple[Any, ...], tuple[str, ...]]:
    """The INSERT of ``rows`` rows in ``shape``, each field's preparer and each one's column.

    On PostgreSQL the statement's text is the same for any number of rows, so that it stays
    prepared, and the driver does not parse a VALUES list: a few rows travel as a JSON array of
    objects that ``jsonb_populate_recordset`` turns into rows of the table (one parameter, so
    that statements held in a pipeline and sent as one keep few: see :class:`_Held`); many as
    one array per column through UNNEST, as Django's ``bulk_create`` does, in binary (%b), which
    the driver builds without escaping each element."""
    fields = tuple(f for f in model._meta.concrete_fields if with_pk or not f.primary_key)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    table = quote(model._meta.db_table)
    if shape is Shape.JSON:
        source = f"SELECT {columns} FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb)"  # noqa: S608
    elif shape is Shape.ARRAYS:
        # the type without its length: no truncation, one text for every length
        arrays = ", ".join(f"(%b)::{f.db_type(connection).split('(')[0]}[]" for f in fields)
        source = f"SELECT * FROM UNNEST({arrays})"  # noqa: S608
    else:
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        source = f"VALUES {', '.join([row] * rows)}"
    sql = f"INSERT INTO {table} ({columns}) {source}"
    if returning:
        sql += f" RETURNING {quote(model._meta.pk.column)}"  # type: ignore[union-attr]
    return sql, tuple(preparer(f) for f in fields), tuple(f.column for f in fields)


@functools.cache
def _wrappers() -> tuple[type, type]:
    """psycopg's wrappers of JSON and bytes, loaded with the first PostgreSQL write (SQLite
    never needs the driver)."""
    from psycopg import Binary
    from psycopg.types.json import Jsonb

    return Jsonb, Binary


def json_value(value: Any) -> Any:
    """A value prepared for the database as PostgreSQL reads it from JSON text."""
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, date):  # and datetime: ISO 8601, with its offset
        return value.isoformat()
    jsonb, binary = _wrappers()
    if isinstance(value, jsonb):
        return value.obj
    if isinstance(value, binary):  # a BinaryField's value, wrapped
        value = value.obj
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    raise TypeError(f"{type(value).__name__} cannot travel as JSON")


def rows_json(keys: tuple[str, ...], rows: list[list[Any]]) -> str:
    return json.dumps(
        [dict(zip(keys, row, strict=True)) for row in rows],
        ensure_ascii=False,
        default=json_value,
    )


@functools.cache
def update_sql(model: type[models.Model], names: tuple[str, ...]) -> tuple[str, tuple[Any, ...]]:
    fields = tuple(model._meta.get_field(name) for name in names)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)  # type: ignore[union-attr]
    pk = quote(model._meta.pk.column)  # type: ignore[union-attr]
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    return sql, fields


@functools.cache
def converter(field: models.Field) -> tuple[Col, list[Any]]:
    """The field's column and the converters the ORM applies to what the driver returns."""
    column = Col(field.model._meta.db_table, field)
    return column, connection.ops.get_db_converters(column) + field.get_db_converters(connection)


def converters(meta: Any) -> tuple[tuple[Col, list[Any]], ...]:
    """Each column's converters, in the order of the model's fields."""
    return tuple(converter(field) for field in meta.concrete_fields)


@functools.cache
def select(
    model: type[models.Model], where: tuple[str, ...], lock: bool, related: str = ""
) -> tuple[str, tuple[tuple[Col, list[Any]], ...], tuple[tuple[Col, list[Any]], ...]]:
    """The SELECT of every column (and every column of the ``related`` row, joined), and each
    column's converters."""
    quote = connection.ops.quote_name
    meta = model._meta
    columns = ", ".join(f"a.{quote(f.column)}" for f in meta.concrete_fields)
    condition = " AND ".join(f"a.{quote(meta.get_field(name).column)} = %s" for name in where)  # type: ignore[union-attr]
    source = f"{quote(meta.db_table)} a"
    joined: tuple[tuple[Col, list[Any]], ...] = ()
    if related:
        link = meta.get_field(related)
        other = link.related_model._meta  # type: ignore[union-attr]
        columns += ", " + ", ".join(f"b.{quote(f.column)}" for f in other.concrete_fields)
        source += (
            f" JOIN {quote(other.db_table)} b"
            f" ON b.{quote(other.pk.column)} = a.{quote(link.column)}"  # type: ignore[union-attr]
        )
        joined = converters(other)
    sql = f"SELECT {columns} FROM {source} WHERE {condition}"  # noqa: S608
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql, converters(meta), joined


def row_values(
    row: Sequence[Any], converters: Sequence[tuple[Col, list[Any]]], wrapper: Any
) -> list[Any]:
    values = []
    for raw, (column, functions) in zip(row, converters, strict=True):
        value = raw
        for function in functions:
            value = function(value, column, wrapper)
        values.append(value)
    return values


@functools.cache
def converters_of(model: type[models.Model]) -> tuple[tuple[Col, list[Any]], ...]:
    return converters(model._meta)
