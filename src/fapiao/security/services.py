"""Signing in: by username or e-mail and password, or by mobile and a one-time code; lockout
after repeated failures; confirmation and reset codes. The public learns only "用户名或密码错误"
or "账户被锁定", never whether an account exists.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any, NoReturn

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation

from fapiao.core.contacts import check_mobile
from fapiao.core.sms import sms_backend
from fapiao.domain.errors import DomainError
from fapiao.security import twofactor
from fapiao.security.audit import audit_append, client_of
from fapiao.security.models import LoginFailure, OneTimeCode, Profile
from fapiao.security.preferences import preferences_of

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)  # failures counted over this, and the lockout lasts this long
CODE_TTL = timedelta(minutes=5)
CODE_ATTEMPTS = 5
WRONG = "用户名或密码错误"
LOCKED = "账户被锁定，请15分钟后再试或联系管理员解锁"


class LoginRefused(DomainError):
    code = "login_refused"


class AccountLocked(LoginRefused):
    code = "account_locked"


def _key(identifier: str) -> str:
    return identifier.strip().lower()


def locked_until(identifier: str, *, now: datetime | None = None) -> datetime | None:
    """When the lockout of ``identifier`` ends, if it is locked now."""
    now = now or timezone.now()
    recent = LoginFailure.objects.filter(identifier=_key(identifier), at__gt=now - WINDOW)
    times = sorted(recent.values_list("at", flat=True))
    if len(times) < MAX_FAILURES:
        return None
    return times[-1] + WINDOW


def _find(identifier: str) -> AbstractUser | None:
    model = get_user_model()
    key = identifier.strip()
    user = model.objects.filter(username=key).first()
    if user is None and "@" in key:
        user = model.objects.filter(email__iexact=key).first()
    if user is None:
        profile = Profile.objects.filter(mobile=key).select_related("user").first()
        user = profile.user if profile else None
    return user


def sign_in_failed(identifier: str, request: HttpRequest | None, now: datetime, reason: str,
                   *, message: str = WRONG, field: str = "password") -> NoReturn:  # fmt: skip
    """Record the failure (committed, whatever the caller does next) and refuse."""
    ip, _ = client_of(request)
    with transaction.atomic():
        LoginFailure.objects.create(identifier=_key(identifier), at=now, ip=ip)
        audit_append("login.failed", actor=identifier[:150], request=request, at=now,
                     payload={"reason": reason})  # fmt: skip
        locked = locked_until(identifier, now=now) is not None
        if locked:
            audit_append("login.locked", actor=identifier[:150], request=request, at=now)
    if locked:
        raise AccountLocked(LOCKED, field="username")
    raise LoginRefused(message, field=field)


def sign_in_ok(user: AbstractUser, identifier: str, request: HttpRequest | None, now: datetime,
               method: str) -> AbstractUser:  # fmt: skip
    """The first factor passed. Without two-factor the sign-in is done (``login.ok``, failures
    forgotten); with it, ``login.first_factor`` and the failures stay until the second passes
    (:func:`login_second_factor`)."""
    if twofactor.enabled(user):
        audit_append("login.first_factor", actor=user.get_username(), request=request, at=now,
                     payload={"method": method})  # fmt: skip
        return user
    with transaction.atomic():
        LoginFailure.objects.filter(identifier=_key(identifier)).delete()
        audit_append("login.ok", actor=user.get_username(), request=request, at=now,
                     payload={"method": method})  # fmt: skip
    return user


def login_second_factor(
    user: AbstractUser, code: str, *, method: str, identifier: str,
    request: HttpRequest | None = None, now: datetime | None = None,
) -> Any:  # fmt: skip
    """The second step of signing in, after ``method`` passed for ``identifier``: a code from
    the authenticator app or a recovery code. Wrong codes count towards the lockout of the
    account's username; returns the device that passed (for the session)."""
    now = now or timezone.now()
    username = user.get_username()
    if locked_until(username, now=now) or locked_until(identifier, now=now):
        raise AccountLocked(LOCKED, field="code")
    found = twofactor.verify(user, code)
    if found is None or not user.is_active:
        sign_in_failed(username, request, now, "second factor", message=twofactor.WRONG_ANY,
                       field="code")  # fmt: skip
    kind, device = found
    with transaction.atomic():
        LoginFailure.objects.filter(identifier__in={_key(identifier), _key(username)}).delete()
        audit_append("login.ok", actor=username, request=request, at=now,
                     payload={"method": method, "second_factor": kind})  # fmt: skip
    return device


def login_password(
    identifier: str, password: str, *, request: HttpRequest | None = None,
    now: datetime | None = None,
) -> AbstractUser:  # fmt: skip
    """The user signing in with ``identifier`` (username or e-mail) and ``password``."""
    now = now or timezone.now()
    if locked_until(identifier, now=now):
        # tried while locked: not counted towards the lockout, but seen by the risk rules
        audit_append("login.refused_locked", actor=identifier[:150], request=request, at=now)
        raise AccountLocked(LOCKED, field="username")
    user = _find(identifier)
    if user is None or not user.check_password(password) or not user.is_active:
        # the same answer, and the same cost, whether the account exists or not
        if user is None:
            get_user_model()().set_password(password)
        sign_in_failed(
            identifier, request, now, "inactive" if user and not user.is_active else "wrong"
        )
    assert user is not None
    return sign_in_ok(user, identifier, request, now, "password")


@transaction.atomic
def unlock(identifier: str, *, actor: str) -> int:
    """An administrator lifts a lockout at once; returns how many failures were forgotten."""
    deleted, _ = LoginFailure.objects.filter(identifier=_key(identifier)).delete()
    audit_append("login.unlocked", actor=actor, payload={"identifier": identifier})
    return deleted


# --- one-time codes -----------------------------------------------------------------------


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _code_new(purpose: str, target: str, now: datetime, *, field: str) -> str:
    """A new 6-digit code for ``purpose`` sent to ``target`` (stored hashed, 5 minutes); at most
    one a minute."""
    if OneTimeCode.objects.filter(purpose=purpose, target=target,
                                  created_at__gt=now - timedelta(seconds=60)).exists():  # fmt: skip
        raise LoginRefused("验证码发送过于频繁，请1分钟后再试", field=field)
    code = f"{secrets.randbelow(10**6):06d}"
    OneTimeCode.objects.create(purpose=purpose, target=target, code_hash=_code_hash(code),
                               created_at=now, expires_at=now + CODE_TTL)  # fmt: skip
    return code


@transaction.atomic
def code_send(*, purpose: str, mobile: str, request: HttpRequest | None = None) -> None:
    """Text a 6-digit code for ``purpose`` to ``mobile``, if an account has that number; the
    caller is told the same either way."""
    mobile = check_mobile(mobile, field="mobile")
    code = _code_new(purpose, mobile, timezone.now(), field="mobile")
    audit_append("otp.sent", actor=mobile, request=request, payload={"purpose": purpose})
    if Profile.objects.filter(mobile=mobile).exists():
        sms_backend().send(mobile, f"【Fapiao】验证码 {code}，5分钟内有效，请勿告诉他人。")


MOBILE_TAKEN = "该手机号已被其他账户使用"


@transaction.atomic
def mobile_code_send(*, user: Any, mobile: str, request: HttpRequest | None = None) -> str:
    """Text a code to the number ``user`` wants to use (for phone sign-in, phone reset and SMS
    notices); the number is theirs only once they type the code back."""
    mobile = check_mobile(mobile, field="mobile")
    if Profile.objects.filter(mobile=mobile).exclude(user=user).exists():
        raise LoginRefused(MOBILE_TAKEN, field="mobile")
    code = _code_new("bind", mobile, timezone.now(), field="mobile")
    audit_append("otp.sent", actor=user.get_username(), request=request,
                 payload={"purpose": "bind"})  # fmt: skip
    sms_backend().send(mobile, f"【Fapiao】验证码 {code}，用于绑定手机号，5分钟内有效。")
    return mobile


def mobile_confirm(
    *, user: Any, mobile: str, code: str, request: HttpRequest | None = None
) -> Profile:
    """Bind ``mobile`` to ``user`` with the code just texted to it."""
    mobile = check_mobile(mobile, field="mobile")
    if not _take_code("bind", mobile, code, timezone.now()):
        raise LoginRefused("验证码不正确或已过期", field="code")
    with transaction.atomic():
        if Profile.objects.filter(mobile=mobile).exclude(user=user).exists():
            raise LoginRefused(MOBILE_TAKEN, field="mobile")
        profile = preferences_of(user)
        profile.mobile = mobile
        profile.save(update_fields=["mobile"])
        audit_append("mobile.bound", actor=user.get_username(), request=request,
                     payload={"mobile": f"{mobile[:3]}****{mobile[-4:]}"})  # fmt: skip
    return profile


def _take_code(purpose: str, mobile: str, code: str, now: datetime) -> bool:
    """Whether ``code`` is the live one texted to ``mobile`` for ``purpose``; it counts as a
    try either way and is used up when right."""
    with transaction.atomic():
        sent = (
            OneTimeCode.objects.select_for_update()
            .filter(purpose=purpose, target=mobile, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        good = (
            sent is not None
            and sent.attempts < CODE_ATTEMPTS
            and hmac.compare_digest(sent.code_hash, _code_hash(code.strip()))
        )
        if sent is not None:
            sent.attempts += 1
            sent.used_at = now if good else None
            sent.save(update_fields=["attempts", "used_at"])
    return good


def login_code(
    mobile: str, code: str, *, request: HttpRequest | None = None, now: datetime | None = None
) -> AbstractUser:
    """The user signing in with ``mobile`` and the code just texted to it."""
    now = now or timezone.now()
    mobile = check_mobile(mobile, field="mobile")
    if locked_until(mobile, now=now):
        raise AccountLocked(LOCKED, field="mobile")
    profile = Profile.objects.filter(mobile=mobile).select_related("user").first()
    good = _take_code("login", mobile, code, now)
    if not good or profile is None or not profile.user.is_active:
        sign_in_failed(mobile, request, now, "code")
    assert profile is not None
    return sign_in_ok(profile.user, mobile, request, now, "mobile")


def reset_with_code(
    mobile: str, code: str, password: str, *, request: HttpRequest | None = None
) -> AbstractUser:
    """Set a new password with the code texted to the account's mobile (purpose ``reset``)."""
    now = timezone.now()
    mobile = check_mobile(mobile, field="mobile")
    if locked_until(mobile, now=now):
        raise AccountLocked(LOCKED, field="mobile")
    profile = Profile.objects.filter(mobile=mobile).select_related("user").first()
    # the password is checked first, so a weak one does not use up the code; against a blank
    # user when the number has no account, so the answer does not tell
    try:
        with translation.override(settings.LANGUAGE_CODE):
            validate_password(password, profile.user if profile else get_user_model()())
    except ValidationError as error:
        raise LoginRefused("；".join(error.messages), field="password") from None
    if not _take_code("reset", mobile, code, now) or profile is None:
        sign_in_failed(mobile, request, now, "reset code")
    assert profile is not None
    user = profile.user
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        LoginFailure.objects.filter(identifier=_key(mobile)).delete()
        audit_append("password.reset", actor=user.get_username(), request=request, at=now,
                     payload={"method": "mobile"})  # fmt: skip
    return user


# --- confirmation codes for irreversible steps (清卡) -------------------------------------------


def confirm_send(user: AbstractUser, *, purpose: str, now: datetime | None = None) -> str:
    """Send the signed-in ``user`` a 6-digit code confirming ``purpose``, by SMS to their mobile
    or else by e-mail; returns where it went, masked."""
    mobile = Profile.objects.filter(user=user).values_list("mobile", flat=True).first()
    if not mobile and not user.email:
        raise LoginRefused("请先为账户设置手机号或邮箱，以便接收验证码", field="code")
    code = confirm_code_new(user, purpose=purpose, now=now)
    text = f"【Fapiao】{purpose}验证码 {code}，5分钟内有效，请勿告诉他人。"
    if mobile:
        sms_backend().send(mobile, text)
        return f"手机 {mobile[:3]}****{mobile[-4:]}"
    send_mail(f"Fapiao {purpose}验证码", text, None, [user.email])
    name, _, domain = user.email.partition("@")
    return f"邮箱 {name[:2]}***@{domain}"


def confirm_code_new(user: AbstractUser, *, purpose: str, now: datetime | None = None) -> str:
    """A fresh confirmation code for ``user`` and ``purpose``, handed to the caller in-process:
    :func:`confirm_send` texts or mails it; the demo's history confirms its own 清卡 with it.
    No page or endpoint returns it."""
    return _code_new(purpose, f"user:{user.pk}", now or timezone.now(), field="code")


def confirm_check(
    user: AbstractUser, *, purpose: str, code: str, now: datetime | None = None
) -> bool:
    """Whether ``code`` is the live code last sent to ``user`` for ``purpose`` (used up when
    right; five tries at most)."""
    return _take_code(purpose, f"user:{user.pk}", code, now or timezone.now())
