"""A report as an Excel workbook: a 汇总 sheet, a sheet per breakdown with numbers as numbers
(amounts formatted to the 分), and a chart of sales by kind; text cells formula-safe."""

from __future__ import annotations

import io
from decimal import Decimal

from fapiao.core.spreadsheets import neutralise
from fapiao.reports.selectors import Group, Report

MONEY_FORMAT = "#,##0.00"
HEADER = ("张数", "金额", "税额", "价税合计")


TAX_HEADER = ["所属期", "已申报", "开票销售额", "开票销项税额", "申报销售额", "申报销项税额",
              "进项税额", "应纳税额", "留抵税额", "税负率（%）"]  # fmt: skip


def report_xlsx(report: Report) -> bytes:
    """The workbook of ``report``."""
    from openpyxl import Workbook  # a heavy library: loaded when a workbook is made
    from openpyxl.chart import BarChart, Reference

    book = Workbook()
    summary = book.active
    summary.title = "汇总"
    net = report.net
    rows: list[tuple[str, object]] = [
        ("报表", f"{report.period.span.label} {report.period.label}"),
        ("蓝字张数", report.blue),
        ("红字张数", report.red),
        ("作废张数", report.voided),
        ("金额（净额）", net.amount),
        ("税额（净额）", net.tax),
        ("价税合计（净额）", net.total),
        ("同比（%）", report.yoy),
        ("环比（%）", report.mom),
    ]
    for label, value in rows:
        summary.append([label, value])
        if isinstance(value, Decimal):
            summary.cell(summary.max_row, 2).number_format = MONEY_FORMAT
    summary.column_dimensions["A"].width = 18
    summary.column_dimensions["B"].width = 28

    def sheet(title: str, key: str, groups: list[Group]) -> None:
        page = book.create_sheet(title)
        page.append([key, *HEADER])
        for group in groups:
            figures = group.figures
            values = (figures.amount, figures.tax, figures.total)  # Decimal cells: numbers
            page.append([neutralise(group.key or "—"), figures.count, *values])
            for column in (3, 4, 5):
                page.cell(page.max_row, column).number_format = MONEY_FORMAT
        page.column_dimensions["A"].width = 36
        for column in "BCDE":
            page.column_dimensions[column].width = 16

    sheet("按发票种类", "发票种类", report.by_kind)
    sheet("按税率", "税率", report.by_rate)
    sheet("购买方", "购买方", report.top_buyers)
    sheet("商品", "税收分类编码", report.top_products)
    sheet("开票渠道", "开票渠道", report.by_channel)
    sheet("开票人", "开票人", report.by_issuer)
    taxes = book.create_sheet("税费缴纳")
    taxes.append(TAX_HEADER)
    for row in report.taxes:
        figures = [row.invoiced_sales, row.invoiced_tax]
        if row.declared:
            figures += [row.declared_sales, row.output_tax, row.input_tax, row.payable,
                        row.carried_forward]  # fmt: skip
        else:
            figures += [None] * 5
        taxes.append([f"{row.start:%Y-%m-%d} ~ {row.end:%Y-%m-%d}",
                      "是" if row.declared else "否", *figures, row.burden])  # fmt: skip
        for column in range(3, 10):
            taxes.cell(taxes.max_row, column).number_format = MONEY_FORMAT
    taxes.column_dimensions["A"].width = 26
    kinds = book["按发票种类"]
    if report.by_kind:
        chart = BarChart()
        chart.title = "金额（净额）按发票种类"
        chart.add_data(Reference(kinds, min_col=3, min_row=1, max_row=kinds.max_row),
                       titles_from_data=True)  # fmt: skip
        chart.set_categories(Reference(kinds, min_col=1, min_row=2, max_row=kinds.max_row))
        kinds.add_chart(chart, "G2")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
