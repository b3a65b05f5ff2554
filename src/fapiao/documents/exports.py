"""Exports of any invoice query: CSV, Excel, and a ZIP of many invoices' files with a manifest.

Identifiers (codes, 20-digit numbers, tax ids) stay text: in Excel they are string cells, so
they never turn into 2.6E+19.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from fapiao.core.spreadsheets import neutralise
from fapiao.documents.services import document_filename, document_render
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.lifecycle import Status
from fapiao.invoicing.models import Invoice

COLUMNS = (
    ("发票种类", lambda i: spec(InvoiceKind(i.kind)).name),
    ("发票代码", lambda i: i.code),
    ("发票号码", lambda i: i.number),
    ("开票日期", lambda i: i.issued_on.isoformat()),
    ("购买方名称", lambda i: i.buyer_name),
    ("购买方纳税人识别号", lambda i: i.buyer.get("tax_id", "")),
    ("合计金额", lambda i: i.amount),
    ("合计税额", lambda i: i.tax),
    ("价税合计", lambda i: i.total),
    ("状态", lambda i: Status(i.status).label),
    ("红字", lambda i: "是" if i.red else "否"),
    ("红冲原因", lambda i: i.red_reason),
    ("备注", lambda i: i.remarks),
    ("开票人", lambda i: i.drawer),
)
MONEY_COLUMNS = {"合计金额", "合计税额", "价税合计"}


def rows(invoices: Iterable[Invoice]) -> Iterable[list[Any]]:
    for invoice in invoices:
        yield [neutralise(value(invoice)) for _, value in COLUMNS]


def invoices_csv(invoices: Iterable[Invoice]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _ in COLUMNS])
    for row in rows(invoices):
        writer.writerow([f"{v:.2f}" if isinstance(v, Decimal) else v for v in row])
    return out.getvalue().encode("utf-8-sig")


def invoices_xlsx(invoices: Iterable[Invoice]) -> bytes:
    """Money as numbers with two decimals; everything else, identifiers included, as text."""
    from openpyxl import Workbook  # a heavy library: loaded when a workbook is made

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "发票"
    sheet.append([name for name, _ in COLUMNS])
    for row in rows(invoices):
        sheet.append(row)
    for index, (name, _) in enumerate(COLUMNS, start=1):
        for (cell,) in sheet.iter_rows(min_col=index, max_col=index, min_row=2):
            cell.number_format = "0.00" if name in MONEY_COLUMNS else "@"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def invoices_zip(invoices: Iterable[Invoice], formats: Iterable[str] = ("pdf",)) -> bytes:
    """Each invoice's files (a 数电 XML only for 数电 kinds) and ``manifest.json`` listing them
    with their invoice and SHA-256."""
    import hashlib

    manifest: list[dict[str, Any]] = []
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for invoice in invoices:
            for format in formats:
                if format == "xml" and not spec(InvoiceKind(invoice.kind)).digital:
                    continue
                content = document_render(invoice, format)
                name = document_filename(invoice, format)
                archive.writestr(name, content)
                manifest.append(
                    {
                        "file": name,
                        "kind": invoice.kind,
                        "code": invoice.code,
                        "number": invoice.number,
                        "issued_on": invoice.issued_on.isoformat(),
                        "total": f"{invoice.total:.2f}",
                        "status": invoice.status,
                        "sha256": hashlib.sha256(content).hexdigest(),
                    }
                )
        archive.writestr(
            "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode()
        )
    return out.getvalue()
