"""The period close over simulated months with a frozen clock: 抄报, 申报, 清卡 and its review."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation
from pypdf import PdfReader

from fapiao.authority import reviews
from fapiao.closing import clearing
from fapiao.closing.certificate import certificate_pdf
from fapiao.closing.clearing import clearing_apply, clearing_refresh, clearing_state
from fapiao.closing.filing import period_declare, period_report
from fapiao.closing.models import Clearing, Reminder
from fapiao.closing.reminders import reminders_of, reminders_send
from fapiao.closing.services import period_from
from fapiao.core.refusals import say
from fapiao.core.roles import Role
from fapiao.domain.errors import DomainError
from fapiao.domain.periods import ClearingType, Cycle, Period
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.corrections import invoice_void
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.models import Event, Invoice, Monitoring
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.taxpayers import taxpayer_update
from fapiao.invoicing.uploads import upload_flush
from fapiao.jobs.services import job_run_due, worker_round
from fapiao.security.preferences import preferences_save
from fapiao.security.services import confirm_send
from tests.integration.world import SPECIAL_BUYER, World, make_world

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
LINE = {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%"}
OCTOBER = Period(date(2026, 10, 1), date(2026, 11, 1))
NOVEMBER = Period(date(2026, 11, 1), date(2026, 12, 1))


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def world() -> World:
    return make_world(stock=50, lock_date=date(2026, 11, 16), credit=None)


@pytest.fixture
def admin(world: World) -> Any:
    user = user_create(username="boss", password="Str0ng#Pass", email="boss@example.cn")
    role_grant(user=user, role=Role.ADMIN, taxpayer=world.taxpayer, actor="root")
    return user


def issue(
    world: World, kind: str, when: datetime, amount: str = "1000", *, upload: bool = False
) -> Invoice:
    """Issue at ``when``; ``upload`` sends it at once, as the worker would."""
    invoice = invoice_issue(
        taxpayer=world.taxpayer,
        channel=world.digital if kind.startswith("DIGITAL") else world.device,
        draft=parse_draft(
            {"kind": kind, "buyer": SPECIAL_BUYER, "lines": [{**LINE, "amount": amount}]}
        ),
        request_id=None,
        actor="clerk",
        issued_at=when,
        now=when,
    )
    if upload:
        upload_flush(now=when, force=True)
    return invoice


def code_for(user: Any, when: datetime) -> str:
    confirm_send(user, purpose="清卡", now=when)
    return re.findall(r"验证码 (\d{6})", mail.outbox[-1].body)[-1]


def close(world: World, user: Any, period: Period, when: datetime, sales: str) -> Clearing:
    upload_flush(now=when, force=True)
    period_report(channel=world.device, period=period, actor="finance", now=when)
    period_declare(taxpayer=world.taxpayer, period=period, declared_sales=Decimal(sales),
                   actor="finance", now=when)  # fmt: skip
    code = code_for(user, when)
    return clearing_apply(channel=world.device, period=period, user=user, code=code,
                          actor="finance", now=when)  # fmt: skip


def lock_dates(world: World) -> set[date]:
    return set(Monitoring.objects.filter(channel=world.device).values_list("lock_date", flat=True))


def test_a_year_of_closing_on_time_late_and_locked(world: World, admin: Any) -> None:
    issue(world, "VAT_ORDINARY_ELECTRONIC", at(10, 20))
    paper = issue(world, "VAT_ORDINARY_PAPER", at(10, 21), amount="500")
    invoice_void(invoice=paper, actor="clerk", now=at(10, 22))
    issue(world, "DIGITAL_ORDINARY", at(10, 23), amount="300")

    # 抄报 waits for every upload of the period
    with pytest.raises(DomainError, match="还有3张发票未上传"):
        period_report(channel=world.device, period=OCTOBER, actor="finance", now=at(11, 2))
    upload_flush(now=at(11, 2))
    report = period_report(channel=world.device, period=OCTOBER, actor="finance", now=at(11, 2))
    kinds = report.summary["kinds"]
    assert set(kinds) == {"VAT_ORDINARY_ELECTRONIC", "VAT_ORDINARY_PAPER",
                          "VAT_SPECIAL_ELECTRONIC", "VAT_SPECIAL_PAPER"}  # fmt: skip
    assert kinds["VAT_ORDINARY_PAPER"]["void_count"] == 1
    assert report.summary["sales"] == "1000.00"
    # after 抄报 the month's paper invoices can no longer be voided (DOMAIN §6)
    world.device.refresh_from_db()
    assert world.device.reported_through == date(2026, 10, 31)

    declaration = period_declare(taxpayer=world.taxpayer, period=OCTOBER,
                                 declared_sales=Decimal("1300.00"), actor="finance",
                                 now=at(11, 5))  # fmt: skip
    assert declaration.result["output_tax"] == "78.00"  # 1,000 + 300 at 6 %
    assert declaration.comparison_ok

    clearing = clearing_apply(
        channel=world.device, period=OCTOBER, user=admin,
        code=code_for(admin, at(11, 10)), actor="finance", now=at(11, 10),
    )  # fmt: skip
    assert (clearing.status, clearing.type) == ("approved", "月度")
    assert clearing.lock_date == date(2026, 12, 15)  # the close of November's window
    assert lock_dates(world) == {date(2026, 12, 15)}
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(certificate_pdf(clearing))).pages
    )
    for fact in ("清卡凭证", clearing.number, world.device.device_number, "2026年10月", "月度",
                 "2026-12-15", "1000.00", "60.00", "增值税电子普通发票"):  # fmt: skip
        assert fact in text, fact
    with pytest.raises(DomainError, match="已清卡，不能重复清卡"):
        clearing_apply(channel=world.device, period=OCTOBER, user=admin, code="000000",
                       actor="finance", now=at(11, 11))  # fmt: skip

    # issuing goes on; November is never cleared in its window
    issue(world, "VAT_ORDINARY_ELECTRONIC", at(11, 20), upload=True)
    issue(world, "VAT_ORDINARY_ELECTRONIC", at(12, 15, hour=23), upload=True)
    before = Invoice.objects.count()
    with pytest.raises(DomainError, match="超过开票截止日期，请完成上期抄报、申报和清卡"):
        issue(world, "VAT_ORDINARY_ELECTRONIC", at(12, 16))
    assert Invoice.objects.count() == before

    late = close(world, admin, NOVEMBER, at(12, 16), sales="1000.00")
    assert (late.status, late.type) == ("approved", "特殊")
    assert lock_dates(world) == {date(2027, 1, 15)}
    issue(world, "VAT_ORDINARY_ELECTRONIC", at(12, 16, hour=11))
    assert ledger_verify(world.taxpayer) == []
    steps = list(Event.objects.filter(type__startswith=("period.")).values_list("type", "actor"))
    assert ("period.reported", "finance") in steps and ("period.declared", "finance") in steps
    assert Event.objects.filter(type="clearing.approved").count() == 2


def test_each_precondition_is_refused_with_its_message(world: World, admin: Any) -> None:
    issue(world, "VAT_ORDINARY_ELECTRONIC", at(10, 20))

    def refused(message: str, when: datetime, code: str = "123456", **kwargs: Any) -> None:
        with pytest.raises(DomainError, match=message):
            clearing_apply(channel=world.device, period=OCTOBER, user=admin, code=code,
                           actor="finance", now=when, **kwargs)  # fmt: skip

    refused("尚未结束，不能清卡", at(10, 25))
    refused("本期还有发票未上传（1张）.*未完成抄报.*未完成申报", at(11, 3))
    upload_flush(now=at(11, 3))
    refused("未完成抄报", at(11, 3))
    period_report(channel=world.device, period=OCTOBER, actor="finance", now=at(11, 3))
    refused("未完成申报", at(11, 3))
    period_declare(taxpayer=world.taxpayer, period=OCTOBER, declared_sales=Decimal("999.99"),
                   actor="finance", now=at(11, 3))  # fmt: skip
    refused("申报比对不通过", at(11, 3))
    period_declare(taxpayer=world.taxpayer, period=OCTOBER, declared_sales=Decimal("1000.00"),
                   actor="finance", now=at(11, 3))  # fmt: skip
    refused("验证码不正确", at(11, 3), code="000000")
    refused("不在征期内", at(11, 17), clearing_type=ClearingType.MONTHLY)
    # past the window the page offers a 特殊 (逾期) clearing instead
    assert clearing_state(world.device, OCTOBER, today=date(2026, 11, 17)).blockers == []
    with pytest.raises(DomainError, match="已抄报"):
        period_report(channel=world.device, period=OCTOBER, actor="finance", now=at(11, 3))
    with pytest.raises(DomainError, match="数电渠道没有抄报和清卡"):
        period_report(channel=world.digital, period=OCTOBER, actor="finance", now=at(11, 3))
    assert Clearing.objects.count() == 0


def test_a_rejection_with_its_reason_then_a_resubmission(world: World, admin: Any) -> None:
    issue(world, "VAT_ORDINARY_ELECTRONIC", at(10, 20))
    upload_flush(now=at(11, 3))
    period_report(channel=world.device, period=OCTOBER, actor="finance", now=at(11, 3))
    period_declare(taxpayer=world.taxpayer, period=OCTOBER, declared_sales=Decimal("800.00"),
                   explanation="部分收入下月确认", actor="finance", now=at(11, 3))  # fmt: skip
    first = clearing_apply(
        channel=world.device, period=OCTOBER, user=admin,
        code=code_for(admin, at(11, 4)), actor="finance", now=at(11, 4),
    )  # fmt: skip
    assert first.status == "pending"  # the comparison failed: a person decides
    assert any("申报比对不通过" in f for f in reviews.clearings_pending()[0].findings)
    view = clearing_state(world.device, OCTOBER, today=date(2026, 11, 4))
    assert "正在税务机关审核中" in view.blockers[0]

    reviews.clearing_decide(number=first.number, approve=False, reason="申报销售额少于开票金额",
                              actor="shuiwu")  # fmt: skip
    first = clearing_refresh(first)
    assert (first.status, first.reason) == ("rejected", "申报销售额少于开票金额")
    assert lock_dates(world) == {date(2026, 11, 16)}  # unchanged

    period_declare(taxpayer=world.taxpayer, period=OCTOBER, declared_sales=Decimal("1000.00"),
                   actor="finance", now=at(11, 5))  # fmt: skip
    second = clearing_apply(
        channel=world.device, period=OCTOBER, user=admin,
        code=code_for(admin, at(11, 5)), actor="finance", now=at(11, 5),
    )  # fmt: skip
    assert second.status == "approved" and second.number.endswith("02")
    with pytest.raises(DomainError, match="已清卡，不能更正申报"):
        period_declare(taxpayer=world.taxpayer, period=OCTOBER, declared_sales=Decimal("1"),
                       actor="finance", now=at(11, 6))  # fmt: skip


def test_a_quarterly_filer_clears_in_the_month_after_a_quarter_only(
    world: World, admin: Any
) -> None:
    taxpayer_update(taxpayer=world.taxpayer, actor="admin", changes={"cycle": Cycle.QUARTERLY})
    world.taxpayer.refresh_from_db()
    world.device.taxpayer.refresh_from_db()
    quarter = period_from(world.taxpayer, None, date(2026, 11, 10))
    assert quarter == Period(date(2026, 7, 1), date(2026, 10, 1))
    view = clearing_state(world.device, quarter, today=date(2026, 11, 10))
    assert view.clearing_type.value == "特殊"  # past its window: only a late clearing
    in_window = clearing_state(world.device, quarter, today=date(2026, 10, 12))
    assert in_window.clearing_type.value == "季度"
    assert "不在征期内" not in " ".join(in_window.blockers)
    fourth = period_from(world.taxpayer, "2026-10", date(2026, 11, 1))
    october = clearing_state(world.device, fourth, today=date(2026, 11, 10))
    assert october.period == Period(date(2026, 10, 1), date(2027, 1, 1))
    assert any("尚未结束" in b for b in october.blockers)


def test_reminders_five_days_and_one_day_before_the_window_closes(world: World, admin: Any) -> None:
    assert reminders_send(now=at(11, 5)) == 0  # 11 days left
    assert reminders_send(now=at(11, 11)) == 1  # 5 days left (closes on the 16th)
    assert reminders_send(now=at(11, 12)) == 0  # once
    job_run_due(now=at(11, 12))
    assert [m.to for m in mail.outbox] == [["boss@example.cn"]]
    # the boss keeps quiet from 22:00 to 08:00: the last reminder waits for the morning
    preferences_save(admin, quiet_start=time(22), quiet_end=time(8))
    assert reminders_send(now=at(11, 15, hour=23)) == 1  # 1 day left
    reminder = Reminder.objects.order_by("-at").first()
    assert reminder is not None and "还剩1天" in reminder.text
    # the pages make it again from its parts, so an English page can say it
    shown = reminders_of(world.taxpayer, since=at(11, 1))[0]
    assert str(shown.message) == reminder.text  # type: ignore[attr-defined]
    with translation.override("en"):
        assert say(shown.message).endswith(  # type: ignore[attr-defined]
            "2026-10 is not cleared; its filing window closes on 11-16 (days left: 1), after "
            "which the device locks"
        )
    job_run_due(now=at(11, 15, hour=23))
    assert len(mail.outbox) == 1
    job_run_due(now=at(11, 16, hour=8))
    assert len(mail.outbox) == 2 and "还剩1天" in mail.outbox[-1].body


def test_the_api_walks_the_same_steps(world: World, admin: Any, settings: Any) -> None:
    issue(world, "VAT_ORDINARY_ELECTRONIC", at(10, 20), upload=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)

    def call(method: str, path: str, body: Any = None) -> Any:
        if method == "get":
            return client.get(f"/api/v1/periods/{path}", body or {})
        return client.post(f"/api/v1/periods/{path}", body or {}, content_type="application/json")

    # the API runs on today's clock: October 2026 is over, its window too (a 特殊 clearing)
    state = call("get", "status", {"period": "2026-10"}).json()
    assert state["blockers"] == ["未完成抄报", "未完成申报"] and state["type"] == "特殊"
    assert call("post", "report", {"period": "2026-10"}).json()["sales"] == "1000.00"
    declared = call("post", "declare", {"period": "2026-10", "declared_sales": "1000.00"})
    assert declared.json()["payable"] == "60.00"
    bad = call("post", "clear", {"period": "2026-10", "code": "1", "type": "半年"})
    assert bad.status_code == 400 and bad.json()["field"] == "type"
    assert "邮箱" in call("post", "clear/code").json()["sent_to"]
    code = re.findall(r"验证码 (\d{6})", mail.outbox[-1].body)[-1]
    cleared = call("post", "clear", {"period": "2026-10", "code": code}).json()
    assert cleared["status"] == "approved"
    number = cleared["number"]
    assert call("get", f"clearings/{number}").json()["lock_date"] == cleared["lock_date"]
    pdf = call("get", f"clearings/{number}/certificate")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert call("get", "clearings/QK0/certificate").status_code == 404


def test_a_quarterly_filer_clears_its_quarter_in_october(world: World, admin: Any) -> None:
    taxpayer_update(taxpayer=world.taxpayer, actor="admin", changes={"cycle": Cycle.QUARTERLY})
    world.device.taxpayer.refresh_from_db()
    third = Period(date(2026, 7, 1), date(2026, 10, 1))
    issue(world, "VAT_ORDINARY_ELECTRONIC", at(8, 20), upload=True)
    issue(world, "VAT_ORDINARY_ELECTRONIC", at(9, 20), upload=True)
    upload_flush(now=at(10, 12), force=True)
    period_report(channel=world.device, period=third, actor="finance", now=at(10, 12))
    period_declare(taxpayer=world.taxpayer, period=third, declared_sales=Decimal("2000.00"),
                   actor="finance", now=at(10, 12))  # fmt: skip
    clearing = clearing_apply(
        channel=world.device, period=third, user=admin, code=code_for(admin, at(10, 12)),
        actor="finance", now=at(10, 12),
    )  # fmt: skip
    assert (clearing.status, clearing.type) == ("approved", "季度")
    # the lock date moves to the close of the next quarter's window (January)
    assert clearing.lock_date == date(2027, 1, 15)


def test_the_worker_learns_a_decision_made_by_a_person(world: World, admin: Any) -> None:
    issue(world, "VAT_ORDINARY_ELECTRONIC", at(10, 20), upload=True)
    upload_flush(now=at(11, 3), force=True)
    period_report(channel=world.device, period=OCTOBER, actor="finance", now=at(11, 3))
    period_declare(taxpayer=world.taxpayer, period=OCTOBER, declared_sales=Decimal("900.00"),
                   explanation="退货待开红字", actor="finance", now=at(11, 3))  # fmt: skip
    pending = clearing_apply(
        channel=world.device, period=OCTOBER, user=admin, code=code_for(admin, at(11, 4)),
        actor="finance", now=at(11, 4),
    )  # fmt: skip
    assert pending.status == "pending"
    reviews.clearing_decide(number=pending.number, approve=True, reason="说明合理",
                              actor="shuiwu")  # fmt: skip
    clearing._last_round[0] = 0.0  # the worker's next round is due
    assert worker_round() >= 1
    pending.refresh_from_db()
    assert (pending.status, pending.reason) == ("approved", "说明合理")
    assert lock_dates(world) == {date(2026, 12, 15)}
    assert clearing.clearing_round() == 0  # not asked again at once
