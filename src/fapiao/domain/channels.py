"""What a channel allows: the monitoring data of a tax-control device and a 数电 credit line
(DOMAIN §7). Each refusal carries the message the national systems use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from fapiao.domain.errors import DomainError, Text
from fapiao.domain.periods import LOCKED_MESSAGE, is_locked

SINGLE_LIMIT_MESSAGE = "超过单张发票开票限额"
OFFLINE_AMOUNT_MESSAGE = "超过离线限额"
OFFLINE_HOURS_MESSAGE = "超过离线时长"
CREDIT_MESSAGE = "超过授信额度"


DEVICE_NUMBER_DIGITS = 12


class ChannelRefused(DomainError):
    code = "channel_refused"


class DeviceLocked(ChannelRefused):
    code = "device_locked"


class OverSingleLimit(ChannelRefused):
    code = "over_single_limit"


class OverOfflineLimit(ChannelRefused):
    code = "over_offline_limit"


class OverCredit(ChannelRefused):
    code = "over_credit"


@dataclass(frozen=True, slots=True)
class Monitoring:
    """监控数据 of one kind on a device."""

    lock_date: date  # 开票截止时间
    single_limit: Decimal  # 单张发票限额, excluding tax
    offline_hours: int  # 离线开票时长
    offline_amount: Decimal  # 离线正数累计金额


def check_device(
    monitoring: Monitoring,
    *,
    amount: Decimal,
    today: date,
    oldest_unuploaded: datetime | None,
    unuploaded_amount: Decimal,
    now: datetime,
) -> None:
    """Refuse a blue invoice of ``amount`` (excluding tax) the device may not issue now.

    ``oldest_unuploaded`` is when the oldest invoice still waiting for upload was issued, and
    ``unuploaded_amount`` the positive total waiting; with nothing waiting the device is online
    and the offline limits do not apply.
    """
    if is_locked(monitoring.lock_date, today):
        raise DeviceLocked(LOCKED_MESSAGE, field="channel")
    if amount > monitoring.single_limit:
        raise OverSingleLimit(
            Text("{0}（{1}元）", SINGLE_LIMIT_MESSAGE, monitoring.single_limit), field="lines"
        )
    if oldest_unuploaded is not None and now - oldest_unuploaded > timedelta(
        hours=monitoring.offline_hours
    ):
        raise OverOfflineLimit(
            Text("{0}（{1}小时）", OFFLINE_HOURS_MESSAGE, monitoring.offline_hours), field="channel"
        )
    if (
        oldest_unuploaded is not None
        and unuploaded_amount + max(amount, Decimal(0)) > monitoring.offline_amount
    ):
        raise OverOfflineLimit(
            Text("{0}（{1}元）", OFFLINE_AMOUNT_MESSAGE, monitoring.offline_amount), field="channel"
        )


def check_credit(*, credit: Decimal, used: Decimal, amount: Decimal) -> None:
    """A 数电 channel issues at most ``credit`` (excluding tax) in a month."""
    if amount > 0 and used + amount > credit:
        raise OverCredit(
            Text("{0}（本月剩余{1}元）", CREDIT_MESSAGE, credit - used), field="channel"
        )


def validate_device_number(value: str) -> str:
    """A tax-control device's 12-digit number (金税盘、税控盘、税务UKey 编号)."""
    value = value.strip()
    if len(value) != DEVICE_NUMBER_DIGITS or not value.isdigit():
        raise ChannelRefused(
            Text("设备编号应为{0}位数字", DEVICE_NUMBER_DIGITS), field="device_number"
        )
    return value
