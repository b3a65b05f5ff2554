"""Two-factor sign-in: an authenticator app's time-based codes (TOTP, RFC 6238) and one-time
recovery codes, kept by django-otp. Asked after the password, the phone code or a third-party
sign-in, and again before 清卡, API key creation and role changes (:func:`step_up`).
"""

from __future__ import annotations

import base64
import re
import secrets
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from fapiao.domain.errors import DomainError, Text
from fapiao.security.audit import audit_append

RECOVERY_COUNT = 10
APP_NAME = "authenticator"
RECOVERY_NAME = "recovery"
WRONG_CODE = "动态口令不正确或已过期，请输入身份验证器中当前显示的6位数字"
WRONG_ANY = "动态口令或恢复码不正确"
STEP_UP_PURPOSES = {"clear": "清卡", "apikey": "创建API密钥", "role": "变更角色"}


class TwoFactorRefused(DomainError):
    code = "two_factor_refused"


def device_of(user: Any) -> TOTPDevice | None:
    """The user's confirmed authenticator, if they have set one up."""
    if not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def enabled(user: Any) -> bool:
    return device_of(user) is not None


def recovery_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME).count()


def required_of(holds_power: bool) -> bool:
    """Whether a user must use two-factor: a 管理员 or 税务机关 when the setting says so."""
    return holds_power and settings.FAPIAO_2FA_REQUIRED


# --- setting up ------------------------------------------------------------------------------


@transaction.atomic
def enrol_begin(user: Any) -> TOTPDevice:
    """A new, unconfirmed authenticator secret for ``user`` (replacing an earlier unconfirmed
    one); it counts only once a code from it is typed back (:func:`enrol_confirm`)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)


def pending_of(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code, drawn here (nothing leaves the server)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def enrol_confirm(user: Any, code: str, *, request: HttpRequest | None = None) -> list[str]:
    """Confirm the pending authenticator with a code from it; returns the recovery codes, shown
    once."""
    device = pending_of(user)
    if device is None:
        raise TwoFactorRefused("请先生成二维码，再用身份验证器扫描", field="code")
    if not device.verify_token(_digits(code)):
        raise TwoFactorRefused(WRONG_CODE, field="code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_new(user)
        audit_append("2fa.enabled", actor=user.get_username(), request=request)
    return codes


def recovery_renew(user: Any, code: str, *, request: HttpRequest | None = None) -> list[str]:
    """New recovery codes (the old ones stop working), confirmed with a current code."""
    _check_totp(user, code)
    with transaction.atomic():
        codes = _recovery_new(user)
        audit_append("2fa.recovery_renewed", actor=user.get_username(), request=request)
    return codes


def disable(user: Any, code: str, *, request: HttpRequest | None = None,
            allowed: bool = True) -> None:  # fmt: skip
    """Turn two-factor off with a current code; refused when the user must keep it."""
    if not allowed:
        raise TwoFactorRefused("您的角色要求使用两步验证，不能关闭", field="code")
    _check_totp(user, code)
    reset(user, actor=user.get_username(), request=request)


@transaction.atomic
def reset(user: Any, *, actor: str, request: HttpRequest | None = None) -> bool:
    """Remove the user's authenticator and recovery codes (the user, or an operator from the
    command line when the phone is lost); whether there was one."""
    had = TOTPDevice.objects.filter(user=user).delete()[0] > 0
    StaticDevice.objects.filter(user=user).delete()
    if had:
        audit_append("2fa.disabled", actor=actor, request=request,
                     payload={"user": user.get_username()})  # fmt: skip
    return had


def _recovery_new(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME)
    codes = [_recovery_code() for _ in range(RECOVERY_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def _recovery_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
    text = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{text[:5]}-{text[5:]}"


# --- checking --------------------------------------------------------------------------------


def _digits(code: str) -> str:
    return re.sub(r"\s", "", code or "")


def _recovery_form(code: str) -> str:
    text = re.sub(r"[^0-9a-z]", "", (code or "").lower())
    return f"{text[:5]}-{text[5:]}" if len(text) == 10 else ""


def _check_totp(user: Any, code: str) -> None:
    device = device_of(user)
    if device is None:
        raise TwoFactorRefused("尚未启用两步验证", field="code")
    if not device.verify_token(_digits(code)):
        raise TwoFactorRefused(WRONG_CODE, field="code")


def verify(user: Any, code: str) -> tuple[str, Any] | None:
    """Which second factor ``code`` is for ``user`` (``totp`` or ``recovery``, with its device;
    a recovery code is used up), or None. django-otp refuses a code used once already and slows
    repeated failures."""
    device = device_of(user)
    if device is not None and device.verify_token(_digits(code)):
        return "totp", device
    recovery = _recovery_form(code)
    static = StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()
    if recovery and static is not None and static.verify_token(recovery):
        return "recovery", static
    return None


def step_up(user: Any, code: str, *, purpose: str, request: HttpRequest | None = None) -> None:
    """Before an irreversible or powerful step, a user with two-factor types a current code
    again (audited either way); without two-factor this asks nothing."""
    if not enabled(user):
        return
    what = STEP_UP_PURPOSES.get(purpose, purpose)
    if not _digits(code):
        raise TwoFactorRefused(Text("{0}前请输入身份验证器中的动态口令", what), field="otp")
    device = device_of(user)  # the app's code only: a recovery code is for signing in
    good = device is not None and bool(device.verify_token(_digits(code)))
    audit_append("2fa.step_up", actor=user.get_username(), request=request,
                 payload={"purpose": purpose, "ok": good})  # fmt: skip
    if not good:
        raise TwoFactorRefused(WRONG_CODE, field="otp")
