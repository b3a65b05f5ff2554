from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from fapiao.core.refusals import say
from fapiao.core.roles import Role
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.lifecycle import Status
from fapiao.domain.rates import parse_rate

register = template.Library()


register.filter("say", say)  # a refusal (or any message of the services) in the page's language


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, key)


STATUS = {status.value: status.label for status in Status}
EVENTS = {
    "invoice.issued": "开具", "invoice.red_issued": "开具红字发票", "invoice.red_flushed": "被红冲",
    "invoice.voided": "作废", "invoice.printed": "打印", "invoice.delivered": "交付",
    "delivery.queued": "排队交付", "delivery.failed": "交付失败", "link.created": "生成下载链接",
    "link.revoked": "撤销下载链接", "red_form.created": "提出红字信息表/确认单",
    "red_form.confirmed": "确认单已确认", "red_form.rejected": "确认单被拒绝",
    "red_form.lapsed": "确认单超时作废", "red_form.cancelled": "撤销信息表/确认单",
    "red_form.used": "信息表/确认单已使用",
}  # fmt: skip


@register.filter
def status_label(value: str) -> str:
    return say(STATUS.get(value, value))


@register.filter
def event_label(value: str) -> str:
    return say(EVENTS.get(value, value))


@register.filter
def money(value: Any) -> str:
    """An amount as a clerk reads it: thousands separated, two decimals (``1,234,567.80``)."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


@register.filter
def rate_label(value: Any) -> str:
    """A stored rate as printed: ``0.13`` → ``13%``, ``exempt`` → ``免税``."""
    try:
        return say(parse_rate(value).label)
    except DomainError:
        return str(value)


@register.filter
def kind_name(value: str) -> str:
    """An invoice kind's short name (``vat_special_paper`` → 增值税专用发票)."""
    try:
        return say(spec(InvoiceKind(value)).short_name)
    except ValueError:
        return str(value)


@register.filter
def role_label(value: str) -> str:
    try:
        return say(str(Role(value).label))
    except ValueError:
        return str(value)
