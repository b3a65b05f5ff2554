"""报表查询: the same figures as the pages and ``fapiao report``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from fapiao.api.v1.common import caller
from fapiao.api.v1.schemas import Error
from fapiao.core.clock import local_date
from fapiao.core.roles import READ
from fapiao.domain.reporting import parse_period
from fapiao.reports.selectors import report_of

router = Router()


@router.get(
    "/reports/{span}",
    response={200: dict[str, Any], 400: Error},
    tags=["报表"],
    summary="报表查询（日报表 daily、月报表 monthly、年报表 annual、区间 range）",
    description="date=YYYY-MM-DD（日报表）、month=YYYY-MM、year=YYYY、from/to（区间，含两端）；"
    "金额为净额：红字为负，作废不计。",
)
def report(request: HttpRequest, span: str) -> Any:
    me = caller(request)
    me.need(READ)
    query = request.GET
    period = parse_period(
        span, today=local_date(timezone.now()), day=query.get("date"), month=query.get("month"),
        year=query.get("year"), start=query.get("from"), end=query.get("to"),
    )  # fmt: skip
    return report_of(me.taxpayer, period).as_dict()
