"""The monthly report by e-mail: once a month has ended, each 管理员 and 财务 of a taxpayer who
keeps 每月报表邮件 on (个人设置) gets its report, the workbook and the PDF attached, once, held
back until their quiet hours end."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from fapiao.core.clock import local_date
from fapiao.core.roles import Role
from fapiao.domain.reporting import Span, period_of
from fapiao.invoicing.models import Membership, Taxpayer
from fapiao.jobs.services import handler, job_enqueue, periodic
from fapiao.reports.exports import report_xlsx
from fapiao.reports.models import MonthlyMail
from fapiao.reports.pdf import report_pdf
from fapiao.reports.selectors import report_of, trend_of
from fapiao.security.preferences import deliver_at, preferences_of

#: the report of a month goes out from this hour of the next month's first day
SEND_FROM = time(8, 0)
RECIPIENTS = (Role.ADMIN, Role.FINANCE)


def monthly_mails(*, now: datetime | None = None) -> int:
    """Queue last month's report for everyone who should get it and has not; how many."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.time() < SEND_FROM and local.day == 1:
        return 0
    last = (local_date(now).replace(day=1) - timedelta(days=1)).replace(day=1)
    queued = 0
    members = Membership.objects.filter(role__in=RECIPIENTS, taxpayer__isnull=False)
    done = set(MonthlyMail.objects.filter(month=last).values_list("taxpayer_id", "user_id"))
    for taxpayer_id, user_id in sorted(set(members.values_list("taxpayer_id", "user_id")) - done):
        user = get_user_model().objects.get(pk=user_id)
        profile = preferences_of(user)
        if not profile.monthly_report or not user.email:
            continue
        try:
            with transaction.atomic():
                MonthlyMail.objects.create(taxpayer_id=taxpayer_id, user=user, month=last,
                                           queued_at=now)  # fmt: skip
                job_enqueue("reports.monthly_mail", {"taxpayer": taxpayer_id, "to": user.email,
                            "month": last.isoformat()}, at=deliver_at(profile, now))  # fmt: skip
        except IntegrityError:  # another worker queued it first
            continue
        queued += 1
    return queued


@periodic
def monthly_mail_round() -> int:
    return monthly_mails()


@handler("reports.monthly_mail")
def send_monthly_mail(payload: dict[str, Any]) -> None:
    taxpayer = Taxpayer.objects.get(pk=payload["taxpayer"])
    period = period_of(Span.MONTHLY, datetime.fromisoformat(payload["month"]).date())
    report = report_of(taxpayer, period)
    net = report.net
    body = (
        f"{taxpayer.name} {period.label}月报表：\n"
        f"蓝字 {report.blue} 张，红字 {report.red} 张，作废 {report.voided} 张；\n"
        f"净额：金额 {net.amount:,} 元，税额 {net.tax:,} 元，价税合计 {net.total:,} 元。\n"
        "明细见附件（Excel 与 PDF）。本邮件由 Fapiao 开票系统发出；可在“个人设置”中关闭。"
    )
    mail = EmailMessage(f"Fapiao {taxpayer.name} {period.label}月报表", body, None,
                        [payload["to"]])  # fmt: skip
    name = f"report-{period.start:%Y%m}"
    mail.attach(f"{name}.xlsx", report_xlsx(report),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    mail.attach(f"{name}.pdf", report_pdf(report, trend_of(taxpayer, period)), "application/pdf")
    mail.send()
