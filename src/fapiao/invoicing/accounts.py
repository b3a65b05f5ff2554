"""Users and their roles at taxpayers (SPEC "People and roles").

Django's own users and password validators; a role is a ``Membership`` of a user at a taxpayer,
except the authority's, which belongs to no taxpayer.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation

from fapiao.domain.errors import DomainError
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.models import Membership, Role, Taxpayer
from fapiao.invoicing.services import taxpayer_lock
from fapiao.security.audit import audit_append


class AccountError(DomainError):
    code = "account"


def user_create(
    *, username: str, password: str, email: str = "", first_name: str = ""
) -> AbstractUser:
    """A new user whose password passes the configured policy (Argon2-hashed)."""
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
    return user


@transaction.atomic
def role_grant(
    *, user: AbstractUser, role: Role, taxpayer: Taxpayer | None, actor: str
) -> Membership:
    """Give ``user`` ``role`` at ``taxpayer`` (no taxpayer for the authority role)."""
    if (role == Role.AUTHORITY) != (taxpayer is None):
        raise AccountError("税务机关角色不属于任何纳税人，其他角色必须属于一个纳税人", field="role")
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


def roles_of(user: AbstractUser, taxpayer: Taxpayer) -> set[Role]:
    return {
        Role(role)
        for role in Membership.objects.filter(user=user, taxpayer=taxpayer).values_list(
            "role", flat=True
        )
    }


def taxpayers_of(user: AbstractUser) -> list[Taxpayer]:
    """The taxpayers where ``user`` holds any role, by name."""
    return list(Taxpayer.objects.filter(members__user=user).distinct().order_by("name"))


def is_authority(user: AbstractUser) -> bool:
    return Membership.objects.filter(user=user, role=Role.AUTHORITY).exists()
