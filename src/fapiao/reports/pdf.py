"""A report as a PDF, charts included, drawn on the server with reportlab's own charts (the same
figures as the page, the workbook, the API and ``fapiao report``)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from fapiao.reports.selectors import Group, Point, Report

BRAND = "#8a2f1a"
SLICES = ("#8a2f1a", "#c9663f", "#e8a48f", "#6b6b6b", "#b58b2a", "#3f6f8a", "#7a9a5a", "#a3a3a3")


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def report_pdf(report: Report, trend: list[Point]) -> bytes:
    """The PDF of ``report``: its figures, the sales trend, sales by kind and shares by rate,
    and the tables each chart stands for."""
    # reportlab loads when a PDF is first made, not at start-up
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from fapiao.documents.fonts import Face, registered

    font = registered(Face.SANS)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22,
                           textColor=colors.HexColor(BRAND))  # fmt: skip
    heading = ParagraphStyle("heading", fontName=font, fontSize=11.5, leading=18, spaceBefore=6)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    style = TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3e9e6")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#d9c9c4")),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ])  # fmt: skip

    def table(header: list[str], rows: list[list[Any]], widths: list[float]) -> Table:
        empty = [["（无记录）"] + [""] * (len(header) - 1)]
        found = Table([header, *(rows or empty)], colWidths=widths, repeatRows=1)
        found.setStyle(style)
        return found

    def groups(rows: list[Group]) -> list[list[Any]]:
        return [[g.key or "—", g.figures.count, _money(g.figures.amount), _money(g.figures.tax),
                 _money(g.figures.total)] for g in rows]  # fmt: skip

    widths = [62 * mm, 16 * mm, 32 * mm, 28 * mm, 32 * mm]
    period, net = report.period, report.net
    story: list[Any] = [
        Paragraph(f"{period.span.label} {period.label}", title),
        Paragraph(
            f"蓝字 {report.blue} 张 · 红字 {report.red} 张 · 作废 {report.voided} 张。"
            "金额为净额：红字为负，作废不计。",
            body,
        ),
        Spacer(1, 3 * mm),
        table(
            ["", "金额", "税额", "价税合计", "同比", "环比"],
            [
                [
                    "净额",
                    _money(net.amount),
                    _money(net.tax),
                    _money(net.total),
                    "—" if report.yoy is None else f"{report.yoy}%",
                    "—" if report.mom is None else f"{report.mom}%",
                ]
            ],
            [30 * mm, 32 * mm, 28 * mm, 32 * mm, 22 * mm, 22 * mm],
        ),
        Paragraph("销售额走势（不含税）", heading),
        _trend_chart(trend, font),
        Paragraph("各票种销售额", heading),
        _bar_chart(report.by_kind, font),
        table(["发票种类", "张数", "金额", "税额", "价税合计"], groups(report.by_kind), widths),
        Paragraph("各税率销售额占比", heading),
        _pie_chart(report.by_rate, font),
        table(["税率", "张数", "金额", "税额", "价税合计"], groups(report.by_rate), widths),
        Paragraph("购买方（前10）", heading),
        table(["购买方", "张数", "金额", "税额", "价税合计"], groups(report.top_buyers), widths),
        Paragraph("商品（前10）", heading),
        table(["商品", "张数", "金额", "税额", "价税合计"], groups(report.top_products), widths),
        Paragraph("税费缴纳", heading),
        table(
            ["所属期", "开票销项税额", "申报销项税额", "进项税额", "应纳税额", "税负率"],
            [
                [
                    f"{t.start:%Y-%m-%d}~{t.end:%m-%d}",
                    _money(t.invoiced_tax),
                    _money(t.output_tax) if t.declared else "未申报",
                    _money(t.input_tax) if t.declared else "—",
                    _money(t.payable) if t.declared else "—",
                    "—" if t.burden is None else f"{t.burden}%",
                ]
                for t in report.taxes
            ],
            [36 * mm, 28 * mm, 28 * mm, 26 * mm, 26 * mm, 22 * mm],
        ),
    ]
    out = io.BytesIO()
    margins = {"leftMargin": 16 * mm, "rightMargin": 16 * mm, "topMargin": 14 * mm,
               "bottomMargin": 14 * mm}  # fmt: skip
    name = f"{period.span.label} {period.label}"
    doc = SimpleDocTemplate(out, pagesize=A4, title=name, author="Fapiao", **margins)
    doc.build(story)
    return out.getvalue()


def _canvas(height: float = 150) -> Any:
    from reportlab.graphics.shapes import Drawing

    return Drawing(500, height)


def _trend_chart(trend: list[Point], font: str) -> Any:
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.lib import colors

    drawing = _canvas()
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 50, 20, 430, 115
    chart.data = [[float(p.figures.amount) for p in trend] or [0.0]]  # a drawing's coordinates
    labels = [p.start.strftime("%m-%d" if p.start == p.end else "%Y-%m") for p in trend]
    step = max(1, len(labels) // 12)
    chart.categoryAxis.categoryNames = [
        label if i % step == 0 else "" for i, label in enumerate(labels)
    ]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6.5
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 6.5
    chart.lines[0].strokeColor = colors.HexColor(BRAND)
    chart.lines[0].strokeWidth = 1.4
    drawing.add(chart)
    return drawing


def _bar_chart(rows: list[Group], font: str) -> Any:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.lib import colors

    drawing = _canvas(130)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 50, 20, 430, 100
    chart.data = [[float(g.figures.amount) for g in rows] or [0.0]]
    chart.categoryAxis.categoryNames = [g.key for g in rows] or [""]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 6.5
    chart.valueAxis.valueMin = min(0.0, *chart.data[0])
    chart.bars[0].fillColor = colors.HexColor(BRAND)
    drawing.add(chart)
    return drawing


def _pie_chart(rows: list[Group], font: str) -> Any:
    from reportlab.graphics.charts.piecharts import Pie
    from reportlab.lib import colors

    drawing = _canvas(130)
    shown = [g for g in rows if g.figures.amount > 0]  # a share of a negative total is none
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 190, 18, 100, 100
    pie.data = [float(g.figures.amount) for g in shown] or [1.0]
    whole = sum(g.figures.amount for g in shown)
    pie.labels = [f"{g.key} {g.figures.amount * 100 / whole:.1f}%" for g in shown] or ["（无记录）"]
    pie.slices.fontName = font
    pie.slices.fontSize = 7.5
    for index in range(len(pie.data)):
        pie.slices[index].fillColor = colors.HexColor(SLICES[index % len(SLICES)])
    drawing.add(pie)
    return drawing
