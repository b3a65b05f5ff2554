"""Sign-in failures (for lockout), one-time codes, phone numbers of users, and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    mobile = models.CharField("手机号", max_length=20, unique=True, null=True, blank=True)
    language = models.CharField("界面语言", max_length=10, blank=True)  # "" follows the site
    theme = models.CharField("界面主题", max_length=10, default="light")  # light / dark
    notify_in_app = models.BooleanField("站内提醒", default=True)
    notify_email = models.BooleanField("邮件提醒", default=True)
    notify_sms = models.BooleanField("短信提醒", default=False)
    #: 管理员 and 财务: the month's report by e-mail once the month has ended
    monthly_report = models.BooleanField("每月报表邮件", default=True)
    quiet_start = models.TimeField("免打扰开始", null=True, blank=True)
    quiet_end = models.TimeField("免打扰结束", null=True, blank=True)
    #: per kind of notice (domain.notices.KINDS), the channels turned off for it
    notice_off = models.JSONField("按类型关闭的提醒", default=dict, blank=True)


class LoginFailure(models.Model):
    """A failed sign-in for an identifier (username, e-mail or mobile), whether it exists or not,
    so a lockout tells nobody which accounts exist."""

    identifier = models.CharField(max_length=150)
    at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True)

    class Meta:
        indexes = [models.Index(fields=["identifier", "at"])]


class OneTimeCode(models.Model):
    purpose = models.CharField(max_length=20)  # login, reset
    target = models.CharField(max_length=150)  # a mobile number or an e-mail address
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["purpose", "target", "created_at"])]


class AuditHead(models.Model):
    """The one row naming the end of the audit chain; locked by every append."""

    sequence = models.PositiveBigIntegerField(default=0)
    head = models.CharField(max_length=64, default="0" * 64)


class AuditEvent(models.Model):
    """Append-only and hash-chained like the invoice history."""

    sequence = models.PositiveBigIntegerField(unique=True)
    type = models.CharField(max_length=40, db_index=True)
    actor = models.CharField(max_length=150, db_index=True)
    taxpayer = models.ForeignKey(
        "invoicing.Taxpayer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(db_index=True)
    payload = models.JSONField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["sequence"]
