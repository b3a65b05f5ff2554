"""No false alert on the demo year: the demo enterprise's year of invoices, voids, reds, uploads
and period closes, looked at by every rule on normal days of each month (the 20th at noon, and
the month's last day in the evening, after its voids and reds), raises nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from fapiao.closing.demo_history import demo_history
from fapiao.invoicing.demo import demo_load
from fapiao.invoicing.models import Event, Invoice
from fapiao.risk.models import Alert
from fapiao.risk.services import risk_evaluate

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def test_normal_days_of_each_month_of_the_demo_raise_nothing() -> None:
    today = timezone.localdate()
    demo_load(today=today, history=demo_history)
    looked_at, seen = [], 0
    for back in range(1, 12):
        month = (today.replace(day=1) - timedelta(days=28 * back)).replace(day=1)
        last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        for moment in (_at(month.replace(day=20), 12), _at(last, 22)):
            since = moment - timedelta(hours=24)
            risk_evaluate(now=moment, since=since)
            looked_at.append(moment)
            seen += Invoice.objects.filter(issued_at__gt=since, issued_at__lte=moment).count()
            seen += Event.objects.filter(
                type__in=("invoice.voided", "invoice.red_issued"), at__gt=since, at__lte=moment
            ).count()
    assert seen > 50  # the days looked at had invoices, voids and reds to look at
    assert [(a.rule, a.explanation) for a in Alert.objects.all()] == []
