"""Third-party identities (an enterprise's OpenID Connect provider, 微信, 钉钉, 飞书), kept as
allauth's social accounts. An identity signs in only to the user who linked it, or makes a new
user where the provider allows sign-up; never by matching an e-mail address. The lockout, the
audit and the second factor are the same as for the password.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, NoReturn

from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from fapiao.domain.errors import DomainError
from fapiao.security.audit import audit_append
from fapiao.security.models import Profile
from fapiao.security.services import (
    LOCKED,
    AccountLocked,
    locked_until,
    sign_in_failed,
    sign_in_ok,
)

UNLINKED = (
    "该第三方账号尚未绑定 Fapiao 账户：请先用用户名和密码登录，"
    "在“个人设置 → 第三方账号”中绑定后再使用"
)
TAKEN = "该第三方账号已绑定其他用户"
LAST_WAY = "这是您唯一的登录方式：请先设置密码或绑定手机号，再解除绑定"
INACTIVE = "该账户已停用，请联系管理员"


class IdentityRefused(DomainError):
    code = "identity_refused"


def identifier_of(provider: str, uid: str) -> str:
    """The name an identity's failures are counted under for the lockout."""
    return f"{provider}:{uid}"[:150]


def login_identity(
    user: Any, *, provider: str, uid: str, request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Any:  # fmt: skip
    """The linked ``user`` signing in with ``provider``'s identity ``uid``: refused while the
    identity or the account is locked out or the account is off."""
    now = now or timezone.now()
    identifier = identifier_of(provider, uid)
    if locked_until(identifier, now=now) or locked_until(user.get_username(), now=now):
        raise AccountLocked(LOCKED, field="provider")
    if not user.is_active:
        sign_in_failed(identifier, request, now, "inactive", message=INACTIVE, field="provider")
    return sign_in_ok(user, identifier, request, now, f"social:{provider}")


def login_unlinked(*, provider: str, uid: str, request: HttpRequest | None = None) -> NoReturn:
    """An identity no user has linked, where the provider does not allow sign-up."""
    now = timezone.now()
    identifier = identifier_of(provider, uid)
    if locked_until(identifier, now=now):
        raise AccountLocked(LOCKED, field="provider")
    sign_in_failed(identifier, request, now, "unlinked", message=UNLINKED, field="provider")


def login_error(*, provider: str, reason: str, request: HttpRequest | None = None) -> None:
    """A third-party sign-in that failed before the identity was known (a refused state, a
    bad or expired code, a provider that is down): audited; no identity to lock."""
    audit_append("login.failed", actor=f"{provider}:?", request=request,
                 payload={"reason": reason, "provider": provider})  # fmt: skip


@transaction.atomic
def identity_link(user: Any, sociallogin: SocialLogin, *, request: HttpRequest) -> bool:
    """Link the identity just returned by the provider to the signed-in ``user``; False when it
    was linked to them already. One identity belongs to one user."""
    account = sociallogin.account
    if account.pk:
        if account.user_id != user.pk:
            raise IdentityRefused(TAKEN, field="provider")
        return False
    sociallogin.connect(request, user)
    audit_append("identity.linked", actor=user.get_username(), request=request,
                 payload={"provider": account.provider, "uid": account.uid})  # fmt: skip
    return True


@transaction.atomic
def identity_signup(sociallogin: SocialLogin, *, request: HttpRequest) -> Any:
    """A new user made from an identity whose provider allows self-service sign-up. The user has
    no password and no role: a 管理员 grants roles as for anyone else. A verified e-mail from the
    provider is kept when no other user has it."""
    model = get_user_model()
    account = sociallogin.account
    data = account.extra_data or {}
    userinfo = data.get("userinfo", data) if isinstance(data, dict) else {}
    wanted = (
        getattr(sociallogin.user, "username", "")
        or userinfo.get("preferred_username")
        or userinfo.get("nickname")
        or f"{account.provider}_{account.uid}"
    )
    user = model(username=_free_username(str(wanted)))
    email = next((e.email for e in sociallogin.email_addresses if e.verified), "")
    if email and not model.objects.filter(email__iexact=email).exists():
        user.email = email
    user.first_name = str(getattr(sociallogin.user, "first_name", "") or "")[:150]
    user.set_unusable_password()
    sociallogin.user = user
    sociallogin.save(request, connect=True)
    audit_append("register", actor=user.get_username(), request=request,
                 payload={"provider": account.provider})  # fmt: skip
    audit_append("identity.linked", actor=user.get_username(), request=request,
                 payload={"provider": account.provider, "uid": account.uid})  # fmt: skip
    return user


def _free_username(wanted: str) -> str:
    model = get_user_model()
    base = re.sub(r"[^\w.@+-]", "", wanted)[:140] or "user"
    name, n = base, 1
    while model.objects.filter(username=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def identities_of(user: Any) -> list[SocialAccount]:
    return list(SocialAccount.objects.filter(user=user).order_by("provider", "pk"))


def ways_to_sign_in(user: Any, *, besides: int | None = None) -> int:
    """How many ways ``user`` can sign in (password, mobile code, identities), not counting
    the identity ``besides``."""
    mobile = Profile.objects.filter(user=user, mobile__isnull=False).exclude(mobile="").exists()
    others = SocialAccount.objects.filter(user=user).exclude(pk=besides).count()
    return int(user.has_usable_password()) + int(mobile) + others


@transaction.atomic
def identity_unlink(
    user: Any, account_id: int | None, *, request: HttpRequest | None = None
) -> str:
    """Unlink one of ``user``'s identities, keeping at least one way to sign in; returns the
    provider's id."""
    found = SocialAccount.objects.select_for_update().filter(user=user, pk=account_id)
    account = found.first() if account_id is not None else None
    if account is None:
        raise IdentityRefused("未找到该第三方账号", field="account")
    if ways_to_sign_in(user, besides=account.pk) < 1:
        raise IdentityRefused(LAST_WAY, field="account")
    provider, uid = account.provider, account.uid
    account.delete()
    audit_append("identity.unlinked", actor=user.get_username(), request=request,
                 payload={"provider": provider, "uid": uid})  # fmt: skip
    return provider
