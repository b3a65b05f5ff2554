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
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

from fapiao.core.sqlbuild import (
    JSON_ROWS,
    Shape,
    converter,
    converters_of,
    insert_sql,
    row_values,
    rows_json,
    select,
    update_sql,
)

M = TypeVar("M", bound=models.Model)


@functools.cache
def _native(sql: str, vendor: str) -> str:
    """``sql`` in the driver's own placeholder style (sqlite3 takes ``?``)."""
    return sql.replace("%s", "?") if vendor == "sqlite" else sql


#: statements this process has sent through this module (tests count them beside Django's)
SENT = [0]


def _raw(wrapper: Any) -> Any:
    """The driver's cursor for one statement (each call is one statement sent)."""
    SENT[0] += 1
    if wrapper.connection is None:
        wrapper.ensure_connection()
    return wrapper.connection.cursor()


def execute(sql: str, params: Sequence[Any] = ()) -> None:
    """Run one statement whose answer is not read (in a :func:`pipeline`, it is held back and
    sent, with the others held, before the next statement that is read, or when the pipeline
    ends)."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    held: _Held | None = getattr(wrapper, "_fastsql_held", None)
    if held is not None and held.take(sql, params):
        return
    with wrapper.wrap_database_errors:
        _raw(wrapper).execute(_native(sql, wrapper.vendor), params)


_TARGET = re.compile(r'\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+("[^"]+"|\w+)', re.IGNORECASE)


class _Held:
    """Statements held back in a pipeline, sent as one: on PostgreSQL, data-modifying
    statements can be the parts of a ``WITH`` and all run in one statement (one parse, one
    execution, one message) instead of several. They run on one snapshot and none sees the
    others' rows, so a statement joins only if no held statement writes its table (else those
    held are sent first), and a held statement must not read, in a subquery, a table another
    one writes (none of ours does); foreign keys are checked at commit, so a row may refer to
    another written beside it. (A few rows travel as one JSON parameter per insert: the driver
    keeps its parsing of a statement only up to 50 parameters.)"""

    def __init__(self, wrapper: Any) -> None:
        self.wrapper = wrapper
        self.statements: list[str] = []
        self.params: list[Any] = []
        self.tables: set[str] = set()

    def take(self, sql: str, params: Sequence[Any]) -> bool:
        target = _TARGET.match(sql)
        if target is None:
            self.send()
            return False
        table = target.group(1).strip('"')
        if table in self.tables:
            self.send()
        self.tables.add(table)
        self.statements.append(sql)
        self.params.extend(params)
        return True

    def send(self) -> None:
        if not self.statements:
            return
        statements, params = self.statements, self.params
        self.statements, self.params, self.tables = [], [], set()
        if len(statements) == 1:
            sql = statements[0]
        else:
            parts = ", ".join(f"w{n} AS ({part})" for n, part in enumerate(statements))
            sql = f"WITH {parts} SELECT 1"
        with self.wrapper.wrap_database_errors:
            _raw(self.wrapper).execute(sql, params)


def _send_held(wrapper: Any) -> None:
    held: _Held | None = getattr(wrapper, "_fastsql_held", None)
    if held is not None:
        held.send()


def query(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement and return its rows."""
    return ask(sql, params)()


def ask(sql: str, params: Sequence[Any] = ()) -> Callable[[], list[tuple[Any, ...]]]:
    """Send one statement now and return how to read its rows: in a :func:`pipeline`, the
    statement travels with the next one whose answer is read, so that several questions cost
    one round trip; elsewhere it has run already and the reader only fetches."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    _send_held(wrapper)
    with wrapper.wrap_database_errors:
        cursor = _raw(wrapper)
        cursor.execute(_native(sql, wrapper.vendor), params)
        if wrapper.vendor != "postgresql":
            # read at once: a statement left unread would keep SQLite from ending the
            # transaction (and it has answered in-process anyway)
            found = cursor.fetchall()
            return lambda: found

    def rows() -> list[tuple[Any, ...]]:
        with wrapper.wrap_database_errors:
            return cursor.fetchall()  # type: ignore[no-any-return]

    return rows


def execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    wrapper = connections[DEFAULT_DB_ALIAS]
    _send_held(wrapper)
    with wrapper.wrap_database_errors:
        _raw(wrapper).executemany(_native(sql, wrapper.vendor), rows)


@contextmanager
def pipeline() -> Iterator[None]:
    """On PostgreSQL, hold back each statement whose answer is not read until one is read or
    the pipeline ends, and send them in one round trip (psycopg's pipeline mode; errors
    surface there, still inside the transaction), writes that can go together as one statement
    (see :class:`_Held`). Elsewhere, nothing changes. Inside, run only these statements and
    reads: an ORM statement would overtake those held, and an ORM update cannot read its row
    count there. (Wrapped around a whole transaction, the commit would travel too; measured,
    that was slower for issuing.)"""
    wrapper = connections[DEFAULT_DB_ALIAS]
    if wrapper.vendor != "postgresql" or getattr(wrapper, "_fastsql_held", None) is not None:
        yield
        return
    wrapper.ensure_connection()
    with wrapper.wrap_database_errors, wrapper.connection.pipeline():
        wrapper._fastsql_held = held = _Held(wrapper)
        try:
            yield
            held.send()
        finally:
            wrapper._fastsql_held = None


def insert(objects: Sequence[models.Model], *, keys: bool = True) -> None:
    """Insert rows of one model in one statement and set their primary keys (RETURNING gives
    them in the order of the VALUES rows, as Django's own ``bulk_create`` relies on). Without
    ``keys`` the rows are written and their keys not read (nor waited for, in a pipeline);
    rows whose key is already set (see :func:`reserve_key`) are written with it."""
    if not objects:
        return
    with_pk = objects[0].pk is not None
    count = len(objects)
    if connection.vendor != "postgresql":
        shape = Shape.VALUES
    else:
        shape = Shape.JSON if count <= JSON_ROWS else Shape.ARRAYS
        count = 0  # the same statement for any number
    sql, fields, names = insert_sql(type(objects[0]), shape, count, keys and not with_pk, with_pk)
    wrapper = connections[DEFAULT_DB_ALIAS]  # once: each lookup goes through a context-local
    params: list[Any] = []
    if shape is Shape.JSON:
        rows = [[prepare(item, wrapper) for prepare in fields] for item in objects]
        params = [rows_json(names, rows)]
    elif shape is Shape.ARRAYS:
        params = [[prepare(item, wrapper) for item in objects] for prepare in fields]
    else:
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


def remember(item: models.Model, related: str, objects: list[models.Model]) -> None:
    """Let ``item.<related>.all()`` answer with ``objects`` (just written with it) instead of
    reading them back, the way ``prefetch_related`` fills its cache."""
    manager = getattr(item, related)
    cached = manager.get_queryset()
    cached._result_cache = objects
    cached._prefetch_done = True
    item._prefetched_objects_cache = {
        **getattr(item, "_prefetched_objects_cache", {}),
        related: cached,
    }  # type: ignore[attr-defined]


def update(item: models.Model, *names: str) -> None:
    """Store the named fields of ``item``, like ``save(update_fields=names)``."""
    sql, fields = update_sql(type(item), names)
    wrapper = connections[DEFAULT_DB_ALIAS]
    params = [f.get_db_prep_save(getattr(item, f.attname), wrapper) for f in fields]
    execute(sql, [*params, item.pk])


def update_many(items: Sequence[models.Model], *names: str) -> None:
    """Store the named fields of each of ``items`` (one model), one statement sent many times:
    far cheaper than ``bulk_update``'s CASE expressions."""
    if not items:
        return
    sql, fields = update_sql(type(items[0]), names)
    wrapper = connections[DEFAULT_DB_ALIAS]
    rows = [
        [*(f.get_db_prep_save(getattr(item, f.attname), wrapper) for f in fields), item.pk]
        for item in items
    ]
    execute_many(sql, rows)


#: Keys taken from a model's sequence ahead of use, per database and model, in this process.
_KEYS: dict[tuple[str, type[models.Model]], deque[int]] = {}
KEYS_AHEAD = 32


def reserve_key(model: type[models.Model]) -> Callable[[], int | None]:
    """On PostgreSQL, the next primary key of ``model`` (from the sequence its inserts use)
    and how to read it, so that the row's key is known before its insert and what refers to it
    need not wait for it. Keys are taken from the sequence :data:`KEYS_AHEAD` at a time and
    kept in the process, so that most rows cost no question at all; when one is needed, it is
    asked now and read by the function returned (see :func:`ask`). A key is used once; those
    a process leaves unused are gaps in the ids, as a rolled-back insert leaves anyway. Elsewhere
    the reader gives None (the insert returns the key; SQLite answers in-process anyway)."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    if wrapper.vendor != "postgresql":
        return lambda: None
    pool = _KEYS.setdefault((wrapper.settings_dict["NAME"], model), deque())
    try:
        key = pool.popleft()
    except IndexError:
        pass
    else:
        return lambda: key
    table, column = model._meta.db_table, model._meta.pk.column  # type: ignore[union-attr]
    rows = ask(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [table, column, KEYS_AHEAD],
    )

    def read() -> int:
        first, *rest = (row[0] for row in rows())
        pool.extend(rest)
        return first  # type: ignore[no-any-return]

    return read


def converted(fields: Sequence[Any], row: Sequence[Any]) -> list[Any]:
    """``row`` (one value read for each of ``fields``) converted as the ORM converts them: for a
    statement of our own that reads columns of several models."""
    return row_values(row, [converter(field) for field in fields], connections[DEFAULT_DB_ALIAS])


@functools.cache
def columns(model: type[models.Model], alias: str) -> str:
    """Every column of ``model`` as ``alias.column``, in the order :func:`from_row` reads."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def from_row(model: type[M], row: Sequence[Any]) -> M:
    """The object of ``model`` whose :func:`columns` are ``row``, converted as the ORM does."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    values = row_values(row, converters_of(model), wrapper)
    return model.from_db(DEFAULT_DB_ALIAS, None, values)  # type: ignore[return-value,arg-type]


def get(model: type[M], *, lock: bool = False, related: str = "", **where: Any) -> M | None:
    """The one row of ``model`` matching ``where`` (or None), optionally locked FOR UPDATE,
    converted as the ORM converts it; with ``related`` (a foreign key), the row it names is
    read in the same statement and set on the object."""
    return get_later(model, lock=lock, related=related, **where)()


def get_later(
    model: type[M], *, lock: bool = False, related: str = "", **where: Any
) -> Callable[[], M | None]:
    """:func:`get`, asked now and read by the function returned (see :func:`ask`)."""
    names = tuple(sorted(where))
    sql, converters, joined = select(model, names, lock, related)
    wrapper = connections[DEFAULT_DB_ALIAS]
    rows = ask(sql, [where[name] for name in names])

    def read() -> M | None:
        found = rows()
        if not found:
            return None
        row, width = found[0], len(converters)
        item = model.from_db(DEFAULT_DB_ALIAS, None, row_values(row[:width], converters, wrapper))  # type: ignore[arg-type]
        if related:
            other = model._meta.get_field(related).related_model
            values = row_values(row[width:], joined, wrapper)
            setattr(item, related, other.from_db(DEFAULT_DB_ALIAS, None, values))  # type: ignore[union-attr]
        return item  # type: ignore[return-value]

    return read


def keys_forget() -> None:
    """Drop the keys this process has taken ahead (after a restore set the sequences anew)."""
    _KEYS.clear()
