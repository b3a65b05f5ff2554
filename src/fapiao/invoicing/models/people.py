"""Users' roles at taxpayers and the invitations to take one."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from fapiao.core.roles import OUTSIDE, Role
from fapiao.invoicing.models.taxpayers import Taxpayer

OUTSIDE_VALUES = sorted(role.value for role in OUTSIDE)


class Membership(models.Model):
    """A user's role at a taxpayer; the authority's and support's roles belong to no taxpayer."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    taxpayer = models.ForeignKey(
        Taxpayer, null=True, blank=True, on_delete=models.CASCADE, related_name="members"
    )
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "taxpayer", "role"], name="membership_unique"),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(taxpayer__isnull=True),
                name="authority_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=OUTSIDE_VALUES, taxpayer__isnull=True)
                | (~models.Q(role__in=OUTSIDE_VALUES) & models.Q(taxpayer__isnull=False)),
                name="outside_roles_without_taxpayer",
            ),
        ]


class Invitation(models.Model):
    """A taxpayer's 管理员 asking an existing user to take a role there: the user joins only by
    accepting it (from 个人设置), before ``expires_at``."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    invited_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    accepted = models.BooleanField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["taxpayer", "user", "role"], condition=models.Q(answered_at__isnull=True),
                name="one_open_invitation",
            ),
        ]  # fmt: skip
