"""风险预警's pages: the taxpayer's alerts with filters and a 30-day trend, one alert with what
it saw and its handling (确认, 解决 with a note, 忽略: 管理员), and the rules' thresholds."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from fapiao.core.roles import AUDIT, SETUP
from fapiao.domain import risk as rules
from fapiao.domain.errors import DomainError
from fapiao.domain.notices import SEVERITY_LABELS
from fapiao.invoicing.selectors import NotFound
from fapiao.risk import selectors
from fapiao.risk.services import alert_move, rule_set
from fapiao.web.context import page
from fapiao.web.settings_views import flash_of, told_then

PER_PAGE = 50


@page(*AUDIT)
def alerts(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    status = request.GET.get("status", "live")
    rule = request.GET.get("rule", "")
    severity = request.GET.get("severity", "")
    found = selectors.alerts_of(
        me.taxpayer,
        status=status if status in (*rules.ALERT_STATUS_LABELS, "live", "") else "live",
        rule=rule if rule in rules.RULES else "",
        severity=severity if severity in SEVERITY_LABELS else "",
    )
    trend = selectors.alerts_trend(me.taxpayer, today=timezone.localdate())
    return render(request, "risk/alerts.html", {
        "page_obj": Paginator(found, PER_PAGE).get_page(request.GET.get("page")),
        "status": status, "rule": rule, "severity": severity, "rules": rules.RULES,
        "statuses": rules.ALERT_STATUS_LABELS, "severities": SEVERITY_LABELS,
        "trend": trend, "message": flash_of(request),
        "can_handle": bool(me.roles & SETUP),
    })  # fmt: skip


@page(*AUDIT)
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    try:
        alert = selectors.alert_get(me.taxpayer, alert_id)
    except NotFound:
        raise Http404 from None
    error: DomainError | None = None
    if request.method == "POST":
        if not me.roles & SETUP:
            raise Http404
        try:
            alert_move(alert=alert, to=request.POST.get("status", ""), actor=me.actor,
                       note=request.POST.get("note", ""), request=request)  # fmt: skip
        except DomainError as refused:
            error = refused
        else:
            return told_then(request, f"/risk/{alert.pk}/", "已更新")
    return render(request, "risk/alert.html", {
        "alert": alert, "rule": rules.RULES.get(alert.rule), "error": error,
        "moves": [(s, rules.ALERT_STATUS_LABELS[s]) for s in rules.MOVES.get(alert.status, ())],
        "statuses": rules.ALERT_STATUS_LABELS, "severities": SEVERITY_LABELS,
        "can_handle": bool(me.roles & SETUP), "message": flash_of(request),
    })  # fmt: skip


@page(*AUDIT)
def rule_settings(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    error: DomainError | None = None
    if request.method == "POST":
        if not me.roles & SETUP:
            raise Http404
        code = request.POST.get("rule", "")
        known = rules.RULES.get(code)
        values = {n: request.POST.get(n, "") for n in (known.thresholds if known else ())}
        try:
            rule_set(taxpayer=me.taxpayer, rule=code, enabled=request.POST.get("enabled") == "1",
                     values={n: v for n, v in values.items() if v.strip()}, actor=me.actor,
                     request=request)  # fmt: skip
        except DomainError as refused:
            error = refused
        else:
            return told_then(request, "/risk/rules/", "已保存")
    return render(request, "risk/rules.html", {
        "rules": selectors.thresholds_of(me.taxpayer), "error": error,
        "severities": SEVERITY_LABELS, "can_handle": bool(me.roles & SETUP),
        "message": flash_of(request),
    })  # fmt: skip
