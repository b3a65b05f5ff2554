"""The console's pages through Django's client: 首页 totals net of voids and reds, 发票查询 by the
number as printed, paging, sorting and exporting exactly the filtered rows, the audit page with
the history, who and from where, and refusals in the layout (pages) or the API's shape (API)."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from fapiao.core.clock import local_date
from fapiao.core.roles import Role
from fapiao.documents.models import Printer
from fapiao.domain.lifecycle import RedReason, Status
from fapiao.domain.reporting import Span, period_of
from fapiao.invoicing.corrections import invoice_void
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.models import Event, Invoice, InvoiceTemplate
from fapiao.invoicing.red_invoices import invoice_issue_red
from fapiao.invoicing.services import invoice_issue
from fapiao.reports.selectors import totals_of
from fapiao.security.models import AuditEvent, Profile
from fapiao.security.preferences import preferences_save
from fapiao.web.errors import server_error
from tests.integration.world import SPECIAL_BUYER, World, make_world, signed_in

pytestmark = pytest.mark.django_db
D = Decimal
PASSWORD = "Str0ng#Pass"


@pytest.fixture
def world() -> World:
    return make_world(credit=None, stock=40)


def issue(world: World, kind: str, amount: str, *, buyer: str = "甲公司") -> Invoice:
    line = {"name": "服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": amount}
    party = SPECIAL_BUYER if "SPECIAL" in kind else {"name": buyer, "individual": True}
    draft = {"kind": kind, "buyer": party, "lines": [line]}
    channel = world.digital if kind.startswith("DIGITAL") else world.device
    return invoice_issue(taxpayer=world.taxpayer, channel=channel, draft=parse_draft(draft),
                         request_id=None, actor="clerk")  # fmt: skip


def member(world: World, role: Role, username: str) -> Client:
    return signed_in(world, role, username, PASSWORD)


def test_home_totals_are_net_of_voided_and_red_invoices_each_shown_apart(world: World) -> None:
    kept = issue(world, "VAT_ORDINARY_PAPER", "1000")  # 1060.00
    voided = issue(world, "VAT_ORDINARY_PAPER", "500")  # 530.00, voided below
    flushed = issue(world, "VAT_ORDINARY_ELECTRONIC", "200")  # 212.00, red below
    invoice_void(invoice=voided, actor="clerk")
    invoice_issue_red(blue=flushed, actor="clerk", reason=RedReason.WRONG)
    today = local_date(timezone.now())
    totals = totals_of(world.taxpayer, period_of(Span.DAILY, today))
    invoices = Invoice.objects.filter(taxpayer=world.taxpayer)
    live = [i.total for i in invoices if i.status != Status.VOIDED]
    assert totals.net.total == sum(live) == kept.total == D("1060.00")
    assert (totals.blue.count, totals.blue.total) == (3, D("1802.00"))
    assert (totals.voided.count, totals.voided.total) == (1, D("530.00"))
    assert (totals.red.count, totals.red.total) == (1, D("-212.00"))
    page = member(world, Role.ISSUER, "kaipiao").get("/").content.decode()
    assert "¥1,060.00" in page and "¥1,802.00" in page and "¥530.00" in page
    assert "¥-212.00" in page


def test_invoices_are_found_by_the_number_as_printed(world: World) -> None:
    paper = issue(world, "VAT_ORDINARY_PAPER", "100")  # No. 00001001 of its code
    later = issue(world, "VAT_ORDINARY_PAPER", "100")  # No. 00001002 of the same code
    other = issue(world, "VAT_SPECIAL_PAPER", "100")  # No. 00001001 of another code
    digital = issue(world, "DIGITAL_ORDINARY", "100")
    everything = (paper, later, other, digital)
    clerk = member(world, Role.ISSUER, "kaipiao")

    def found(text: str) -> set[int]:
        body = clerk.get("/invoices/", {"number": text}).content.decode()
        return {i.pk for i in everything if f"/invoices/{i.pk}/" in body}

    assert len(paper.code) == 12 and paper.number == other.number and len(digital.number) == 20
    assert found(paper.code + paper.number) == {paper.pk}  # 代码 and 号码 run together
    assert found(f"{other.code} {other.number}") == {other.pk}
    assert found(paper.code) == {paper.pk, later.pk}  # the code alone
    assert found(later.number) == {later.pk}  # the number alone
    assert found(paper.number) == {paper.pk, other.pk}  # the same number under two codes
    assert found(digital.number) == {digital.pk}
    assert found(paper.code + "00009999") == set()


def test_lists_page_sort_and_export_exactly_the_filtered_rows(world: World) -> None:
    for n in range(25):
        issue(world, "DIGITAL_ORDINARY", str(100 + n), buyer="甲公司" if n % 5 else "乙公司")
    finance = member(world, Role.FINANCE, "caiwu")
    first = finance.get("/invoices/").content.decode()
    assert "共 25 条" in first and first.count('/pdf" download') == 20
    larger = finance.get("/invoices/", {"per_page": 50}).content.decode()
    assert larger.count('/pdf"') == 25
    cheapest = finance.get("/invoices/", {"sort": "total"}).content.decode()
    totals = [i.total for i in Invoice.objects.order_by("total")]
    assert cheapest.index(f"{totals[0]:,.2f}") < cheapest.index(f"{totals[1]:,.2f}")
    exported = finance.get("/invoices/", {"buyer": "乙公司", "export": "csv"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    wanted = Invoice.objects.filter(buyer_name="乙公司")
    assert rows[0][:4] == ["开票日期", "种类", "发票号码", "购买方"]
    assert sorted(row[2] for row in rows[1:]) == sorted(str(i) for i in wanted)
    book = finance.get("/invoices/", {"buyer": "乙公司", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(book.content)).active
    values = list(sheet.values)
    assert len(values) == 1 + wanted.count()
    column = values[0].index("价税合计")
    assert all(isinstance(row[column], int | float) for row in values[1:])  # numbers as numbers
    assert sum(D(str(row[column])) for row in values[1:]) == sum(i.total for i in wanted)
    assert AuditEvent.objects.filter(type="export", actor="caiwu").count() == 2


def test_thousands_are_separated_on_the_list(world: World) -> None:
    issue(world, "DIGITAL_ORDINARY", "12345.67")
    page = member(world, Role.ISSUER, "kaipiao").get("/invoices/").content.decode()
    assert "13,086.41" in page  # 12345.67 + 6 %


def test_the_audit_page_shows_the_history_who_when_from_where_readably(world: World) -> None:
    clerk = member(world, Role.ISSUER, "kaipiao")
    draft = {"kind": "DIGITAL_ORDINARY", "channel": "数电", "buyer": {"name": "甲公司",
             "individual": True}, "lines": [{"name": "服务", "tax_code": "3040201010000000000",
             "rate": "6%", "amount": "10"}]}  # fmt: skip
    made = clerk.post("/api/v1/invoices", json.dumps(draft), content_type="application/json",
                      REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="ERP-Connector/2.1")  # fmt: skip
    assert made.status_code == 201, made.content
    auditor = member(world, Role.AUDITOR, "shenji")
    page = auditor.get("/audit/").content.decode()
    body = page.split("<tbody")[1]
    assert "开具" in body and "10.1.2.3" in body  # the issue, from the request's address
    assert "授予角色" in body and "角色 开票员" in body  # readable details
    assert "{'" not in body and "issuer" not in body  # never a dict or a code
    only = auditor.get("/audit/", {"category": "invoices"}).content.decode().split("<tbody")[1]
    assert "开具" in only and "授予角色" not in only
    assert ledger_verify(world.taxpayer) == []  # the address is part of what the chain vouches for
    issued = Event.objects.get(invoice_id=made.json()["id"], type="invoice.issued")
    assert (issued.client, issued.user_agent) == ("10.1.2.3", "ERP-Connector/2.1")
    Event.objects.filter(pk=issued.pk).update(user_agent="curl/8.0")
    assert "事件内容被修改" in [p.what for p in ledger_verify(world.taxpayer)]  # vouched for


def test_refusals_are_pages_in_the_layout_and_json_on_the_api(world: World) -> None:
    clerk = member(world, Role.ISSUER, "kaipiao")
    missing = clerk.get("/no-such-page/")
    assert missing.status_code == 404 and "页面不存在" in missing.content.decode()
    assert 'id="side-menu"' in missing.content.decode()  # inside the layout, with the menu
    api_missing = clerk.get("/api/v1/no-such-thing")
    assert api_missing.status_code == 404 and api_missing.json()["code"] == "not_found"
    forbidden = clerk.get("/audit/")
    assert forbidden.status_code == 403 and "没有权限访问此页面" in forbidden.content.decode()

    strict = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    strict.force_login(get_user_model().objects.get(username="kaipiao"))
    stale = strict.post("/api/v1/invoices/preview", "{}", content_type="application/json")
    assert stale.status_code == 403
    assert stale.json()["code"] == "csrf" and "CSRF" in stale.json()["message"]
    page = strict.post("/taxpayer/", {"taxpayer": "1"})
    assert page.status_code == 403 and "请刷新页面后重试" in page.content.decode()
    assert "<html" in page.content.decode()  # a page, not Django's English one

    keyless = Client(HTTP_HOST="localhost")
    anonymous = keyless.post("/api/v1/invoices", "{}", content_type="application/json")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"

    with override_settings(FAPIAO_REQUEST_MAX_BYTES=1000):
        big = clerk.post("/api/v1/invoices", "x" * 2000, content_type="application/json")
        assert big.status_code == 413 and "上传内容过大" in big.json()["message"]
        form = clerk.post("/settings/catalogs/customers/", {"name": "x" * 2000})
        assert form.status_code == 413 and "上传内容过大" in form.content.decode()

    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):  # Django's own limit, below ours
        pasted = clerk.post("/settings/catalogs/customers/", {"name": "x" * 2000})
        assert pasted.status_code == 400 and "提交的内容过大" in pasted.content.decode()
        assert 'id="side-menu"' in pasted.content.decode()
        sent = clerk.post("/api/v1/invoices/preview", json.dumps({"remarks": "x" * 2000}),
                          content_type="application/json")  # fmt: skip
        assert sent.status_code == 400 and sent.json()["code"] == "too_large"

    failed = server_error(RequestFactory().get("/"))
    assert failed.status_code == 500 and "系统出错" in failed.content.decode()


def test_missing_fields_are_named_in_plain_chinese(world: World) -> None:
    clerk = member(world, Role.ISSUER, "kaipiao")
    draft = {"kind": "DIGITAL_ORDINARY", "buyer": {}, "lines": [{"amount": "1"}]}
    said = clerk.post("/api/v1/invoices/preview", json.dumps(draft),
                      content_type="application/json").json()  # fmt: skip
    assert said["message"] == "请填写购买方名称、第1行项目名称、第1行税收分类编码、第1行税率"
    assert said["field"] == "buyer.name"
    preferences_save(get_user_model().objects.get(username="kaipiao"), language="en")
    english = clerk.post("/api/v1/invoices/preview", json.dumps(draft),
                         content_type="application/json").json()["message"]  # fmt: skip
    assert english.startswith("Please enter buyer name, line 1 ")
    assert not re.search("[\u4e00-\u9fff]", english), english


def test_the_voids_page_lists_what_may_still_be_voided(world: World) -> None:
    paper = issue(world, "VAT_ORDINARY_PAPER", "100")
    electronic = issue(world, "VAT_ORDINARY_ELECTRONIC", "100")  # never voidable
    done = issue(world, "VAT_SPECIAL_PAPER", "100")
    invoice_void(invoice=done, actor="clerk")
    finance = member(world, Role.FINANCE, "caiwu")
    open_ = finance.get("/voids/").content.decode()
    assert f"/invoices/{paper.pk}/" in open_
    assert f"/invoices/{electronic.pk}/" not in open_ and f"/invoices/{done.pk}/" not in open_
    voided = finance.get("/voids/", {"tab": "voided"}).content.decode()
    assert f"/invoices/{done.pk}/" in voided and f"/invoices/{paper.pk}/" not in voided


def test_settings_request_stock_keep_printers_and_bind_a_mobile(
    world: World, tmp_path: Path
) -> None:
    clerk = member(world, Role.ISSUER, "kaipiao")
    kind = "VAT_ORDINARY_PAPER"
    before = world.device.segments.filter(kind=kind).count()
    ask = {"channel": world.device.pk, "kind": kind, "count": "50", "action": "stock"}
    asked = clerk.post("/settings/channels/", ask, follow=True)
    assert "已领用普票 50 张" in asked.content.decode()
    assert world.device.segments.filter(kind=kind).count() == before + 1
    too_many = clerk.post("/settings/channels/", {**ask, "count": "5000"}, follow=True)
    assert "领用张数应为1至1000" in too_many.content.decode()
    page = clerk.get("/settings/channels/").content.decode()
    assert "VAT_ORDINARY_PAPER" not in page.split('id="main"')[1].replace(f'value="{kind}"', "")

    wrong = clerk.post("/settings/printers/", {"name": "针式打印机", "offset_right": "45"})
    assert "偏移应在±30毫米之内" in wrong.content.decode()
    assert 'value="针式打印机"' in wrong.content.decode()  # what was typed is kept
    saved = clerk.post("/settings/printers/", {"name": "针式打印机", "offset_right": "2.5",
                                               "offset_down": "-1"}, follow=True)  # fmt: skip
    assert "已保存打印机 针式打印机" in saved.content.decode()
    assert Printer.objects.get(taxpayer=world.taxpayer).offset_right == D("2.5")

    sent = clerk.post("/settings/me/", {"action": "mobile_send", "mobile": "13912345678"},
                      follow=True)  # fmt: skip
    assert "验证码已发送" in sent.content.decode()
    code = re.findall(r"验证码 (\d{6})", (tmp_path / "sms.log").read_text("utf-8"))[-1]
    wrong_code = "000000" if code != "000000" else "111111"
    refused = clerk.post("/settings/me/", {"action": "mobile_confirm", "code": wrong_code},
                         follow=True)  # fmt: skip
    assert "验证码不正确或已过期" in refused.content.decode()
    bound = clerk.post("/settings/me/", {"action": "mobile_confirm", "code": code}, follow=True)
    assert "手机号已绑定" in bound.content.decode() and "139****5678" in bound.content.decode()
    assert Profile.objects.get(user__username="kaipiao").mobile == "13912345678"
    other = member(world, Role.ISSUER, "other")
    taken = other.post("/settings/me/", {"action": "mobile_send", "mobile": "13912345678"},
                       follow=True)  # fmt: skip
    assert "该手机号已被其他账户使用" in taken.content.decode()


def test_invoice_templates_are_kept_one_default_and_checked(world: World) -> None:
    admin = member(world, Role.ADMIN, "admin")
    first = admin.post("/settings/templates/", {
        "name": "培训服务", "remarks": "培训合同 PX-2026", "payee": "王芳", "reviewer": "赵强",
        "fields": ["buyer.email", "payee", "reviewer"], "default": "1",
    }, follow=True)  # fmt: skip
    assert "已保存模板 培训服务" in first.content.decode()
    admin.post("/settings/templates/", {"name": "零售", "fields": ["unit"], "default": "1"})
    kept = {t.name: t for t in InvoiceTemplate.objects.filter(taxpayer=world.taxpayer)}
    assert kept["培训服务"].fields == ["buyer.email", "payee", "reviewer"]
    assert [t.name for t in kept.values() if t.default] == ["零售"]  # one default at a time
    long = admin.post("/settings/templates/", {"name": "长", "payee": "张" * 21})
    assert "收款人不能超过20个字符" in long.content.decode()
    unknown = admin.post("/settings/templates/", {"name": "坏", "fields": ["buyer.secret"]})
    assert "没有可选项" in unknown.content.decode()
    assert member(world, Role.ISSUER, "kaipiao").get("/settings/templates/").status_code == 403
    form = member(world, Role.ISSUER, "kaipiao2").get("/issue/").content.decode()
    assert "培训服务" in form and 'id="template-data"' in form
    assert Event.objects.filter(taxpayer=world.taxpayer, type="template.created").count() == 2


def test_a_printer_on_plain_paper_prints_the_invoice_at_the_top_of_the_sheet(world: World) -> None:
    invoice = issue(world, "VAT_ORDINARY_ELECTRONIC", "100")
    clerk = member(world, Role.ISSUER, "kaipiao")
    clerk.post("/settings/printers/", {"name": "办公室激光打印机", "paper": "a4"})
    printer = Printer.objects.get(taxpayer=world.taxpayer)
    assert printer.paper == "a4"
    printed = clerk.post(f"/invoices/{invoice.pk}/do/print", {"printer": printer.pk})
    assert printed.status_code == 200 and printed["Content-Type"] == "application/pdf"
    page = PdfReader(io.BytesIO(printed.content)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert invoice.number in page.extract_text()
    own = clerk.post(f"/invoices/{invoice.pk}/do/print", {}).content  # no printer: its own size
    own_box = PdfReader(io.BytesIO(own)).pages[0].mediabox
    assert float(own_box.height) < 842 / 2 + 100  # an invoice, not a sheet
    assert Event.objects.filter(invoice=invoice, type="invoice.printed").count() == 2
    wrong = clerk.post("/settings/printers/", {"name": "坏", "paper": "b5"})
    assert "请选择纸张" in wrong.content.decode()


def test_dates_read_in_the_page_s_language(world: World) -> None:
    invoice = issue(world, "DIGITAL_ORDINARY", "100")
    clerk = member(world, Role.ISSUER, "kaipiao")
    day = invoice.issued_on
    chinese = clerk.get(f"/invoices/{invoice.pk}/").content.decode()
    assert f"{day.year}年{day.month:02d}月{day.day:02d}日" in chinese
    preferences_save(get_user_model().objects.get(username="kaipiao"), language="en")
    english = clerk.get(f"/invoices/{invoice.pk}/").content.decode()
    assert day.isoformat() in english and f"{day.year}年" not in english
