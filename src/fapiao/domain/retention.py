"""Which backups to keep: the newest of each of the last ``daily`` days, ``weekly`` ISO weeks and
``monthly`` months (a grandfather-father-son rotation), counted in the business calendar's days
(the caller gives local dates). The newest backup is always kept."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any


def to_keep(
    moments: Sequence[datetime], *, daily: int = 7, weekly: int = 4, monthly: int = 12,
    day_of: Callable[[datetime], date] = lambda moment: moment.date(),
) -> set[int]:  # fmt: skip
    """The indexes into ``moments`` of the backups to keep."""
    if daily < 0 or weekly < 0 or monthly < 0:
        raise ValueError("retention counts cannot be negative")
    order = sorted(range(len(moments)), key=lambda i: moments[i], reverse=True)
    keep: set[int] = set(order[:1])
    for count, bucket in (
        (daily, lambda d: d),
        (weekly, lambda d: d.isocalendar()[:2]),
        (monthly, lambda d: (d.year, d.month)),
    ):
        seen: list[Any] = []
        for index in order:  # newest first: the first of each bucket is its newest
            key = bucket(day_of(moments[index]))
            if key in seen:
                continue
            if len(seen) == count:
                break
            seen.append(key)
            keep.add(index)
    return keep
