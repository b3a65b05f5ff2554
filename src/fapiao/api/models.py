"""API keys: a key acts for one taxpayer with one role; shown once, stored as a hash."""

from __future__ import annotations

from django.db import models

from fapiao.core.roles import Role
from fapiao.invoicing.models import Taxpayer


class ApiKey(models.Model):
    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField("名称", max_length=60)
    role = models.CharField(max_length=20, choices=Role.choices)
    prefix = models.CharField(max_length=12, unique=True)  # shown in lists, finds the key
    key_hash = models.CharField(max_length=64)  # SHA-256 of the secret part
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"


class ApiKeyAddress(models.Model):
    """An address a key was used from, kept so that a use from a new one is noticed (风险预警)."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="addresses")
    ip = models.CharField(max_length=45)
    first_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "ip"], name="api_key_address")]
