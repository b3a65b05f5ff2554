"""The holiday calendar in force: the one that ships (``domain/data/holidays.json``), merged
with ``FAPIAO_HOLIDAYS_FILE`` when set (a JSON file of the same form: more years, or 征期
deadlines the authority published)."""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings

from fapiao.domain.periods import HolidayCalendar, shipped_calendar


@functools.cache
def _calendar(extra: str) -> HolidayCalendar:
    calendar = shipped_calendar()
    if extra:
        calendar = calendar.merged(HolidayCalendar.from_json(Path(extra).read_text("utf-8")))
    return calendar


def business_calendar() -> HolidayCalendar:
    return _calendar(getattr(settings, "FAPIAO_HOLIDAYS_FILE", ""))
