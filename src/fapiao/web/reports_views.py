"""报表查询: a period's figures as tables (the selectors of ``fapiao.reports``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from fapiao.core.clock import local_date
from fapiao.core.refusals import say
from fapiao.core.roles import READ
from fapiao.domain.errors import DomainError
from fapiao.domain.reporting import ReportPeriod, Span, parse_period
from fapiao.reports.exports import report_xlsx
from fapiao.reports.pdf import report_pdf
from fapiao.reports.selectors import Point, Report, report_of, trend_of
from fapiao.web.context import page

FIELDS = ("date", "month", "year", "from", "to")


def charts_of(report: Report, trend: list[Point]) -> dict[str, Any]:
    """What the page's charts draw (amounts as exact strings) and where a click leads: the
    invoices a bar or a slice counts, on 发票查询."""
    period = report.period
    start, end = period.start.isoformat(), (period.end - timedelta(days=1)).isoformat()

    def invoices(**filters: str) -> str:
        return "/invoices/?" + urlencode({"start": start, "end": end, **filters})

    return {
        "trend": {
            "labels": [p.start.strftime("%m-%d" if p.start == p.end else "%Y-%m") for p in trend],
            "values": [str(p.figures.amount) for p in trend],
            "urls": ["/invoices/?" + urlencode({"start": p.start.isoformat(),
                                                 "end": p.end.isoformat()}) for p in trend],
        },
        "kinds": {
            "labels": [say(g.key) for g in report.by_kind],
            "values": [str(g.figures.amount) for g in report.by_kind],
            "urls": [invoices(kind=g.code) for g in report.by_kind],
        },
        "rates": {
            "labels": [say(g.key) for g in report.by_rate],
            "values": [str(g.figures.amount) for g in report.by_rate],
            "urls": [invoices(rate=g.code) for g in report.by_rate],
        },
    }  # fmt: skip


def _period(request: HttpRequest) -> tuple[str, dict[str, str], ReportPeriod]:
    values = {name: request.GET.get(name, "").strip() for name in FIELDS}
    span = request.GET.get("span", Span.MONTHLY.value)
    period = parse_period(
        span, today=local_date(timezone.now()), day=values["date"], month=values["month"],
        year=values["year"], start=values["from"], end=values["to"],
    )  # fmt: skip
    return span, values, period


@page(*READ)
def reports_export(request: HttpRequest, format: str = "xlsx") -> HttpResponse:
    """The report as an Excel workbook or a PDF with its charts."""
    me = request.caller  # type: ignore[attr-defined]
    try:
        _, _, period = _period(request)
    except DomainError:
        return reports_page(request)
    report = report_of(me.taxpayer, period)
    if format == "pdf":
        content = report_pdf(report, trend_of(me.taxpayer, period))
        kind = "application/pdf"
    else:
        content = report_xlsx(report)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(content, content_type=kind)
    name = f"report-{period.span.value}-{period.start:%Y%m%d}.{format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@page(*READ)
def reports_page(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    values = {name: request.GET.get(name, "").strip() for name in FIELDS}
    span = request.GET.get("span", Span.MONTHLY.value)
    context: dict[str, Any] = {"values": values, "span": span, "spans": list(Span),
                               "error": None, "report": None}  # fmt: skip
    try:
        span, values, period = _period(request)
    except DomainError as error:
        context["error"] = error
    else:
        report = report_of(me.taxpayer, period)
        context["report"] = report
        context["trend"] = trend_of(me.taxpayer, period)
        context["charts"] = charts_of(report, context["trend"])
        context["groups"] = [
            ("by-kind", "发票种类", report.by_kind),
            ("by-rate", "税率", report.by_rate),
            ("top-buyers", "购买方（前10）", report.top_buyers),
            ("top-products", "商品（税收分类编码，前10）", report.top_products),
            ("by-channel", "开票渠道", report.by_channel),
            ("by-issuer", "开票人", report.by_issuer),
        ]
    status = 400 if context["error"] else 200
    return render(request, "reports/reports.html", context, status=status)
