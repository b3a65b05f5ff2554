"""The numbers the platform hands out (赋码): blocks of 数电 invoice numbers and 确认单 numbers.

Both are the authority's to allocate and unique nationwide: a running number per prefix (year,
region, channel digit) or per region and year, taken under a row lock, so that two taxpayers of
one region can never get the same number.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from fapiao.authority.models import DigitalGrant, NumberSeries
from fapiao.authority.services import AuthorityRefused, registered
from fapiao.domain.errors import Text
from fapiao.domain.numbering import SEQUENCE_15_MAX, build_digital_number
from fapiao.domain.red import CONFIRMATION_SEQUENCE_DIGITS, confirmation_number

BLOCK_MAX = 100_000


def _take(series: str, count: int) -> int:
    """The first of ``count`` values taken from ``series``, in the caller's transaction; the
    series row stays locked until it commits."""
    NumberSeries.objects.get_or_create(series=series)
    row = NumberSeries.objects.select_for_update().get(series=series)
    first = row.next_value
    row.next_value = first + count
    row.save(update_fields=["next_value"])
    return first


@transaction.atomic
def digital_numbers_grant(
    *,
    tax_id: str,
    name: str,
    region: str,
    channel_digit: str,
    year: int,
    count: int,
    now: datetime | None = None,
) -> DigitalGrant:
    """Hand a 数电 channel the next ``count`` numbers of its year, region and channel digit."""
    now = now or timezone.now()
    if not 1 <= count <= BLOCK_MAX:
        raise AuthorityRefused(Text("赋码份数应为1至{0}", BLOCK_MAX), field="count")
    if not 2000 <= year <= now.year + 1:
        raise AuthorityRefused("赋码年度不正确", field="year")
    # checks the region and the channel digit (and names the field that is wrong)
    prefix = build_digital_number(year=year, region=region[:2], channel=channel_digit, sequence=1)
    prefix = prefix[:5]
    taxpayer = registered(tax_id, name)
    first = _take(f"digital:{prefix}", count)
    last = first + count - 1
    if last > SEQUENCE_15_MAX:
        raise AuthorityRefused("该年度该地区的数电发票号码已用完", field="count")
    return DigitalGrant.objects.create(
        taxpayer=taxpayer, prefix=prefix, first=first, last=last, at=now
    )


@transaction.atomic
def confirmation_number_grant(*, tax_id: str, name: str, region: str, year: int) -> str:
    """The next 确认单 number of the region and year (the platform numbers every 确认单)."""
    registered(tax_id, name)
    sequence = _take(f"confirmation:{region[:2]}:{year}", 1)
    if sequence >= 10**CONFIRMATION_SEQUENCE_DIGITS:
        raise AuthorityRefused("确认单编号已用完", field="number")
    return confirmation_number(region=region[:2], year=year, sequence=sequence)
