"""申报与清卡 walked through in Chromium (抄报, 申报, code, 清卡, 清卡凭证), and 查验 on the public
page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from fapiao.closing.models import Clearing
from fapiao.invoicing.demo import demo_load
from fapiao.invoicing.models import Invoice, Monitoring
from fapiao.invoicing.uploads import upload_flush
from tests.browser.conftest import confirm_yes, shot

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#password-login [name=username]", username)
    page.fill("#password-login [name=password]", "Fapiao#2026")
    page.click("#password-login button")
    page.wait_for_url(f"{base}/")


def test_clearing_walked_through_the_page(page: Any, live_server: Any) -> None:
    base = live_server.url
    demo_load()
    sign_in(page, base, "admin")
    page.click("text=申报与清卡")
    page.wait_for_url(re.compile(r".*/closing/"))
    assert "未完成抄报" in page.inner_text("#blockers")
    shot(page, "20-closing")

    page.click("#do-report")
    page.wait_for_selector("#report")
    assert "抄报完成" in page.inner_text("#message")
    page.click("#do-declare")
    page.wait_for_selector("#declaration")
    assert "比对" in page.inner_text("#declaration")
    assert page.locator("#ready").count() == 1
    shot(page, "21-closing-ready")

    page.click("#send-code")
    page.wait_for_selector("text=验证码已发送至")
    code = re.findall(r"验证码 (\d{6})", mail.outbox[-1].body)[-1]
    page.fill("#clear-form [name=code]", code)
    assert "清卡不可撤销" in (page.get_attribute("#clear-form", "onsubmit") or "")
    confirm_yes(page)
    page.click("#do-clear")
    page.wait_for_selector("#clearings")
    assert "已清卡" in page.inner_text("#clearings")
    assert "开票截止日期更新：至" in page.inner_text("#steps")
    shot(page, "22-closing-done")
    clearing = Clearing.objects.get()
    assert clearing.status == "approved"
    assert set(Monitoring.objects.values_list("lock_date", flat=True)) == {clearing.lock_date}

    with page.expect_download() as download:
        page.click("text=下载清卡凭证")
    assert download.value.suggested_filename == f"qingka-{clearing.number}.pdf"
    assert "该期已清卡" in page.inner_text("#blockers")


def test_verify_an_invoice_on_the_public_page(page: Any, live_server: Any) -> None:
    base = live_server.url
    demo_load()
    upload_flush()
    invoice = Invoice.objects.filter(code="").first()
    assert invoice is not None
    page.goto(f"{base}/verify/")
    page.fill("[name=number]", invoice.number)
    page.fill("[name=issued_on]", str(invoice.issued_on))
    page.fill("[name=total]", str(invoice.total))
    shot(page, "23-verify")
    page.click("#verify button")
    page.wait_for_selector("#result")
    result = page.inner_text("#result")
    assert "一致" in result and "正常" in result and invoice.buyer_name in result
    shot(page, "24-verify-result")
    page.fill("[name=total]", "1.00")
    page.click("#verify button")
    page.wait_for_selector("#result")
    assert "价税合计与登记信息不符" in page.inner_text("#result")
