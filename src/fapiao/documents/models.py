"""Download links: a buyer fetches the invoice's files with an unguessable token, no account."""

from __future__ import annotations

from django.db import models

from fapiao.invoicing.models import Invoice


class DownloadLink(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)  # SHA-256 of the token
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150)
    downloads = models.PositiveIntegerField(default=0)
