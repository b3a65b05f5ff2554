"""Users and their roles at taxpayers (SPEC "People and roles").

Django's own users and password validators; a role is a ``Membership`` of a user at a taxpayer,
except the authority's, which belongs to no taxpayer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation

from fapiao.core.caller import Caller
from fapiao.core.roles import OUTSIDE, SUPPORT, Role
from fapiao.domain.errors import DomainError
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Invitation, Membership, Taxpayer
from fapiao.jobs.services import job_enqueue
from fapiao.security.audit import audit_append


class AccountError(DomainError):
    code = "account"


def user_create(
    *, username: str, password: str, email: str = "", first_name: str = "", actor: str = "system"
) -> AbstractUser:
    """A new user whose password passes the configured policy (Argon2-hashed); audited."""
    model = get_user_model()
    username = username.strip()
    if not username:
        raise AccountError("请填写用户名", field="username")
    if model.objects.filter(username=username).exists():
        raise AccountError("用户名已被使用", field="username")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise AccountError("电子邮箱格式不正确", field="email") from None
    user = model(username=username, email=email, first_name=first_name)
    try:
        with translation.override(settings.LANGUAGE_CODE):  # Chinese from the CLI and API too
            validate_password(password, user)
    except ValidationError as error:
        raise AccountError("；".join(error.messages), field="password") from None
    user.set_password(password)
    user.save()
    audit_append("user.created", actor=actor, payload={"user": username, "email": email})
    return user


@transaction.atomic
def role_grant(
    *, user: AbstractUser, role: Role, taxpayer: Taxpayer | None, actor: str
) -> Membership:
    """Give ``user`` ``role`` at ``taxpayer`` (no taxpayer for the authority's and support's
    roles, of which a user holds one at most)."""
    if (role in OUTSIDE) != (taxpayer is None):
        raise AccountError(
            "税务机关和客服角色不属于任何纳税人，其他角色必须属于一个纳税人", field="role"
        )
    if taxpayer is None and (
        Membership.objects.filter(user=user, taxpayer=None).exclude(role=role).exists()
    ):
        raise AccountError("该用户已担任税务机关或客服角色，一个用户只能担任其中一个", field="role")
    locked = None if taxpayer is None else taxpayer_lock(taxpayer.pk)
    membership, created = Membership.objects.get_or_create(user=user, taxpayer=locked, role=role)
    if created:
        _record("role.granted", user=user, role=role, taxpayer=locked, actor=actor)
    return membership


@transaction.atomic
def role_revoke(*, user: AbstractUser, role: Role, taxpayer: Taxpayer | None, actor: str) -> None:
    locked = None if taxpayer is None else taxpayer_lock(taxpayer.pk)
    deleted, _ = Membership.objects.filter(user=user, taxpayer=locked, role=role).delete()
    if deleted:
        _record("role.revoked", user=user, role=role, taxpayer=locked, actor=actor)


def _record(
    type: str, *, user: AbstractUser, role: Role, taxpayer: Taxpayer | None, actor: str
) -> None:
    """A role change in the audit log, and in the taxpayer's history when it has one."""
    payload = {"user": user.get_username(), "role": role.value}
    audit_append(type, actor=actor, taxpayer=taxpayer, payload=payload)
    if taxpayer is not None:
        event_append(taxpayer=taxpayer, type=type, actor=actor, at=timezone.now(), payload=payload)


def caller_of_user(user: Any, tax_id: str = "", taxpayer_id: int | None = None) -> Caller | None:
    """The caller a signed-in user is at one taxpayer: the one named (by tax id or id), else
    the only one; None when that is not one of the user's taxpayers."""
    memberships = Membership.objects.filter(user=user, taxpayer__isnull=False)
    if tax_id:
        memberships = memberships.filter(taxpayer__tax_id=tax_id.strip().upper())
    elif taxpayer_id is not None:
        memberships = memberships.filter(taxpayer_id=taxpayer_id)
    taxpayers = {m.taxpayer_id for m in memberships}
    if len(taxpayers) != 1:
        return None
    taxpayer = Taxpayer.objects.get(pk=taxpayers.pop())
    return Caller(taxpayer, frozenset(Role(m.role) for m in memberships), user.get_username())


def roles_of(user: AbstractUser, taxpayer: Taxpayer) -> set[Role]:
    return {
        Role(role)
        for role in Membership.objects.filter(user=user, taxpayer=taxpayer).values_list(
            "role", flat=True
        )
    }


def members_with(taxpayer: Taxpayer | int, roles: Iterable[Role]) -> list[AbstractUser]:
    """The active users holding any of ``roles`` at ``taxpayer`` (the readers of its notices)."""
    pk = taxpayer if isinstance(taxpayer, int) else taxpayer.pk
    return list(
        get_user_model()
        .objects.filter(
            memberships__taxpayer_id=pk, memberships__role__in=list(roles), is_active=True
        )
        .distinct()
        .order_by("pk")
    )


def taxpayers_of(user: AbstractUser) -> list[Taxpayer]:
    """The taxpayers where ``user`` holds any role, by name."""
    return list(Taxpayer.objects.filter(members__user=user).distinct().order_by("name"))


def is_authority(user: AbstractUser) -> bool:
    return Membership.objects.filter(user=user, role=Role.AUTHORITY).exists()


def support_role(user: AbstractUser) -> Role | None:
    """The user's support role (客服 or 客服主管), if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    found = Membership.objects.filter(user=user, taxpayer=None, role__in=SUPPORT).first()
    return None if found is None else Role(found.role)


def holds_power(user: AbstractUser) -> bool:
    """Whether ``user`` is a 管理员 of some taxpayer or a 税务机关 user: those the two-factor
    setting (``FAPIAO_2FA_REQUIRED``) applies to."""
    return Membership.objects.filter(user=user, role__in=(Role.ADMIN, Role.AUTHORITY)).exists()


#: how long an invitation to join a taxpayer stays open
INVITATION_DAYS = 7
INVITED_MESSAGE = "如该用户存在，已向其发出邀请；对方在“个人设置”中接受后即加入本企业"


def invitation_send(
    *, taxpayer: Taxpayer, username: str, role: Role, actor: str, now: datetime | None = None
) -> str:
    """Invite the user named ``username`` to take ``role`` at ``taxpayer``: the user joins only
    by accepting. The answer is the same whether or not such a user exists, so that a 管理员
    cannot learn the names of other taxpayers' users."""
    if role in OUTSIDE:
        raise AccountError("不能在企业中授予税务机关或客服角色", field="role")
    now = now or timezone.now()
    user = get_user_model().objects.filter(username=username.strip()).first()
    with transaction.atomic():
        locked = taxpayer_lock(taxpayer.pk)
        if (
            user is None
            or Membership.objects.filter(user=user, taxpayer=locked, role=role).exists()
        ):
            named = username.strip()[:150]
            audit_append("invitation.sent", actor=actor, taxpayer=locked,
                         payload={"username": named, "role": role.value})  # fmt: skip
            return INVITED_MESSAGE
        Invitation.objects.update_or_create(
            taxpayer=locked, user=user, role=role, answered_at=None,
            defaults={"invited_by": actor, "created_at": now,
                      "expires_at": now + timedelta(days=INVITATION_DAYS)},
        )  # fmt: skip
        audit_append("invitation.sent", actor=actor, taxpayer=locked,
                     payload={"username": user.get_username(), "role": role.value})  # fmt: skip
        if user.email:
            text = (
                f"{locked.name}的管理员{actor}邀请您担任{role.label}。"
                f"请在{INVITATION_DAYS}天内登录Fapiao开票系统，在“个人设置”中接受或拒绝。"
            )
            job_enqueue(
                "notify.email",
                {"to": user.email, "subject": f"邀请加入{locked.name}", "text": text},
            )
    return INVITED_MESSAGE


def invitations_open(user: AbstractUser, *, now: datetime | None = None) -> list[Invitation]:
    """The invitations ``user`` may still answer, newest first."""
    now = now or timezone.now()
    found = Invitation.objects.filter(user=user, answered_at__isnull=True, expires_at__gt=now)
    return list(found.select_related("taxpayer").order_by("-created_at"))


def invitation_answer(
    *, user: AbstractUser, invitation_id: int, accept: bool, now: datetime | None = None
) -> Invitation:
    """The invited user accepts (and takes the role) or declines; audited either way."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(pk=invitation_id, user=user, answered_at__isnull=True, expires_at__gt=now)
            .select_related("taxpayer")
            .first()
        )
        if invitation is None:
            raise AccountError("该邀请不存在、已处理或已过期", field="invitation")
        invitation.answered_at, invitation.accepted = now, accept
        invitation.save(update_fields=["answered_at", "accepted"])
        username = user.get_username()
        audit_append(
            "invitation.accepted" if accept else "invitation.declined",
            actor=username, taxpayer=invitation.taxpayer,
            payload={"role": invitation.role, "invited_by": invitation.invited_by},
        )  # fmt: skip
        if accept:
            role_grant(user=user, role=Role(invitation.role), taxpayer=invitation.taxpayer,
                       actor=username)  # fmt: skip
    return invitation
