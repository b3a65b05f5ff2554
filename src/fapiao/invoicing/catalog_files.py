"""Customers and products as files: CSV (UTF-8 or GBK) and Excel, imported and exported.

Import is all or nothing: every row is checked first and a file with any bad row changes
nothing; the report names each bad row and field. Rows stream from the file, are checked one
by one, and are written in batches (the existing items read once, new ones inserted and known
ones updated in bulk), so 100,000 rows take seconds. A large file imported from the pages runs
as background work (:func:`catalog_import_enqueue`) whose progress the page shows.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fapiao.core import fastsql
from fapiao.core.spreadsheets import neutralise
from fapiao.core.tables import cell_value, table_rows
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.rates import parse_rate
from fapiao.domain.tax import PriceMode
from fapiao.invoicing.catalog import TEXT_COLUMNS, Catalog, CatalogError, catalog
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Taxpayer
from fapiao.jobs.models import Job
from fapiao.jobs.services import handler, job_enqueue, job_progress

#: rows written per statement
BATCH = 1000
#: rows checked between two progress reports
STEP = 2000
#: errors kept in a report (the count is always whole)
ERRORS_KEPT = 1000
#: a file this large (bytes) is imported by background work from the pages
BACKGROUND_BYTES = 256 * 1024


@dataclass(frozen=True)
class RowError:
    row: int  # as the user counts: the header is row 1
    field: str
    message: str


class ImportRefused(CatalogError):
    code = "import_refused"

    def __init__(self, errors: list[RowError], count: int | None = None) -> None:
        first = errors[0]
        self.count = count or len(errors)
        super().__init__(
            f"导入文件有{self.count}处错误，未导入任何记录。第{first.row}行：{first.message}",
            field=first.field,
        )
        self.errors = errors


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    def refuse(self, row: int, field: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append(RowError(row, field or "", message))


Progress = Callable[[int, int], None]


def _cell(value: Any, column: str) -> Any:
    return cell_value(value, field=column, identifier=column in TEXT_COLUMNS)


def _records(book: Catalog, content: bytes, filename: str) -> Iterator[tuple[int, dict[str, Any]]]:
    rows = table_rows(content, filename)
    first = next(rows, None)
    if first is None:
        raise CatalogError("文件是空的", field="file")
    names = {book.header(column): column for column in book.columns}
    names.update({column: column for column in book.columns})
    header = [names.get(str(cell or "").strip()) for cell in first]
    if "name" not in header:
        raise CatalogError(Text("第1行应为表头，且包含“{0}”列", book.header("name")), field="file")
    for number, row in enumerate(rows, start=2):
        if all(cell is None or str(cell).strip() == "" for cell in row):
            continue
        yield number, {key: cell for key, cell in zip(header, row, strict=False) if key}


def _checked(
    taxpayer: Taxpayer, book: Catalog, content: bytes, filename: str, progress: Progress
) -> tuple[dict[tuple[Any, ...], dict[str, Any]], ImportReport]:
    report = ImportReport()
    cleaned: dict[tuple[Any, ...], dict[str, Any]] = {}
    done = 0
    for number, record in _records(book, content, filename):
        done += 1
        if done % STEP == 0:
            progress(done, 0)
        try:
            values = book.clean(taxpayer, {k: _cell(v, k) for k, v in record.items()})
        except DomainError as error:
            report.refuse(number, error.field, error.message)
            continue
        key = tuple(values[k] for k in book.key)
        if key in cleaned:
            report.refuse(number, "name", f"与前面的行重复：{values['name']}")
        cleaned[key] = values
    return cleaned, report


def catalog_import(
    *,
    taxpayer: Taxpayer,
    name: str,
    content: bytes,
    filename: str,
    actor: str,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV or Excel file of customers or products; all rows or none. ``progress``
    hears how many rows were checked (with 0 as the total while the file is still being read,
    then the number of rows once all are checked and they are being written)."""
    book = catalog(name)
    tell = progress or (lambda done, total: None)
    cleaned, report = _checked(taxpayer, book, content, filename, tell)
    if report.errors:
        raise ImportRefused(report.errors, report.error_count)
    tell(len(cleaned), len(cleaned))
    model = book.model
    with transaction.atomic():
        locked = taxpayer_lock(taxpayer.pk)
        mine = model.objects.filter(taxpayer=locked)  # type: ignore[attr-defined]
        known = {tuple(row[1:]): row[0] for row in mine.values_list("pk", *book.key)}
        fresh, changed = [], []
        for values in cleaned.values():
            item = model(taxpayer=locked, **values)
            item.pk = known.get(tuple(values[k] for k in book.key))
            (fresh if item.pk is None else changed).append(item)
        columns = [column for column in book.columns if column not in book.key]
        model.objects.bulk_create(fresh, batch_size=BATCH)  # type: ignore[attr-defined]
        fastsql.update_many(changed, *columns)  # one statement sent many times
        report.created, report.updated = len(fresh), len(changed)
        event_append(
            taxpayer=locked,
            type=f"{name}.imported",
            actor=actor,
            at=timezone.now(),
            payload={"file": filename, "created": report.created, "updated": report.updated},
        )
    return report


# --- background import ------------------------------------------------------------------------


def _inbox() -> Path:
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def catalog_import_enqueue(
    *, taxpayer: Taxpayer, name: str, content: bytes, filename: str, actor: str
) -> Job:
    """The import as background work: the file kept under ``var/imports`` until it has run;
    the job's progress and result tell the page how far it is."""
    catalog(name)
    path = _inbox() / f"{uuid.uuid4().hex}{Path(filename).suffix.lower()[:6]}"
    path.write_bytes(content)
    return job_enqueue(
        "catalog.import",
        {
            "catalog": name,
            "file": path.name,
            "filename": filename[:200],
            "actor": actor,
            "taxpayer_id": taxpayer.pk,
        },
        taxpayer_id=taxpayer.pk,
    )


@handler("catalog.import")
def _import_job(payload: dict[str, Any]) -> dict[str, Any]:
    path = _inbox() / Path(payload["file"]).name
    taxpayer = Taxpayer.objects.get(pk=payload["taxpayer_id"])
    try:
        report = catalog_import(
            taxpayer=taxpayer, name=payload["catalog"], content=path.read_bytes(),
            filename=payload["filename"], actor=payload["actor"], progress=job_progress,
        )  # fmt: skip
    except ImportRefused as refused:
        errors = [vars(error) for error in refused.errors]
        return {"ok": False, "message": refused.message, "errors": errors, "count": refused.count}
    except DomainError as refused:
        return {"ok": False, "message": refused.message, "errors": [], "count": 1}
    finally:
        path.unlink(missing_ok=True)
    return {"ok": True, "created": report.created, "updated": report.updated}


# --- export -----------------------------------------------------------------------------------


def _export_value(item: Any, column: str) -> str:
    value = getattr(item, column)
    if column == "individual":
        return "是" if value else "否"
    if column == "price_mode":
        return "是" if value == PriceMode.INCLUSIVE else "否"
    if column == "rate":
        return parse_rate(value).label
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return "" if value is None else str(value)


def catalog_rows(*, taxpayer: Taxpayer, name: str) -> Iterator[list[str]]:
    """The header, then every customer or product, each cell safe for a spreadsheet."""
    book = catalog(name)
    yield [book.header(column) for column in book.columns]
    items = book.model.objects.filter(taxpayer=taxpayer).order_by("pk")  # type: ignore[attr-defined]
    for item in items.iterator(chunk_size=2000):
        yield [neutralise(_export_value(item, column)) for column in book.columns]


def catalog_export(*, taxpayer: Taxpayer, name: str, format: str) -> bytes:
    """Every customer or product as CSV (UTF-8 with BOM, opens in Excel) or Excel."""
    book = catalog(name)
    if format not in ("csv", "xlsx"):
        raise CatalogError("导出格式应为 csv 或 xlsx", field="format")
    rows = catalog_rows(taxpayer=taxpayer, name=name)
    if format == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return out.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook  # a heavy library: loaded when a workbook is made
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)  # rows stream into the file
    sheet = workbook.create_sheet(book.label)
    text = [column in TEXT_COLUMNS for column in book.columns]
    sheet.append(next(rows))
    for row in rows:
        cells = []
        for value, as_text in zip(row, text, strict=True):
            cell = WriteOnlyCell(sheet, value=value)
            if as_text:
                cell.number_format = "@"
            cells.append(cell)
        sheet.append(cells)
    out_bytes = io.BytesIO()
    workbook.save(out_bytes)
    return out_bytes.getvalue()
