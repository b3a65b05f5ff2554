"""Every action of an invoice's page in Chromium: the preview drawn, 交付 by e-mail and by a
download link with its QR code, 打印 with a printer's offsets, 部分红冲 by line,
复制为新发票, and a 发票模板 on the issuing form."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from fapiao.documents.models import DownloadLink
from fapiao.documents.printing import printer_save
from fapiao.invoicing.demo import demo_load
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import Event, Invoice
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.templates import template_save
from fapiao.jobs.models import Job
from tests.browser.conftest import confirm_yes
from tests.browser.test_console import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def two_lines(taxpayer: Any) -> Invoice:
    draft = {
        "kind": "VAT_ORDINARY_ELECTRONIC",
        "buyer": {"name": "页面操作测试有限公司", "tax_id": "91320200MA1N2P3Q48"},
        "lines": [
            {"name": "培训费", "tax_code": "3070201020000000000", "rate": "6%",
             "quantity": "10", "unit_price": "100"},
            {"name": "资料费", "tax_code": "3070201020000000000", "rate": "6%", "amount": "50"},
        ],
        "remarks": "合同 HT-9",
    }  # fmt: skip
    return invoice_issue(taxpayer=taxpayer, channel=taxpayer.channels.get(type="device"),
                         draft=parse_draft(draft), request_id=None, actor="kaipiao")  # fmt: skip


def test_preview_delivery_link_and_print(page: Any, live_server: Any) -> None:
    base = live_server.url
    demo = demo_load()
    invoice = two_lines(demo.taxpayer)
    printer_save(taxpayer=demo.taxpayer, name="前台针式打印机", offset_right=Decimal("2.5"),
                 offset_down=Decimal("-1.0"))  # fmt: skip
    sign_in(page, base, "kaipiao")
    page.goto(f"{base}/invoices/{invoice.pk}/")
    page.wait_for_function("document.getElementById('preview').naturalWidth > 600")

    page.click("#deliver summary")
    page.fill("#deliver-email", "buyer@example.cn")
    page.click("text=发送邮件")
    page.wait_for_selector("text=已排队发送邮件至buyer@example.cn")
    assert Job.objects.filter(kind="deliver.email").count() == 1

    page.click("#deliver summary")
    page.click("#make-link")
    page.wait_for_selector("#new-link")
    url = page.get_attribute("#new-link a", "href")
    assert url and "/d/" in url and DownloadLink.objects.filter(invoice=invoice).count() == 1
    page.wait_for_function("document.querySelector('#new-link img').naturalWidth > 0")  # its QR
    page.reload()
    assert page.locator("#new-link").count() == 0  # the token is shown once

    page.click("#print summary")
    chosen = page.locator("#printer option", has_text="前台针式打印机").get_attribute("value")
    page.select_option("#printer", chosen)
    with page.context.expect_page() as opened:
        page.click("#print button")
    opened.value.wait_for_load_state()
    assert Event.objects.filter(invoice=invoice, type="invoice.printed").exists()


def test_partial_red_by_line_and_copy_as_new(page: Any, live_server: Any) -> None:
    base = live_server.url
    demo = demo_load()
    invoice = two_lines(demo.taxpayer)
    sign_in(page, base, "kaipiao")
    page.goto(f"{base}/invoices/{invoice.pk}/")
    page.click("details.partial summary")
    page.select_option(
        "form[action$='/do/red'] [name=reason]", "销货退回"
    )  # 开票有误 is flushed whole
    page.fill("[name=q_1]", "3")  # three of the ten hours of line 1 come back
    confirm_yes(page)
    page.click("#red")
    page.wait_for_url(re.compile(r".*/invoices/\d+/$"))
    told = page.locator("main .message").all_text_contents()
    assert Invoice.objects.filter(blue=invoice).count() == 1, told
    red = Invoice.objects.get(blue=invoice)
    assert red.amount == Decimal("-300.00") and red.total == Decimal("-318.00")
    invoice.refresh_from_db()
    assert invoice.status == "red_partial"

    page.goto(f"{base}/invoices/{invoice.pk}/")
    page.click("#copy")
    page.wait_for_url(re.compile(r".*/issue/\?copy=\d+"))
    assert page.input_value("[id='buyer.name']") == "页面操作测试有限公司"
    assert page.locator("#lines tr").count() == 2
    assert page.input_value("#remarks") == "合同 HT-9"
    page.wait_for_function("document.getElementById('sum-total').textContent === '1113.00'")
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/invoices/\d+/$"))
    copies = Invoice.objects.filter(buyer_name="页面操作测试有限公司", red=False)
    assert copies.count() == 2
    copy = copies.exclude(pk=invoice.pk).get()
    assert (copy.total, copy.kind, copy.lines.count()) == (invoice.total, invoice.kind, 2)
    assert copy.number != invoice.number


def test_a_template_fills_the_form_and_hides_what_it_leaves_out(
    page: Any, live_server: Any
) -> None:
    base = live_server.url
    demo = demo_load()
    template_save(taxpayer=demo.taxpayer, name="培训服务", remarks="培训合同 PX-2026",
                  payee="王芳", reviewer="赵强", fields=["payee", "reviewer"], default=True,
                  actor="admin")  # fmt: skip
    sign_in(page, base, "kaipiao")
    page.goto(f"{base}/issue/")
    assert page.input_value("#remarks") == "培训合同 PX-2026"  # the default template is chosen
    assert page.input_value("#payee") == "王芳"
    assert not page.is_visible("[id='buyer.address']") and not page.is_visible("#lines [name=spec]")
    assert page.is_visible("#payee")
    page.select_option("#template", "")
    assert page.is_visible("[id='buyer.address']") and page.is_visible("#lines [name=spec]")
    page.select_option("#template", "0")
    page.select_option("#kind", "DIGITAL_ORDINARY")
    page.fill("[id='buyer.name']", "模板测试有限公司")
    row = page.locator("#lines tr").first
    row.locator("[name=name]").fill("培训费")
    row.locator("[name=name]").press("Tab")
    if not row.locator("[name=tax_code]").input_value():
        row.locator("[name=tax_code]").fill("3070201020000000000")
    row.locator("[name=amount]").fill("100")
    page.wait_for_function("document.getElementById('sum-total').textContent === '106.00'")
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/invoices/\d+/$"))
    issued = Invoice.objects.get(buyer_name="模板测试有限公司")
    assert (issued.remarks, issued.payee, issued.reviewer) == ("培训合同 PX-2026", "王芳", "赵强")


def test_a_discount_line_takes_only_what_it_may_and_a_lost_network_is_told(
    page: Any, live_server: Any
) -> None:
    base = live_server.url
    demo_load()
    sign_in(page, base, "kaipiao")
    page.goto(f"{base}/issue/")
    page.click("#add-line")
    discount = page.locator("#lines tr").nth(1)
    discount.locator("[name=discount]").check()
    discount.locator("[name=name]").fill("数控机床维修")  # a catalog product with unit, spec, price
    discount.locator("[name=name]").press("Tab")
    assert discount.locator("[name=tax_code]").input_value() == "2020000000000000000"
    assert discount.locator("[name=rate]").input_value() == "13%"
    for field in ("unit", "spec", "unit_price"):  # a discount line carries none of these
        assert discount.locator(f"[name={field}]").input_value() == "", field
    first = page.locator("#lines tr").first
    first.locator("[name=name]").fill("数控机床维修")
    first.locator("[name=name]").press("Tab")
    assert first.locator("[name=unit]").input_value() == "次"  # a plain line takes them all

    page.route("**/api/v1/invoices", lambda route: route.abort())  # the network goes away
    page.click("#submit")
    toast = page.locator("#toasts .toast")
    toast.wait_for()
    assert "无法连接服务器" in toast.text_content()
    assert first.locator("[name=name]").input_value() == "数控机床维修"  # nothing lost
