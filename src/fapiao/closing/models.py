"""The period close on the taxpayer side: 抄报 per device, 申报 per taxpayer, 清卡 applications
and the reminders sent before a filing window closes."""

from __future__ import annotations

from django.db import models

from fapiao.invoicing.models import Channel, Taxpayer

MONEY = {"max_digits": 18, "decimal_places": 2}


class PeriodReport(models.Model):
    """抄报: a device's summary of a period, sent to the authority."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="reports")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="reports")
    period_start = models.DateField()
    period_end = models.DateField()
    summary = models.JSONField()
    receipt = models.JSONField()  # the authority's signed answer
    reported_at = models.DateTimeField()
    actor = models.CharField(max_length=150)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "period_start"], name="report_unique")
        ]


class Declaration(models.Model):
    """申报: the VAT return of a period (all channels) with its 比对."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="declarations")
    period_start = models.DateField()
    period_end = models.DateField()
    summary = models.JSONField()
    result = models.JSONField()  # the return: output and input tax, payable, 比对
    declared_sales = models.DecimalField(**MONEY)
    input_tax = models.DecimalField(**MONEY)
    comparison_ok = models.BooleanField()
    explanation = models.CharField(max_length=500, blank=True)
    declared_at = models.DateTimeField()
    actor = models.CharField(max_length=150)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["taxpayer", "period_start"], name="declaration_unique")
        ]


class ClearingStatus(models.TextChoices):
    SUBMITTED = "pending", "税务机关审核中"
    APPROVED = "approved", "已清卡"
    REJECTED = "rejected", "已驳回"


class Clearing(models.Model):
    """清卡 application of a device for a period; irreversible once approved."""

    number = models.CharField("申请编号", max_length=40, unique=True)
    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.PROTECT, related_name="clearings")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="clearings")
    period_start = models.DateField()
    period_end = models.DateField()
    type = models.CharField(max_length=4)
    status = models.CharField(max_length=10, choices=ClearingStatus.choices)
    reason = models.CharField(max_length=500, blank=True)
    findings = models.JSONField(default=list)
    summary = models.JSONField()
    declaration = models.JSONField()
    decision = models.JSONField(null=True)  # the authority's signed decision
    lock_date = models.DateField(null=True)
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True)
    actor = models.CharField(max_length=150)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "period_start"],
                condition=models.Q(status__in=["pending", "approved"]),
                name="one_live_clearing",
            )
        ]

    def __str__(self) -> str:
        return self.number


class Reminder(models.Model):
    """A reminder that a device's period is not cleared and its window closes soon."""

    taxpayer = models.ForeignKey(Taxpayer, on_delete=models.CASCADE, related_name="reminders")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE)
    period_start = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=200)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "period_start", "days_before"], name="reminder_once"
            )
        ]
