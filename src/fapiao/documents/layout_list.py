"""The 销货清单 pages: the lines that do not fit the face."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from fapiao.documents.model import DocLine, Document, money
from fapiao.documents.surface import (
    LABEL,
    Column,
    Row,
    Surface,
    draw_rows,
    line_columns,
    line_values,
    one_line,
    paged,
    row_of,
)

LIST_COLUMNS = (
    Column("序号", 10, 20, "c", whole=True),
    *line_columns(
        ("货物（劳务）名称", "规格型号", "单位", "数量", "单价", "金额", "税率", "税额"),
        (20, 75, 98, 110, 130, 152, 175, 186, 205),
        tagged=False,
    ),
)

LIST_TITLE = "销售货物或者提供应税劳务、服务清单"
LIST_TOP, LIST_BOTTOM = 40.0, 128.0


def list_rows(lines: Sequence[DocLine], size: float) -> list[Row]:
    return [
        row_of((str(i), *line_values(line)), LIST_COLUMNS, size)
        for i, line in enumerate(lines, start=1)
    ]


def list_pages(rows: Sequence[Row]) -> list[list[Row]]:
    return paged(rows, LIST_BOTTOM - LIST_TOP - 16)  # room below for 小计 and 总计


def draw_list(
    page: Surface,
    doc: Document,
    rows: Sequence[Row],
    *,
    number: int,
    count: int,
    last: bool,
    lines: Sequence[DocLine] = (),
) -> None:
    """One 销货清单 page: its ``rows`` (of ``lines``), their 小计, and the 总计 on the last."""
    page.text(105, 16, LIST_TITLE, 13, color=LABEL, align="c")
    for y, text in ((26, f"购买方名称：{doc.buyer.name}"), (31, f"销售方名称：{doc.seller.name}")):
        page.text(10, y, text, one_line(text, 195, 8.5))
    ident = (
        f"发票代码：{doc.code}  发票号码：{doc.number}" if doc.code else f"发票号码：{doc.number}"
    )
    page.text(10, 36, ident, 8.5)
    page.text(205, 36, f"共{count}页  第{number}页", 8.5, align="r")
    page.box(10, 37, 205, LIST_BOTTOM)
    for column in LIST_COLUMNS:
        page.text((column.left + column.right) / 2, 41, column.title, 8.5, color=LABEL, align="c")
    page.line(10, 42.5, 205, 42.5, 0.5)
    end = draw_rows(page, rows, LIST_COLUMNS, 43, 8)
    page.line(10, end + 1, 205, end + 1, 0.5)
    totals = [("小计", sum((x.amount for x in lines), Decimal(0)),
               sum((x.tax for x in lines), Decimal(0)))]  # fmt: skip
    if last:
        totals.append(("总计", doc.amount, doc.tax))
    for index, (label, amount, tax) in enumerate(totals):
        y = end + 5 + index * 4.5
        page.text(20, y, label, 8.5, color=LABEL)
        page.text(174, y, money(amount), 8.5, align="r")
        page.text(204, y, money(tax), 8.5, align="r")
    page.text(10, 134, f"填开日期：{doc.issued_on.strftime('%Y年%m月%d日')}", 8.5)
