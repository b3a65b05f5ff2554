from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from fapiao.core.refusals import say
from fapiao.core.roles import Role
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import DeviceKind, InvoiceKind, spec
from fapiao.domain.lifecycle import Status
from fapiao.domain.rates import parse_rate
from fapiao.web import labels

register = template.Library()


register.filter("say", say)  # a refusal (or any message of the services) in the page's language


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, key)


STATUS = {status.value: status.label for status in Status}


@register.filter
def status_label(value: str) -> str:
    return say(STATUS.get(value, value))


register.filter("event_label", labels.event_label)
register.filter("describe", labels.describe)


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
def device_label(value: str) -> str:
    try:
        return say(DeviceKind(value).label)
    except ValueError:
        return str(value)


@register.filter
def role_label(value: str) -> str:
    try:
        return say(str(Role(value).label))
    except ValueError:
        return str(value)
