"""报表查询: figures equal the invoices they stand for, to the 分; the CLI and the API give the
same; another taxpayer's invoices never count."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from fapiao.closing.filing import period_declare, period_report
from fapiao.core.roles import Role
from fapiao.domain.lifecycle import RedReason, Status
from fapiao.domain.periods import Period
from fapiao.domain.rates import parse_rate
from fapiao.domain.reporting import Span, period_of
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.corrections import invoice_void
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import DaySum, Invoice, LineSum
from fapiao.invoicing.red_invoices import invoice_issue_red
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.statements import summaries_rebuild
from fapiao.invoicing.uploads import upload_flush
from fapiao.jobs.services import job_run_due
from fapiao.reports.mailing import monthly_mails
from fapiao.reports.selectors import report_of, trend_of
from fapiao.security.preferences import preferences_save
from tests.integration.world import World, make_world

pytestmark = pytest.mark.django_db
D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)


def _issue(world: World, kind: str, amount: str, rate: str = "6%", *, buyer: str = "甲公司",
           code: str = "3040201010000000000", when: datetime = NOW) -> Invoice:  # fmt: skip
    line = {"name": "服务", "tax_code": code, "rate": rate, "amount": amount}
    draft = {"kind": kind, "buyer": {"name": buyer, "individual": True}, "lines": [line],
             "drawer": "李娜"}  # fmt: skip
    channel = world.digital if kind.startswith("DIGITAL") else world.device
    return invoice_issue(
        taxpayer=world.taxpayer, channel=channel, draft=parse_draft(draft), request_id=None,
        actor="clerk", issued_at=when, now=when,
    )  # fmt: skip


@pytest.fixture
def world() -> World:
    return make_world(credit=None, stock=40)


def test_a_month_by_hand(world: World) -> None:
    a = _issue(world, "DIGITAL_ORDINARY", "1000")  # 60.00 tax
    b = _issue(world, "VAT_ORDINARY_ELECTRONIC", "200", "13%", buyer="乙公司")  # 26.00
    voided = _issue(world, "VAT_ORDINARY_PAPER", "500")  # voided: counts as issued, adds nothing
    invoice_void(invoice=voided, actor="clerk", now=NOW)
    invoice_issue_red(blue=b, actor="clerk", reason=RedReason.WRONG, now=NOW)  # -200, -26
    _issue(world, "DIGITAL_ORDINARY", "300", when=NOW - timedelta(days=20))  # last month
    report = report_of(world.taxpayer, period_of(Span.MONTHLY, NOW.date()))
    assert (report.blue, report.red, report.voided) == (3, 1, 1)
    assert (report.net.count, report.net.amount, report.net.tax, report.net.total) == (
        3, D("1000.00"), D("60.00"), D("1060.00")
    )  # fmt: skip
    kinds = {group.key: group.figures.amount for group in report.by_kind}
    assert kinds == {"数电普票": D("1000.00"), "电子普票": D("0.00")}
    rates = {group.key: (group.figures.amount, group.figures.tax) for group in report.by_rate}
    assert rates == {"6%": (D("1000.00"), D("60.00")), "13%": (D("0.00"), D("0.00"))}
    assert [group.key for group in report.top_buyers] == ["甲公司", "乙公司"]
    assert report.top_products[0].key.startswith("3040201010000000000")
    assert report.sales_period_before == D("300.00") and report.mom == D("233.33")
    assert report.yoy is None  # nothing a year before
    assert a.amount == D("1000.00")


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    invoices=st.lists(
        st.tuples(
            st.sampled_from(["DIGITAL_ORDINARY", "VAT_ORDINARY_ELECTRONIC", "VAT_ORDINARY_PAPER"]),
            st.decimals(D("0.01"), D("9999.99"), places=2),
            st.sampled_from(["6%", "13%", "3%"]),
            st.sampled_from(["甲公司", "乙公司", "丙公司"]),
            st.booleans(),  # red-lettered in full (voided, for paper of this month)
            st.integers(0, 40),  # days before now
        ),
        min_size=1, max_size=5,
    ),
)  # fmt: skip
def test_every_figure_is_the_sum_of_its_invoices(world: World, invoices: list[Any]) -> None:
    for kind, amount, rate, buyer, red, days in sorted(invoices, key=lambda i: -i[5]):
        blue = _issue(world, kind, str(amount), rate, buyer=buyer, when=NOW - timedelta(days=days))
        upload_flush()  # the device stays within its offline limits
        if red and kind == "VAT_ORDINARY_ELECTRONIC":  # 数电 reds need a 确认单 first
            invoice_issue_red(blue=blue, actor="clerk", reason=RedReason.WRONG, now=NOW)
        if red and kind == "VAT_ORDINARY_PAPER" and blue.issued_on.month == NOW.month:
            invoice_void(invoice=blue, actor="clerk", now=NOW)
    for span in (Span.MONTHLY, Span.ANNUAL, Span.DAILY):
        period = period_of(span, NOW.date())
        mine = [i for i in Invoice.objects.filter(taxpayer=world.taxpayer)
                if period.start <= i.issued_on < period.end]  # fmt: skip
        live = [i for i in mine if i.status != Status.VOIDED]
        report = report_of(world.taxpayer, period)
        assert report.net.amount == sum((i.amount for i in live), D("0.00"))
        assert report.net.tax == sum((i.tax for i in live), D("0.00"))
        assert report.net.total == sum((i.total for i in live), D("0.00"))
        assert (report.blue, report.red) == (sum(not i.red for i in mine), sum(i.red for i in mine))
        for group in report.top_buyers:
            assert group.figures.total == sum((i.total for i in live if i.buyer_name == group.key),
                                              D("0.00"))  # fmt: skip
        for group in report.by_rate:
            lines = [line for i in live for line in i.lines.all()
                     if parse_rate(line.rate).label == group.key]  # fmt: skip
            assert group.figures.amount == sum((line.amount for line in lines), D("0.00"))
        trend = trend_of(world.taxpayer, period)  # every step present, adding up to the net
        assert sum((p.figures.amount for p in trend), D("0.00")) == report.net.amount
        assert sum(p.figures.count for p in trend) == report.net.count
        assert trend[0].start == period.start and trend[-1].end == period.end - timedelta(days=1)
    # the sums the issuing transactions kept are those made again from the invoices
    kept = _sums(world)
    summaries_rebuild(world.taxpayer.pk)
    assert _sums(world) == kept


def test_cli_and_api_say_the_same_and_nobody_else_s_invoices_count(world: World) -> None:
    _issue(world, "DIGITAL_ORDINARY", "1000")
    other = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161",
                       credit=None)  # fmt: skip
    _issue(other, "DIGITAL_ORDINARY", "777")
    out = StringIO()
    call_command("report", "monthly", "--month", NOW.strftime("%Y-%m"), "--json",
                 "--taxpayer", world.taxpayer.tax_id, stdout=out)  # fmt: skip
    by_cli = json.loads(out.getvalue())
    user = user_create(username="caiwu", password="Str0ng#Pass")
    role_grant(user=user, role=Role.FINANCE, taxpayer=world.taxpayer, actor="root")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    answer = client.get("/api/v1/reports/monthly", {"month": NOW.strftime("%Y-%m")})
    assert answer.status_code == 200
    assert answer.json() == by_cli
    assert by_cli["net"]["amount"] == "1000.00" and "777" not in json.dumps(by_cli)
    bad = client.get("/api/v1/reports/monthly", {"month": "2026-13"})
    assert bad.status_code == 400 and bad.json()["field"] == "month"
    assert client.get("/api/v1/reports/weekly").json()["field"] == "span"


def _sums(world: World) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """The taxpayer's day sums, rows with nothing left in them aside."""
    days = {(r.day, r.kind, r.channel_id, r.drawer, r.buyer_name, r.red, r.voided, r.n,
             _fen(r.amount), _fen(r.tax), _fen(r.total))
            for r in DaySum.objects.filter(taxpayer=world.taxpayer) if r.n}  # fmt: skip
    lines = {(r.day, r.dimension, r.key, r.n, _fen(r.amount), _fen(r.tax))
             for r in LineSum.objects.filter(taxpayer=world.taxpayer) if r.n}  # fmt: skip
    return days, lines


def _fen(value: Any) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def test_the_page_shows_the_same_figures_and_names_a_wrong_field(world: World) -> None:
    _issue(world, "DIGITAL_ORDINARY", "1000")
    _issue(world, "DIGITAL_ORDINARY", "250.50", "13%", buyer="乙公司")
    user = user_create(username="kuaiji", password="Str0ng#Pass")
    role_grant(user=user, role=Role.FINANCE, taxpayer=world.taxpayer, actor="root")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    page = client.get("/reports/", {"span": "monthly", "month": NOW.strftime("%Y-%m")})
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="report-net"' in text and "1,250.50" in text and "乙公司" in text
    assert "蓝字 2 · 红字 0 · 作废 0" in text and 'href="/reports/"' in text
    # the same figures as a workbook: numbers as numbers, amounts to the 分, a chart
    assert 'id="report-export"' in text and 'id="usage-stock"' in text
    workbook = client.get("/reports/export.xlsx", {"span": "monthly",
                                                    "month": NOW.strftime("%Y-%m")})  # fmt: skip
    assert workbook.status_code == 200 and "attachment" in workbook["Content-Disposition"]
    book = load_workbook(io.BytesIO(workbook.content))
    summary = {row[0].value: row[1].value for row in book["汇总"].iter_rows()}
    assert D(str(summary["金额（净额）"])) == D("1250.50") and summary["蓝字张数"] == 2
    buyers = book["购买方"]
    assert [c.value for c in buyers[1]] == ["购买方", "张数", "金额", "税额", "价税合计"]
    assert buyers["C2"].number_format == "#,##0.00" and buyers["C2"].value == 1000  # a number
    preferences_save(user, language="en")  # the English page says the period its way
    english = client.get("/reports/", {"span": "monthly", "month": NOW.strftime("%Y-%m")})
    title = english.content.decode().split('id="report-title">')[1].split("</h2>")[0]
    assert NOW.strftime("%Y-%m") in title and "年" not in title, title
    preferences_save(user, language="zh-hans")
    wrong = client.get("/reports/", {"span": "monthly", "month": "2026-13"})
    assert wrong.status_code == 400 and "月份“2026-13”格式应为YYYY-MM" in wrong.content.decode()
    outsider = user_create(username="baoxiao2", password="Str0ng#Pass")
    role_grant(user=outsider, role=Role.CLAIMANT, taxpayer=world.taxpayer, actor="root")
    client.force_login(outsider)
    assert client.get("/reports/").status_code == 403


def test_the_cli_writes_the_workbook(world: World, tmp_path: Any) -> None:
    _issue(world, "DIGITAL_ORDINARY", "88.80")
    out = tmp_path / "月报.xlsx"
    call_command("report", "monthly", "--month", NOW.strftime("%Y-%m"), "--out", str(out),
                 "--taxpayer", world.taxpayer.tax_id, stdout=StringIO())  # fmt: skip
    book = load_workbook(out)
    assert book["按发票种类"]["C2"].value == 88.8 and book["按发票种类"]["A2"].value == "数电普票"


def test_invoice_use_stock_credit_days_and_rates(world: World) -> None:
    paper = [_issue(world, "VAT_ORDINARY_PAPER", "100") for _ in range(4)]
    invoice_void(invoice=paper[0], actor="clerk", now=NOW)
    _issue(world, "DIGITAL_ORDINARY", "1000")
    report = report_of(world.taxpayer, period_of(Span.MONTHLY, NOW.date()))
    usage = report.usage
    assert usage is not None
    (segment,) = [s for s in usage.segments if s.kind == "普票"]
    assert (segment.used, segment.left) == (4, segment.last - segment.first + 1 - 4)
    (credit,) = usage.credit
    assert credit.used == D("1000.00") and credit.month == NOW.date().replace(day=1)
    assert usage.per_day == [(NOW.date(), 5)]
    assert report.void_rate == D("20.00") and report.red_rate == D("0.00")
    assert report.as_dict()["usage"]["void_rate"] == "20.00"
    shown = [s for s in report.as_dict()["usage"]["segments"] if s["code"] == segment.code]
    assert [s["left"] for s in shown] == [segment.left]


def test_taxes_set_the_declared_beside_the_invoiced(world: World) -> None:
    october = Period(date(2026, 10, 1), date(2026, 11, 1))
    when = datetime(2026, 10, 12, 10, tzinfo=SHANGHAI)
    _issue(world, "VAT_ORDINARY_PAPER", "1000", when=when)  # 60.00 tax
    _issue(world, "DIGITAL_ORDINARY", "500", "13%", when=when)  # 65.00 tax
    upload_flush(now=when, force=True)
    report_at = datetime(2026, 11, 3, 10, tzinfo=SHANGHAI)
    period_report(channel=world.device, period=october, actor="finance", now=report_at)
    period_declare(taxpayer=world.taxpayer, period=october, declared_sales=D("1600.00"),
                   input_tax=D("25.00"), actor="finance", now=report_at)  # fmt: skip
    blue = _issue(world, "VAT_ORDINARY_ELECTRONIC", "100", when=when + timedelta(days=1))
    later = datetime(2026, 11, 20, 10, tzinfo=SHANGHAI)
    upload_flush(now=later, force=True)
    invoice_issue_red(blue=blue, actor="clerk", reason=RedReason.WRONG, now=later)  # November
    annual = report_of(world.taxpayer, period_of(Span.ANNUAL, date(2026, 10, 1)))
    rows = {row.start: row for row in annual.taxes}
    done = rows[date(2026, 10, 1)]
    assert done.declared and done.end == date(2026, 10, 31)
    assert (done.output_tax, done.input_tax, done.payable) == (D("125.00"), D("25.00"), D("100.00"))
    assert done.declared_sales == D("1600.00") and done.burden == D("6.25")  # 100 ÷ 1600
    assert done.invoiced_tax == D("131.00") and done.differs  # the October blue issued since
    year = rows[date(2026, 1, 1)]  # the year itself is not one declared period
    assert not year.declared and year.burden is None
    assert year.invoiced_tax == sum(
        (i.tax for i in Invoice.objects.filter(taxpayer=world.taxpayer, issued_on__year=2026)
         if i.status != Status.VOIDED), D("0.00"))  # fmt: skip
    assert annual.as_dict()["taxes"][0]["payable"] == "100.00"


def test_the_pdf_holds_the_figures_and_its_charts(world: World, tmp_path: Any) -> None:
    _issue(world, "DIGITAL_ORDINARY", "1000")
    _issue(world, "DIGITAL_ORDINARY", "250.50", "13%", buyer="乙公司")
    user = user_create(username="kuaiji", password="Str0ng#Pass")
    role_grant(user=user, role=Role.FINANCE, taxpayer=world.taxpayer, actor="root")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    query = {"span": "monthly", "month": NOW.strftime("%Y-%m")}
    got = client.get("/reports/export.pdf", query)
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(got.content))
    text = "".join(page.extract_text() for page in reader.pages)
    for wanted in ("月报表", "1,250.50", "乙公司", "各票种销售额", "各税率销售额占比", "税费缴纳"):
        assert wanted in text, wanted
    drawn = sum(len(page.get_contents().get_data()) for page in reader.pages)
    assert drawn > 10_000  # the charts' paths are there, not only the text
    out = tmp_path / "月报.pdf"
    call_command("report", "monthly", "--month", NOW.strftime("%Y-%m"), "--out", str(out),
                 "--taxpayer", world.taxpayer.tax_id, stdout=StringIO())  # fmt: skip
    assert "1,250.50" in "".join(p.extract_text() for p in PdfReader(out).pages)
    page = client.get("/reports/", query).content.decode()
    assert 'id="chart-data"' in page and "/invoices/?start=" in page
    rated = client.get("/invoices/", {"rate": "0.13"}).content.decode()
    assert "乙公司" in rated and "甲公司" not in rated.split("<tbody")[1]


def test_the_monthly_report_mails_admins_and_finance_once_outside_quiet_hours(
    world: World,
) -> None:
    last_month = NOW - timedelta(days=20)  # in November
    _issue(world, "DIGITAL_ORDINARY", "1000", when=last_month)
    _issue(world, "DIGITAL_ORDINARY", "300", "13%", buyer="乙公司", when=last_month)
    people = {}
    for name, role in (("boss", Role.ADMIN), ("kuaiji", Role.FINANCE), ("clerk", Role.ISSUER),
                       ("quiet", Role.FINANCE), ("off", Role.ADMIN)):  # fmt: skip
        people[name] = user_create(username=name, password="Str0ng#Pass",
                                   email=f"{name}@example.cn")  # fmt: skip
        role_grant(user=people[name], role=role, taxpayer=world.taxpayer, actor="root")
    preferences_save(people["quiet"], quiet_start=time(8, 0), quiet_end=time(10, 0))
    preferences_save(people["off"], monthly_report=False)
    first = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
    assert monthly_mails(now=first) == 3  # boss, kuaiji, quiet; not the issuer, not "off"
    assert monthly_mails(now=first + timedelta(hours=1)) == 0  # once each
    job_run_due(now=first)
    sent = {message.to[0]: message for message in mail.outbox}
    assert set(sent) == {"boss@example.cn", "kuaiji@example.cn"}  # quiet waits until 10:00
    message = sent["boss@example.cn"]
    assert "2026年11月" in message.subject and "1,300.00" in message.body
    names = {name: content for name, content, _ in message.attachments}
    assert set(names) == {"report-202611.xlsx", "report-202611.pdf"}
    book = load_workbook(io.BytesIO(names["report-202611.xlsx"]))
    summary = {row[0].value: row[1].value for row in book["汇总"].iter_rows()}
    assert D(str(summary["金额（净额）"])) == D("1300.00")
    assert PdfReader(io.BytesIO(names["report-202611.pdf"])).pages
    job_run_due(now=first + timedelta(hours=1, minutes=1))
    assert "quiet@example.cn" in {message.to[0] for message in mail.outbox}
