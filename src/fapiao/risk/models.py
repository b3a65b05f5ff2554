"""风险预警: the alerts the risk rules raise, the thresholds each taxpayer chose, the rounds."""

from __future__ import annotations

from django.db import models


class Alert(models.Model):
    """One incident of one rule (``key`` names it): a repeat while it is open or acknowledged
    counts on it instead of raising another alert."""

    taxpayer = models.ForeignKey(
        "invoicing.Taxpayer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    rule = models.CharField(max_length=40)  # domain.risk.RULES
    key = models.CharField(max_length=200)
    severity = models.CharField(max_length=10)
    status = models.CharField(max_length=15, default="open")  # domain.risk.AlertStatus
    title = models.CharField(max_length=200)
    explanation = models.TextField()
    #: [[label, path], …]: the invoices, sign-ins or events it is about
    links = models.JSONField(default=list)
    count = models.PositiveIntegerField(default=1)
    first_seen = models.DateTimeField(db_index=True)
    last_seen = models.DateTimeField()
    handled_by = models.CharField(max_length=150, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["taxpayer", "status", "-first_seen"])]


class RuleSetting(models.Model):
    """A taxpayer's own thresholds of a rule (the rule's defaults otherwise), or the rule off."""

    taxpayer = models.ForeignKey("invoicing.Taxpayer", on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(max_length=40)
    thresholds = models.JSONField(default=dict)  # name → decimal text
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "rule"], name="rule_setting_unique")
        ]


class RiskRun(models.Model):
    """When a round (or a slow rule) last ran."""

    name = models.CharField(max_length=40, primary_key=True)
    last_at = models.DateTimeField()
