"""The batch's files: the uploaded detail file read into invoices, the template to fill, and
the uploaded file given back with a column added (each row's errors, or its result).

A file given back keeps the upload's rows and cells as they were, with the added column last:
an Excel upload comes back as .xlsx, a CSV as CSV (UTF-8 with BOM, opens in Excel).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fapiao.core.spreadsheets import neutralise
from fapiao.core.tables import cell_value, table_rows
from fapiao.domain.batchfile import (
    BY_KEY,
    COLUMNS,
    ERROR_COLUMN,
    BadFile,
    Group,
    RowError,
    group_rows,
    header_keys,
)
from fapiao.domain.errors import DomainError, Text

#: the largest file taken (bytes) and the most rows
MAX_BYTES = 32 * 1024 * 1024
MAX_ROWS = 100_000
#: columns holding identifiers: Excel must not have turned them into floats
IDENTIFIERS = frozenset(
    {"order", "buyer_tax_id", "buyer_account", "buyer_phone", "buyer_mobile", "tax_code"}
)


@dataclass
class Read:
    """A file read: its invoices (groups of rows), the errors found on the way, how many rows,
    and the 单据号 of invoices that have a bad cell (never planned)."""

    groups: list[Group]
    errors: list[RowError]
    rows: int
    bad_orders: set[str] = field(default_factory=set)


def _cells(
    keys: list[str | None], row: list[Any], number: int, errors: list[RowError]
) -> list[str]:
    cells = []
    for at, key in enumerate(keys):
        value = row[at] if at < len(row) else None
        if key is None or value is None or value == "":
            cells.append("")
            continue
        try:
            text = cell_value(value, field=key, identifier=key in IDENTIFIERS)
        except DomainError as error:
            errors.append(RowError(number, BY_KEY[key].label, error.message))
            text = ""
        cells.append("" if text is None else str(text))
    return cells


def read_file(content: bytes, filename: str) -> Read:
    """The invoices of an uploaded detail file (.xlsx, .xls or .csv)."""
    if not content:
        raise BadFile("文件是空的", field="file")
    if len(content) > MAX_BYTES:
        raise BadFile(Text("文件超过{0}MB", MAX_BYTES // (1024 * 1024)), field="file")
    rows = table_rows(content, filename)
    first = next(rows, None)
    if first is None:
        raise BadFile("文件是空的", field="file")
    keys = header_keys(first)
    errors: list[RowError] = []
    bad_rows: set[int] = set()
    count = 0

    def records() -> Iterator[tuple[int, list[str]]]:
        nonlocal count
        for number, row in enumerate(rows, start=2):
            if all(cell is None or str(cell).strip() == "" for cell in row):
                continue
            count += 1
            if count > MAX_ROWS:
                raise BadFile(Text("文件超过{0}行明细，请分成多个文件", MAX_ROWS), field="file")
            before = len(errors)
            cells = _cells(keys, row, number, errors)
            if len(errors) > before:
                bad_rows.add(number)
            yield number, cells

    groups, grouping = group_rows(keys, records())
    bad_orders = {group.order for group in groups if bad_rows.intersection(group.rows)}
    return Read(groups, errors + grouping, count, bad_orders)


# --- files given back ---------------------------------------------------------------------------


def _is_workbook(filename: str) -> bool:
    return Path(filename).suffix.lower() in (".xlsx", ".xlsm", ".xls")


def annotated(
    content: bytes, filename: str, headers: list[str], extra: Callable[[int], list[Any]]
) -> tuple[bytes, str]:
    """The uploaded file with ``headers`` added as its last columns, each row's cells from
    ``extra(row number)``; its bytes and its file name."""
    rows = table_rows(content, filename)
    first = [str(cell) for cell in next(rows, [])]
    keep = [at for at, cell in enumerate(first) if cell.strip() not in (ERROR_COLUMN, *headers)]
    out_rows: list[list[Any]] = [[first[at] for at in keep] + headers]
    for number, row in enumerate(rows, start=2):
        if all(cell is None or str(cell).strip() == "" for cell in row):
            continue
        cells = [row[at] if at < len(row) else "" for at in keep]
        out_rows.append(
            [neutralise(cell) for cell in cells] + [neutralise(v) for v in extra(number)]
        )
    stem = Path(filename).stem[:100] or "批量开具"
    if not _is_workbook(filename):
        text = io.StringIO()
        csv.writer(text).writerows(out_rows)
        return text.getvalue().encode("utf-8-sig"), f"{stem}.csv"
    from openpyxl import Workbook  # a heavy library: loaded when a workbook is made

    book = Workbook(write_only=True)
    sheet = book.create_sheet("明细")
    for row in out_rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), f"{stem}.xlsx"


SAMPLE = {
    "order": "DJ0001",
    "kind": "数电普票",
    "mode": "含税",
    "buyer_name": "示例客户有限公司",
    "buyer_tax_id": "91320200MA1N0C5E24",
    "buyer_email": "finance@example.com",
    "name": "软件开发服务",
    "tax_code": "3040201010000000000",
    "quantity": "2",
    "unit_price": "5300",
    "rate": "6%",
}
KINDS_LIST = "数电普票,数电专票,电子普票,电子专票,普票,专票"
RATES_LIST = "13%,9%,6%,5%,3%,1%,0%,免税,不征税"


def template() -> bytes:
    """The detail file's template (.xlsx): the header row, a sample row, lists to choose the
    kind, the price mode, the rate and the yes/no columns from, identifiers kept as text, and a
    说明 sheet with every column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "明细"
    sheet.append([column.label for column in COLUMNS])
    sheet.append([SAMPLE.get(column.key, "") for column in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    lists = {
        "kind": KINDS_LIST,
        "mode": "含税,不含税",
        "rate": RATES_LIST,
        "buyer_individual": "是,否",
        "discount": "是,否",
    }
    for at, column in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=at).column_letter
        sheet.column_dimensions[letter].width = max(10, len(column.label) * 2 + 2)
        if column.key in IDENTIFIERS:
            for row in range(2, 1002):
                sheet.cell(row=row, column=at).number_format = "@"
        if column.key in lists:
            check = DataValidation(type="list", formula1=f'"{lists[column.key]}"', allow_blank=True)
            check.error, check.errorTitle = "请从列表中选择", column.label
            sheet.add_data_validation(check)
            check.add(f"{letter}2:{letter}100000")
    notes = book.create_sheet("说明")
    notes.append(["列", "填写说明"])
    for column in COLUMNS:
        notes.append([column.label, column.note])
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["B"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
