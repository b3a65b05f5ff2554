"""What the 风险预警 page, the API and ``fapiao risk`` read: a taxpayer's alerts, filtered, and
their trend."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate

from fapiao.domain import risk as rules
from fapiao.invoicing.models import Taxpayer
from fapiao.invoicing.selectors import NotFound
from fapiao.risk.models import Alert, RuleSetting


def alerts_of(
    taxpayer: Taxpayer | None, *, status: str = "", rule: str = "", severity: str = ""
) -> QuerySet[Alert]:
    """The taxpayer's alerts (``None``: those of no taxpayer, the operator's), newest first;
    ``status`` "live" for those still to handle."""
    found = Alert.objects.filter(taxpayer=taxpayer)
    if status == "live":
        found = found.filter(status__in=rules.LIVE)
    elif status:
        found = found.filter(status=status)
    if rule:
        found = found.filter(rule=rule)
    if severity:
        found = found.filter(severity=severity)
    return found.order_by("-first_seen", "-pk")


def alert_get(taxpayer: Taxpayer | None, pk: int) -> Alert:
    alert = Alert.objects.filter(taxpayer=taxpayer, pk=pk).first()
    if alert is None:
        raise NotFound("预警不存在", field="alert")
    return alert


def alerts_trend(taxpayer: Taxpayer | None, *, today: date, days: int = 30) -> list[dict[str, Any]]:
    """Alerts raised per day of the last ``days`` days, by severity."""
    first = today - timedelta(days=days - 1)
    counted = (
        Alert.objects.filter(taxpayer=taxpayer, first_seen__date__gte=first)
        .annotate(day=TruncDate("first_seen"))
        .values("day", "severity")
        .annotate(n=Count("pk"))
    )
    by_day = {(row["day"], row["severity"]): row["n"] for row in counted}
    return [
        {
            "day": str(first + timedelta(days=n)),
            **{
                s: by_day.get((first + timedelta(days=n), s), 0)
                for s in ("info", "warning", "critical")
            },
        }
        for n in range(days)
    ]


def thresholds_of(taxpayer: Taxpayer) -> list[dict[str, Any]]:
    """Each rule with the thresholds in force at the taxpayer (chosen or default)."""
    chosen = {s.rule: s for s in RuleSetting.objects.filter(taxpayer=taxpayer)}
    shown = []
    for code, rule in rules.RULES.items():
        setting = chosen.get(code)
        values = {k: Decimal(v) for k, v in setting.thresholds.items()} if setting else {}
        shown.append(
            {
                "rule": code,
                "label": rule.label,
                "severity": str(rule.severity),
                "enabled": setting.enabled if setting else True,
                "thresholds": [
                    {
                        "name": name,
                        "meaning": meaning,
                        "default": str(default),
                        "value": str(rules.threshold(code, name, values)),
                    }
                    for name, (default, meaning) in rule.thresholds.items()
                ],
            }
        )
    return shown


def alert_facts(alert: Any) -> dict[str, Any]:
    """An alert as the command and the API show it."""
    return {
        "id": alert.pk, "rule": alert.rule, "title": alert.title, "severity": alert.severity,
        "status": alert.status, "explanation": alert.explanation, "count": alert.count,
        "links": alert.links, "first_seen": alert.first_seen.isoformat(),
        "last_seen": alert.last_seen.isoformat(), "handled_by": alert.handled_by,
        "handled_at": alert.handled_at.isoformat() if alert.handled_at else None,
        "note": alert.note,
    }  # fmt: skip
