"""Business time: Asia/Shanghai dates of aware moments."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_date(moment: datetime) -> date:
    """The Shanghai calendar date of an aware moment."""
    return moment.astimezone(SHANGHAI).date()
