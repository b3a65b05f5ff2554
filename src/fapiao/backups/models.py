"""The backups made by this installation: where they went, how big, how long, and whether a
restore of each into a scratch database gave back what its manifest says."""

from __future__ import annotations

from django.db import models


class Backup(models.Model):
    name = models.CharField(max_length=80, unique=True)  # fapiao-20261202-020000.age
    trigger = models.CharField(max_length=10, default="manual")  # manual / schedule
    started_at = models.DateTimeField()
    seconds = models.FloatField(default=0)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)  # of the encrypted archive
    destinations = models.JSONField(default=list)  # the paths it was written to
    counts = models.JSONField(default=dict)  # rows per table, as in the manifest
    verified_at = models.DateTimeField(null=True, blank=True)
    verified = models.BooleanField(null=True)  # None: not verified (yet)
    verify_message = models.TextField(blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)  # rotated out

    class Meta:
        ordering = ["-started_at"]
