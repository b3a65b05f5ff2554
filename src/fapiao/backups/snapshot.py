"""A database snapshot as one gzip'd JSON-lines file per table, engine-neutral (SQLite ↔
PostgreSQL), read in one consistent view, and written back with the rows' own keys.

Every column is kept as its Python value made JSON (decimals and times as text, bytes as
base64), and read back by the field's type. Sealed private keys are carried raw, inside the
archive's own encryption, and sealed again under the restoring server's secret.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from django.apps import apps
from django.core.management.color import no_style
from django.db import connections, models

from fapiao.authority.keyring import OWNER as AUTHORITY_OWNER
from fapiao.core.signing import seal, unseal_raw

#: state that is not data: sessions, and the task engine's queue (our job rows are kept)
SKIPPED_APPS = {"sessions", "django_q"}
#: sealed private keys: (model label, column, the owner the seal is bound to)
SEALED: dict[str, tuple[str, Callable[[dict[str, Any]], bytes]]] = {
    "invoicing.signingkey": ("private_key", lambda row: str(row["taxpayer_id"]).encode()),
    "authority.authoritykey": ("private_key", lambda row: AUTHORITY_OWNER),
}
CHUNK = 2000


def snapshot_models() -> list[type[models.Model]]:
    """Every table of the installation's data, m2m tables included, in a stable order."""
    found = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.app_label not in SKIPPED_APPS
    ]
    return sorted(found, key=lambda model: model._meta.label_lower)


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"cannot keep {type(value).__name__}")


def _reader(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    kind = field.get_internal_type()
    readers: dict[str, Callable[[Any], Any]] = {
        "DecimalField": Decimal,
        "DateTimeField": datetime.fromisoformat,
        "DateField": date.fromisoformat,
        "TimeField": time.fromisoformat,
        "DurationField": lambda seconds: timedelta(seconds=seconds),
        "BinaryField": base64.b64decode,
        "UUIDField": UUID,
    }
    read = readers.get(kind)
    return (lambda value: None if value is None else read(value)) if read else (lambda v: v)


def dump(folder: Path, *, using: str = "default") -> dict[str, dict[str, Any]]:
    """Write each table to ``folder``; returns, per table, its file, columns, rows and SHA-256
    (of the file). The caller holds the consistent view (a repeatable-read transaction, or a
    copy made by SQLite's online backup)."""
    tables: dict[str, dict[str, Any]] = {}
    for model in snapshot_models():
        label = model._meta.label_lower
        names = [field.attname for field in _columns(model)]
        sealed = SEALED.get(label)
        path = folder / f"{label}.jsonl.gz"
        count = 0
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=5) as out:
            rows = model._base_manager.using(using).order_by("pk").values_list(*names)
            for row in rows.iterator(chunk_size=CHUNK):
                values = list(row)
                if sealed:
                    values = _unsealed(names, values, *sealed)
                out.write(json.dumps(values, default=_plain, ensure_ascii=False))
                out.write("\n")
                count += 1
        tables[label] = {
            "file": path.name, "table": model._meta.db_table, "columns": names,
            "rows": count, "sha256": file_sha256(path),
        }  # fmt: skip
    return tables


def _unsealed(names: list[str], values: list[Any], column: str, owner: Any) -> list[Any]:
    row = dict(zip(names, values, strict=True))
    row[column] = unseal_raw(bytes(row[column]), owner(row))
    return [row[name] for name in names]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def _rows(path: Path) -> Iterator[list[Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def load(folder: Path, tables: dict[str, dict[str, Any]], *, using: str = "default") -> None:
    """Replace every table's rows with the snapshot's, in the caller's transaction (foreign
    keys are checked at its end). Columns the code no longer has are left out; columns it
    added take their defaults."""
    connection = connections[using]
    loaded = []
    for model in snapshot_models():
        label = model._meta.label_lower
        model._base_manager.using(using).all()._raw_delete(using)
        if label not in tables:
            continue
        entry = tables[label]
        fields = {field.attname: field for field in _columns(model)}
        known = [i for i, name in enumerate(entry["columns"]) if name in fields]
        names = [entry["columns"][i] for i in known]
        readers = [_reader(fields[name]) for name in names]
        sealed = SEALED.get(label)
        insert = _inserter(model, [fields[n] for n in names], using)
        batch: list[list[Any]] = []
        for values in _rows(folder / entry["file"]):
            row = [read(values[i]) for read, i in zip(readers, known, strict=True)]
            if sealed:
                column, owner = sealed
                named = dict(zip(names, row, strict=True))
                named[column] = seal(named[column], owner(named))
                row = [named[name] for name in names]
            batch.append(row)
            if len(batch) == CHUNK:
                insert(batch)
                batch = []
        if batch:
            insert(batch)
        loaded.append(model)
    statements = connection.ops.sequence_reset_sql(no_style(), loaded)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def _inserter(
    model: type[models.Model], fields: list[Any], using: str
) -> Callable[[list[list[Any]]], None]:
    """Rows inserted as stored (no defaults or auto_now over them), each value made ready for
    the engine by its field, many rows a statement."""
    connection = connections[using]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    # names from the models' own metadata, quoted; the values go as parameters
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    prepare = [field.get_db_prep_save for field in fields]

    def insert(rows: list[list[Any]]) -> None:
        params = [
            [ready(value, connection) for ready, value in zip(prepare, row, strict=True)]
            for row in rows
        ]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":  # COPY: several times faster than INSERTs
                table = quote(model._meta.db_table)
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in params:
                        copy.write_row(row)
            else:
                cursor.executemany(sql, params)

    return insert


def counts(*, using: str = "default") -> dict[str, int]:
    return {m._meta.label_lower: m._base_manager.using(using).count() for m in snapshot_models()}
