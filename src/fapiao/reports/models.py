"""What the reports app keeps: which monthly report went to whom (each once)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class MonthlyMail(models.Model):
    """The report of ``month`` e-mailed to ``user`` of ``taxpayer``: queued once, sent by the
    worker (which retries)."""

    taxpayer = models.ForeignKey("invoicing.Taxpayer", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # its first day
    queued_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "user", "month"], name="monthly_mail_once")
        ]
