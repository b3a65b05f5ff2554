"""报表查询: a period's figures as tables (the selectors of ``fapiao.reports``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from fapiao.core.clock import local_date
from fapiao.core.roles import READ
from fapiao.domain.errors import DomainError
from fapiao.domain.reporting import ReportPeriod, Span, parse_period
from fapiao.reports.exports import report_xlsx
from fapiao.reports.selectors import report_of
from fapiao.web.context import page

FIELDS = ("date", "month", "year", "from", "to")


def _period(request: HttpRequest) -> tuple[str, dict[str, str], ReportPeriod]:
    values = {name: request.GET.get(name, "").strip() for name in FIELDS}
    span = request.GET.get("span", Span.MONTHLY.value)
    period = parse_period(
        span, today=local_date(timezone.now()), day=values["date"], month=values["month"],
        year=values["year"], start=values["from"], end=values["to"],
    )  # fmt: skip
    return span, values, period


@page(*READ)
def reports_export(request: HttpRequest) -> HttpResponse:
    """The report as an Excel workbook."""
    me = request.caller  # type: ignore[attr-defined]
    try:
        _, _, period = _period(request)
    except DomainError:
        return reports_page(request)
    response = HttpResponse(
        report_xlsx(report_of(me.taxpayer, period)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"report-{period.span.value}-{period.start:%Y%m%d}.xlsx"
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
