"""扫码开票 in Chromium: the seller makes an order on the console and gets its link once; the
buyer opens it on a phone without an account, is told a wrong tax id, fills the 抬头, lands on
the invoice's download page and gets the e-mail (real SMTP on loopback); a reload of the link,
and a second phone, come back to the same invoice."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from fapiao.core.roles import Role
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.models import Invoice
from fapiao.jobs.services import job_run_due
from tests.browser.conftest import shot
from tests.browser.test_support_web import PASSWORD, sign_in
from tests.integration.test_delivery import Inbox
from tests.integration.world import make_world

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


def test_a_buyer_invoices_an_order_from_a_phone(
    browser: Any, page: Any, live_server: Any, smtp: Inbox
) -> None:
    base = live_server.url
    world = make_world(credit=Decimal("100000.00"))
    clerk = user_create(username="clerk", password=PASSWORD, email="clerk@example.cn")
    role_grant(user=clerk, role=Role.ISSUER, taxpayer=world.taxpayer, actor="root")
    sign_in(page, base, "clerk")
    page.goto(f"{base}/orders/")
    page.fill("#order-no", "SHOP-0001")
    page.select_option("#order-channel", str(world.digital.pk))
    page.check("#order-create input[value=DIGITAL_ORDINARY]")
    page.fill("[name='line0.name']", "设备维修")
    page.fill("[name='line0.tax_code']", "2020000000000000000")
    page.fill("[name='line0.amount']", "226")
    page.fill("[name='line0.rate']", "13%")
    page.click("#order-create button[type=submit]")
    page.wait_for_selector("#order-url")
    url = page.inner_text("#order-url")
    page.wait_for_function("document.getElementById('order-qr').naturalWidth > 0")
    token = url.rstrip("/").rsplit("/", 1)[1]

    phones = [browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True) for _ in range(2)]
    buyer, other = phones[0].new_page(), phones[1].new_page()
    buyer.goto(f"{base}/o/{token}/")
    other.goto(f"{base}/o/{token}/")  # a second phone opens the form too
    assert buyer.inner_text("#order-total") == "226.00"
    buyer.check("#type-company")
    buyer.fill("#name", "武汉某某科技有限公司")
    buyer.fill("#tax_id", "91320200MA1N0C5E2X")
    buyer.fill("#email", "buyer@example.cn")
    buyer.click("#order-submit")
    buyer.wait_for_selector("#order-error")
    assert "校验位不正确" in buyer.inner_text("#order-error")
    assert buyer.input_value("#name") == "武汉某某科技有限公司"  # nothing typed is lost
    buyer.fill("#tax_id", "91320200MA1N0C5E24")
    buyer.click("#order-submit")
    buyer.wait_for_url(f"{base}/d/**")
    assert "武汉某某科技有限公司" in buyer.content()
    shot(buyer, "order-buyer-done")
    # the second phone, still on the form, submits another 抬头: the same invoice
    other.fill("#name", "张三")
    other.fill("#email", "zhang@example.cn")
    other.click("#order-submit")
    other.wait_for_url(f"{base}/d/**")
    assert "武汉某某科技有限公司" in other.content()
    assert Invoice.objects.count() == 1
    buyer.goto(f"{base}/o/{token}/")
    assert buyer.locator("#order-issued").count() == 1
    job_run_due()
    deadline = time.monotonic() + 10
    while not smtp.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [message["To"] for message in smtp.messages] == ["buyer@example.cn"]
    for context in phones:
        context.close()
