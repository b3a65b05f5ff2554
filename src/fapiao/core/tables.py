"""Reading a table a user uploads: CSV (UTF-8 or GBK), Excel (.xlsx, .xls), row by row, with
each cell checked the way every import checks it (formulas refused, long identifiers that Excel
turned into floats refused, an exported ``'=…`` read back as it was).

Workbooks are read by calamine (fast: 100,000 rows in about a second). An .xlsx is a ZIP: its
entries are unpacked through :class:`core.archives.BoundedZip` (so a ZIP bomb is refused with
its sizes counted as they are unpacked) and handed over stored, never unpacked twice.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fapiao.core.archives import WORKBOOK, BoundedZip
from fapiao.core.spreadsheets import FORMULA_MESSAGE, is_formula, restore
from fapiao.domain.errors import DomainError, Text

#: the file types :func:`table_rows` reads
SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls")
FLOAT_MESSAGE = "长数字已被Excel转换为科学计数法而丢失精度，请将该列设置为文本格式后重新填写"


class TableRefused(DomainError):
    code = "unreadable_file"


def _bounded(content: bytes) -> bytes:
    """The workbook's entries unpacked within the bounds, packed again without compression."""
    archive = BoundedZip(content, WORKBOOK, label="Excel文件")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as stored:
        for name in archive.names():
            stored.writestr(name, archive.read(name))
    return out.getvalue()


def _workbook_rows(content: bytes, *, zipped: bool) -> Iterator[list[Any]]:
    from python_calamine import CalamineWorkbook  # loaded when a workbook comes

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(_bounded(content) if zipped else content))
        sheet = book.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except DomainError:
        raise
    except Exception:  # calamine raises its own error, or worse, for a damaged file
        raise TableRefused("无法读取该Excel文件", field="file") from None
    yield from rows


def table_rows(content: bytes, filename: str) -> Iterator[list[Any]]:
    """The first sheet's (or the CSV's) rows, one at a time; refused with a Chinese message
    naming ``file`` when the file cannot be read."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        yield from _workbook_rows(content, zipped=True)
        return
    if name.endswith(".xls"):
        yield from _workbook_rows(content, zipped=False)
        return
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
            except UnicodeDecodeError:
                continue
            try:
                yield from csv.reader(io.StringIO(text))
            except csv.Error as error:
                raise TableRefused(Text("CSV文件格式不正确：{0}", error), field="file") from None
            return
        raise TableRefused("CSV文件编码无法识别（应为UTF-8或GBK）", field="file")
    raise TableRefused("只支持 .csv、.xlsx 和 .xls 文件", field="file")


def cell_value(value: Any, *, field: str, identifier: bool = False) -> Any:
    """A cell as an import takes it: text checked for formulas, an integral float as its digits
    (an ``identifier`` of 15 digits or more refused: Excel has rounded it), other numbers as
    their decimal text, dates as ISO text; None and other values as they are."""
    if isinstance(value, str):
        if is_formula(value):
            raise TableRefused(FORMULA_MESSAGE, field=field)
        return restore(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if identifier and abs(value) >= 1e15:
            raise TableRefused(FLOAT_MESSAGE, field=field)
        return str(int(value)) if value.is_integer() else str(Decimal(str(value)))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
