"""数电 numbers on the taxpayer side: blocks the authority hands out (赋码), kept ahead.

A 数电 number is the platform's: unique nationwide, so no channel makes its own. Each 数电
channel holds blocks granted by the authority; issuing takes the next number of the oldest block
of the year with one left (gapless within each block), and the worker asks for another block
while a fifth of one is still left, so that issuing goes on while the authority is unreachable.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from fapiao.authority.client import Unreachable, authority_client
from fapiao.domain.errors import Text
from fapiao.domain.kinds import ChannelType
from fapiao.domain.numbering import SEQUENCE_15_MAX, build_digital_number
from fapiao.invoicing.errors import IssueRefused
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.models import Channel, DigitalBlock, Taxpayer
from fapiao.jobs.services import periodic

USED_UP_MESSAGE = "数电发票号码已用完，且暂时无法向税务机关领取，请稍后再试"


class NumbersUsedUp(IssueRefused):
    """The channel has no 数电 number left for the year: ask the authority for a block."""


def block_size() -> int:
    return max(1, int(settings.FAPIAO_DIGITAL_BLOCK))


def prefix_of(channel: Channel, year: int) -> str:
    """The first five digits of the channel's 数电 numbers of ``year``."""
    return build_digital_number(
        year=year, region=channel.taxpayer.region[:2], channel=channel.channel_digit, sequence=1
    )[:5]


@transaction.atomic
def digital_block_receive(
    *,
    channel: Channel,
    year: int,
    prefix: str,
    first: int,
    last: int,
    received_from: str,
    actor: str,
    now: datetime | None = None,
) -> DigitalBlock:
    """Record a block of 数电 numbers handed to ``channel``, with its event."""
    if channel.type != ChannelType.DIGITAL:
        raise IssueRefused("只有数电渠道领取数电发票号码", field="channel")
    if prefix != prefix_of(channel, year):
        raise IssueRefused(Text("号码段前缀{0}不属于该渠道", prefix), field="prefix")
    if not 1 <= first <= last <= SEQUENCE_15_MAX:
        raise IssueRefused("号码段不正确", field="first")
    locked = Taxpayer.objects.select_for_update().get(pk=channel.taxpayer_id)
    if DigitalBlock.objects.filter(prefix=prefix, first__lte=last, last__gte=first).exists():
        raise IssueRefused("号码段与已有号码段重叠", field="first")
    now = now or timezone.now()
    block = DigitalBlock.objects.create(
        channel=channel,
        year=year,
        prefix=prefix,
        first=first,
        last=last,
        next_number=first,
        received_from=received_from,
        received_at=now,
    )
    event_append(
        taxpayer=locked,
        type="numbers.received",
        actor=actor,
        at=now,
        payload={
            "channel": channel.pk,
            "year": year,
            "prefix": prefix,
            "first": first,
            "last": last,
            "from": received_from,
        },
    )
    return block


def digital_block_request(
    *, channel: Channel, year: int, actor: str, count: int | None = None
) -> DigitalBlock:
    """Ask the authority for a block of the channel's 数电 numbers of ``year`` and keep it
    (raises :class:`Unreachable` when it cannot be asked now)."""
    taxpayer = channel.taxpayer
    grant = authority_client().digital_numbers(
        tax_id=taxpayer.tax_id,
        name=taxpayer.name,
        region=taxpayer.region,
        channel_digit=channel.channel_digit,
        year=year,
        count=count or block_size(),
    )
    return digital_block_receive(
        channel=channel,
        year=year,
        prefix=str(grant["prefix"]),
        first=int(grant["first"]),
        last=int(grant["last"]),
        received_from=f"税务机关赋码#{grant['grant']}",
        actor=actor,
    )


def digital_numbers_refill(channel: Channel, year: int, *, actor: str) -> None:
    """After :class:`NumbersUsedUp`: a block now, or the refusal the clerk reads."""
    try:
        digital_block_request(channel=channel, year=year, actor=actor)
    except Unreachable:
        raise IssueRefused(USED_UP_MESSAGE, field="channel") from None


#: after the authority could not be reached, the worker's rounds leave it alone this long
PAUSE = 60.0
_paused_until = [0.0]


@periodic
def digital_numbers_top_up() -> int:
    """The worker's round: a block for every 数电 channel with less than a fifth of a block
    left this year (Shanghai), in two queries however many channels there are; how many blocks
    were received. An unreachable authority is asked again after :data:`PAUSE` seconds."""
    if time.monotonic() < _paused_until[0]:
        return 0
    year = timezone.localdate().year
    blocks = DigitalBlock.objects.filter(year=year, channel__type=ChannelType.DIGITAL)
    left = dict(
        blocks.values("channel")
        .annotate(n=Sum(F("last") - F("next_number") + 1))
        .values_list("channel", "n")
    )
    received = 0
    for channel in Channel.objects.filter(type=ChannelType.DIGITAL).select_related("taxpayer"):
        if (left.get(channel.pk) or 0) * 5 >= block_size():
            continue
        try:
            digital_block_request(channel=channel, year=year, actor="系统")
        except Unreachable:
            _paused_until[0] = time.monotonic() + PAUSE
            return received
        received += 1
    return received
