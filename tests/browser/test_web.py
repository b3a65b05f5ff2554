"""The web pages in Chromium: sign in, issue a 3-line invoice through the form, find it, download
it, void a paper invoice and red-letter an electronic one."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fapiao.domain.kinds import InvoiceKind
from fapiao.invoicing.demo import demo_load
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import Invoice
from fapiao.invoicing.services import invoice_issue
from tests.browser.conftest import confirm_yes, shot

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#password-login [name=username]", "kaipiao")
    page.fill("#password-login [name=password]", "Fapiao#2026")
    shot(page, "01-login")
    page.click("#password-login button")
    page.wait_for_url(f"{base}/")


def test_issue_find_download_void_and_red(page: Any, live_server: Any) -> None:
    base = live_server.url
    result = demo_load()
    sign_in(page, base)
    assert "今日开票" in page.content()
    shot(page, "02-dashboard")

    page.goto(f"{base}/issue/")
    page.select_option("#kind", InvoiceKind.DIGITAL_ORDINARY.value)
    page.fill("[id='buyer.name']", "无锡远帆精密机械有限公司")  # from the catalog
    page.press("[id='buyer.name']", "Tab")
    assert page.input_value("[id='buyer.tax_id']") == "91320200MA1N2P3Q48"
    rows = [
        ("软件开发服务", "3040201010000000000", "", "", "1000"),
        ("培训费", "3070201020000000000", "3", "250", ""),
        ("修理修配劳务", "2020000000000000000", "2", "100", ""),
    ]
    for index, (name, code, quantity, price, amount) in enumerate(rows):
        if index:
            page.click("#add-line")
        row = page.locator("#lines tr").nth(index)
        row.locator("[name=name]").fill(name)
        row.locator("[name=name]").press("Tab")  # a catalog product fills its code and unit
        if not row.locator("[name=tax_code]").input_value():
            row.locator("[name=tax_code]").fill(code)
        assert row.locator("[name=tax_code]").input_value() == code
        for field, value in (("quantity", quantity), ("unit_price", price), ("amount", amount)):
            if value:
                row.locator(f"[name={field}]").fill(value)
        if code.startswith("2"):
            row.locator("[name=rate]").select_option("13%")
    page.wait_for_function("document.getElementById('sum-total').textContent === '2081.00'")
    assert page.text_content("#sum-words") == "贰仟零捌拾壹圆整"
    shot(page, "03-issue-form")
    page.dblclick("#submit")  # a double click must give one invoice
    page.wait_for_url(re.compile(r".*/invoices/\d+/.*"))
    shot(page, "04-invoice")
    issued = Invoice.objects.filter(taxpayer=result.taxpayer, buyer_name="无锡远帆精密机械有限公司")
    assert issued.count() == 1
    invoice = issued.get()
    assert (invoice.total, invoice.lines.count()) == (2081, 3)

    page.goto(f"{base}/invoices/?buyer=远帆")
    assert invoice.number in page.text_content("#results")
    shot(page, "05-query")
    page.click(f"text={invoice.number}")
    with page.expect_download() as download:
        page.click("text=下载 PDF")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"

    paper = invoice_issue(
        taxpayer=result.taxpayer,
        channel=result.taxpayer.channels.get(type="device"),
        draft=parse_draft({
            "kind": "VAT_ORDINARY_PAPER", "buyer": {"name": "张伟", "individual": True},
            "lines": [{"name": "住宿费", "tax_code": "3070402000000000000", "rate": "6%",
                       "amount": "380"}]}),
        request_id=None,
        actor="kaipiao",
    )  # fmt: skip
    page.goto(f"{base}/invoices/{paper.pk}/")
    assert "作废不可撤销" in (page.get_attribute("form[action$='/do/void']", "onsubmit") or "")
    confirm_yes(page)
    page.click("#void")
    page.wait_for_selector("text=已作废")
    shot(page, "06-voided")
    paper.refresh_from_db()
    assert paper.status == "voided"

    electronic = Invoice.objects.get(taxpayer=result.taxpayer, kind="VAT_ORDINARY_ELECTRONIC")
    page.goto(f"{base}/invoices/{electronic.pk}/")
    confirm_yes(page)
    page.click("#red")
    page.wait_for_selector("text=已开具红字发票")
    shot(page, "07-red")
    electronic.refresh_from_db()
    assert electronic.status == "red_full"
    assert electronic.reds.get().total == -electronic.total


def test_text_fields_are_escaped(page: Any, live_server: Any) -> None:
    result = demo_load()
    payload = "<img src=x onerror=alert(1)>"
    invoice = invoice_issue(
        taxpayer=result.taxpayer,
        channel=result.taxpayer.channels.get(type="digital"),
        draft=parse_draft({
            "kind": "DIGITAL_ORDINARY", "buyer": {"name": payload, "individual": True},
            "lines": [{"name": payload, "tax_code": "3070402000000000000", "rate": "6%",
                       "amount": "1"}], "remarks": payload, "drawer": "<b>x</b>"}),
        request_id=None,
        actor="kaipiao",
    )  # fmt: skip
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_server.url)
    for path in (f"/invoices/{invoice.pk}/", "/invoices/", "/"):
        page.goto(f"{live_server.url}{path}")
        assert payload in page.text_content("main")  # shown as text
        assert page.locator("main img[src=x]").count() == 0  # no element made of the text
    assert alerts == []
