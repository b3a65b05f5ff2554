"""Personal preferences: language, theme, notification channels (and per kind of notice) and
quiet hours; the notices themselves are :mod:`fapiao.notices`'."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from fapiao.domain.errors import DomainError
from fapiao.domain.notices import off_check
from fapiao.security.audit import audit_append
from fapiao.security.models import Profile


class PreferenceRefused(DomainError):
    code = "preference_refused"


THEMES = ("light", "dark")
PREFERENCES = ("language", "theme", "notify_in_app", "notify_email", "notify_sms",
               "monthly_report", "quiet_start", "quiet_end", "notice_off")  # fmt: skip


def preferences_of(user: AbstractUser) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def preferences_save(
    user: AbstractUser, *, request: HttpRequest | None = None, **values: Any
) -> Profile:
    """Save the user's language, theme, notification channels and quiet hours (audited)."""
    profile = preferences_of(user)
    language = values.get("language", profile.language)
    if language not in ("", *(code for code, _ in settings.LANGUAGES)):
        raise PreferenceRefused("不支持该界面语言", field="language")
    if values.get("theme", profile.theme) not in THEMES:
        raise PreferenceRefused("界面主题应为浅色或深色", field="theme")
    if (values.get("quiet_start") is None) != (values.get("quiet_end") is None):
        raise PreferenceRefused("免打扰时段须同时填写开始和结束时间", field="quiet_start")
    if "notice_off" in values:
        try:
            values["notice_off"] = off_check(values["notice_off"])
        except ValueError:
            raise PreferenceRefused("提醒类型或渠道无效", field="notice_off") from None
    changed = {}
    for name in PREFERENCES:
        if name in values and getattr(profile, name) != values[name]:
            before = getattr(profile, name)
            setattr(profile, name, values[name])
            changed[name] = {"before": _plain(before), "after": _plain(values[name])}
    profile.save()
    if changed:
        audit_append("setting.changed", actor=user.get_username(), request=request,
                     payload={"what": "preferences", **changed})  # fmt: skip
    return profile


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (bool, dict, list)) else str(value)


def in_quiet_hours(profile: Profile, moment: datetime) -> bool:
    """Whether ``moment`` (any zone) falls in the user's quiet hours, read in Asia/Shanghai."""
    if profile.quiet_start is None or profile.quiet_end is None:
        return False
    now = timezone.localtime(moment).time()
    start, end = profile.quiet_start, profile.quiet_end
    return start <= now < end if start <= end else now >= start or now < end


def deliver_at(profile: Profile, moment: datetime) -> datetime:
    """When a notice made at ``moment`` may reach the user: then, or when their quiet hours end."""
    return _quiet_end(profile, moment) if in_quiet_hours(profile, moment) else moment


def _quiet_end(profile: Profile, moment: datetime) -> datetime:
    """The first moment after ``moment`` outside the user's quiet hours."""
    local = timezone.localtime(moment)
    end = local.replace(hour=profile.quiet_end.hour, minute=profile.quiet_end.minute,  # type: ignore[union-attr]
                        second=0, microsecond=0)  # fmt: skip
    return end if end > local else end + timedelta(days=1)
