"""安全审计与风险预警: the risk rules, each with its severity, the thresholds a 管理员 may change
(and their defaults), and the sentence in Chinese that says what it saw. The app gathers the
facts (:mod:`fapiao.risk.detectors`); the judgements here need no database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal

from fapiao.domain.notices import Severity


class AlertStatus:
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


ALERT_STATUS_LABELS = {
    AlertStatus.OPEN: "待处理",
    AlertStatus.ACKNOWLEDGED: "已确认",
    AlertStatus.RESOLVED: "已解决",
    AlertStatus.DISMISSED: "已忽略",
}
#: an alert still being handled: a repeat of its incident counts on it
LIVE = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
#: where an alert may go from each status
MOVES = {
    AlertStatus.OPEN: (AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED, AlertStatus.DISMISSED),
    AlertStatus.ACKNOWLEDGED: (AlertStatus.RESOLVED, AlertStatus.DISMISSED),
    AlertStatus.RESOLVED: (),
    AlertStatus.DISMISSED: (),
}


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    severity: Severity
    #: each threshold's name, its default and what it means
    thresholds: Mapping[str, tuple[Decimal, str]] = field(default_factory=dict)


def _t(value: str, meaning: str) -> tuple[Decimal, str]:
    return Decimal(value), meaning


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            "login_failures_name",
            "同一账户连续登录失败",
            Severity.WARNING,
            {"count": _t("10", "次数"), "minutes": _t("15", "分钟内")},
        ),
        Rule(
            "login_failures_address",
            "同一地址大量登录失败",
            Severity.CRITICAL,
            {"count": _t("20", "次数"), "minutes": _t("15", "分钟内")},
        ),
        Rule(
            "login_new_address",
            "从新地址登录",
            Severity.INFO,
            {"history": _t("3", "此前至少登录次数")},
        ),
        Rule(
            "login_unusual_hour",
            "非常用时段登录",
            Severity.INFO,
            {
                "history": _t("10", "此前至少登录次数"),
                "start": _t("0", "时段开始（时）"),
                "end": _t("6", "时段结束（时）"),
            },
        ),
        Rule(
            "apikey_new_address",
            "API密钥从新地址调用",
            Severity.WARNING,
            {"history": _t("1", "此前至少已用地址数")},
        ),
        Rule(
            "void_red_spike",
            "作废或红冲数量异常",
            Severity.WARNING,
            {"count": _t("10", "当日至少张数"), "factor": _t("3", "高于近30日日均的倍数")},
        ),
        Rule(
            "after_hours_issuing",
            "非工作时间开票",
            Severity.INFO,
            {"start": _t("7", "工作开始（时）"), "end": _t("21", "工作结束（时）")},
        ),
        Rule(
            "split_invoicing",
            "疑似拆分开票",
            Severity.WARNING,
            {"count": _t("3", "24小时内张数"), "ratio": _t("0.9", "达到单张限额的比例")},
        ),
        Rule("stock_low", "发票库存不足", Severity.WARNING, {"count": _t("10", "剩余份数低于")}),
        Rule(
            "credit_low", "授信额度将用尽", Severity.WARNING, {"ratio": _t("0.1", "剩余比例低于")}
        ),
        Rule("lock_date_near", "开票截止日期临近", Severity.WARNING, {"days": _t("5", "剩余天数")}),
        Rule("ledger_problem", "历史记录校验发现问题", Severity.CRITICAL, {}),
        Rule("uploads_refused", "上传被税务机关拒绝", Severity.WARNING, {}),
        Rule(
            "uploads_waiting", "上传等待过久", Severity.WARNING, {"hours": _t("24", "等待小时数")}
        ),
        Rule(
            "buyer_id_invalid",
            "购买方税号校验位错误",
            Severity.WARNING,
            {"count": _t("3", "24小时内被拒次数")},
        ),
        Rule(
            "large_new_buyer",
            "向新客户开具大额发票",
            Severity.INFO,
            {"amount": _t("100000", "价税合计不低于（元）")},
        ),
        Rule("admin_granted", "授予管理员权限", Severity.WARNING, {}),
        Rule("bulk_export", "大量导出数据", Severity.INFO, {"rows": _t("5000", "单次导出行数")}),
    )
}


def threshold(rule: str, name: str, chosen: Mapping[str, Decimal] | None = None) -> Decimal:
    """The threshold in force: the one a 管理员 chose, else the rule's default."""
    if chosen and name in chosen:
        return chosen[name]
    return RULES[rule].thresholds[name][0]


def thresholds_check(rule: str, values: Mapping[str, str]) -> dict[str, Decimal]:
    """Thresholds as typed, checked: a known name, a number not below zero; else ValueError
    naming the threshold."""
    known = RULES[rule].thresholds
    checked = {}
    for name, text in values.items():
        if name not in known:
            raise ValueError(name)
        try:
            value = Decimal(str(text).strip())
        except ArithmeticError:
            raise ValueError(name) from None
        if not value.is_finite() or value < 0:
            raise ValueError(name)
        checked[name] = value
    return checked


def severity_of(rule: str, seen: int, limit: Decimal) -> Severity:
    """A rule's severity, one step up when what it saw is three times its threshold."""
    base = RULES[rule].severity
    if base == Severity.WARNING and limit > 0 and seen >= 3 * limit:
        return Severity.CRITICAL
    return base


def outside_hours(moment: datetime, start: int, end: int) -> bool:
    """Whether a local time falls outside ``start``:00 – ``end``:00 (business hours)."""
    clock = moment.time()
    return clock < time(start) or clock >= time(end)


def in_band(moment: datetime, start: int, end: int) -> bool:
    """Whether a local time falls in the band ``start``:00 – ``end``:00."""
    return time(start) <= moment.time() < time(end)


def spike(today: int, earlier_days: Sequence[int], *, count: Decimal, factor: Decimal) -> bool:
    """Today's count far above the taxpayer's own baseline: at least ``count`` and more than
    ``factor`` times the daily average of the earlier days."""
    average = Decimal(sum(earlier_days)) / max(len(earlier_days), 1)
    return today >= count and today > factor * average


def near_limit(
    totals: Sequence[Decimal], limit: Decimal, *, count: Decimal, ratio: Decimal
) -> bool:
    """拆分开票: at least ``count`` invoices, each at or above ``ratio`` of the single-invoice
    limit but within it."""
    near = [t for t in totals if ratio * limit <= t <= limit]
    return limit > 0 and len(near) >= count
