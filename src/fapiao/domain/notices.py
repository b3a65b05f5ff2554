"""Notices: what kinds the system gives, how severe each is, and by which channels one reaches
its reader (the reader's choices per kind, and a critical notice's right to pass quiet hours)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


SEVERITY_LABELS = {Severity.INFO: "提示", Severity.WARNING: "警告", Severity.CRITICAL: "严重"}

#: every kind of notice, with the name 个人设置 shows it by
KINDS = {
    "risk": "风险预警",
    "clearing": "清卡提醒",
    "upload": "上传被拒",
    "delivery": "交付失败",
    "batch": "批量开具结果",
    "request": "开票申请审批",
    "claim": "报销审批",
    "received": "进项发票识别",
    "ticket": "工单回复",
    "security": "账户安全",
}

CHANNELS = ("in_app", "email", "sms")
CHANNEL_LABELS = {"in_app": "站内", "email": "邮件", "sms": "短信"}


def channels_for(
    kind: str, *, chosen: Iterable[str], off: Mapping[str, Iterable[str]]
) -> tuple[str, ...]:
    """The channels a notice of ``kind`` goes by: those the reader chose for every notice
    (``chosen``), less those they turned off for this kind (``off``)."""
    turned_off = set(off.get(kind, ()))
    return tuple(channel for channel in CHANNELS if channel in chosen and channel not in turned_off)


def passes_quiet_hours(severity: str) -> bool:
    """A critical notice is sent at once, quiet hours or not; the others wait for their end."""
    return severity == Severity.CRITICAL


def off_check(off: Mapping[str, object]) -> dict[str, list[str]]:
    """The per-kind choices as stored, or ValueError naming what is not a kind or channel."""
    checked: dict[str, list[str]] = {}
    for kind, channels in off.items():
        if kind not in KINDS:
            raise ValueError(kind)
        if not isinstance(channels, (list, tuple)) or any(c not in CHANNELS for c in channels):
            raise ValueError(kind)
        if channels:
            checked[kind] = [c for c in CHANNELS if c in channels]
    return checked
