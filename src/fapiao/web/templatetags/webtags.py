from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext

from fapiao.core.refusals import say
from fapiao.core.roles import Role
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.kinds import DeviceKind, InvoiceKind, spec
from fapiao.domain.lifecycle import Status
from fapiao.domain.rates import parse_rate
from fapiao.support.links import help_url
from fapiao.web import labels

register = template.Library()


register.filter("say", say)  # a refusal (or any message of the services) in the page's language


@register.filter
def help_link(message: Any) -> str:
    """A 查看帮助 link to the article about a refusal, when it needs more than its sentence."""
    url = help_url(message)
    if url is None:
        return ""
    return format_html(' <a class="help-link" href="{}">{}</a>', url, gettext("查看帮助"))


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


@register.filter
def day(value: Any) -> str:
    """A date as the page's language writes it: ``2026年12月02日``, or ``2026-12-02``."""
    if not value:
        return ""
    value = _local(value)
    return say(Text("{0}年{1:02d}月{2:02d}日", value.year, value.month, value.day))


@register.filter
def month_day(value: Any) -> str:
    """``12月02日``, or ``12-02``."""
    if not value:
        return ""
    value = _local(value)
    return say(Text("{0:02d}月{1:02d}日", value.month, value.day))


def _local(value: Any) -> Any:
    """A moment as its Asia/Shanghai date (a date stays as it is)."""
    return timezone.localtime(value) if isinstance(value, datetime) else value
