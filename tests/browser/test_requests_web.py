"""开票申请 in Chromium, on the demo enterprise: 管理员 sets the rule (over 50 yuan), 开票员 issues
on the ordinary form and lands on the request, 待审批; 财务 approves it on its page, which
issues the invoice; a second request is rejected with a reason, and the clerk sees why."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fapiao.approvals.models import IssueRequest
from fapiao.invoicing.models import Invoice
from tests.browser.conftest import shot
from tests.browser.test_console import fill_invoice, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_rule_submit_approve_and_reject_across_three_roles(browser: Any, live_server: Any) -> None:
    from fapiao.invoicing.demo import demo_load

    base = live_server.url
    demo = demo_load()
    admin = browser.new_context(locale="zh-CN").new_page()
    sign_in(admin, base, "admin")
    admin.goto(f"{base}/requests/")
    admin.select_option("#rule-mode", "over")
    admin.fill("#rule-over", "50")
    admin.click("#rule-form button[type=submit]")
    admin.wait_for_selector("text=审批规则已保存")
    assert "50.00" in admin.inner_text("#rule-now")

    clerk = browser.new_context(locale="zh-CN").new_page()
    sign_in(clerk, base, "kaipiao")
    before = Invoice.objects.filter(taxpayer=demo.taxpayer).count()
    for buyer in ("审批通过有限公司", "审批驳回有限公司"):
        clerk.goto(f"{base}/issue/")
        fill_invoice(clerk, buyer)  # 100 yuan: over the amount
        clerk.click("#submit")
        clerk.wait_for_url(re.compile(r".*/requests/\d+/$"))
        assert clerk.inner_text("#request-status") == "待审批"
    shot(clerk, "request-pending")
    assert Invoice.objects.filter(taxpayer=demo.taxpayer).count() == before
    passed, refused = IssueRequest.objects.order_by("pk")

    finance = browser.new_context(locale="zh-CN").new_page()
    sign_in(finance, base, "caiwu")
    finance.goto(f"{base}/requests/")
    assert finance.locator("#requests tbody tr").count() == 2
    finance.goto(f"{base}/requests/{passed.pk}/")
    finance.click("#request-approve")
    finance.wait_for_selector("#request-invoice")
    assert finance.inner_text("#request-status") == "已开具"
    shot(finance, "request-approved")
    finance.goto(f"{base}/requests/{refused.pk}/")
    finance.click("#request-reject")  # without a reason: refused, told
    finance.wait_for_selector("#request-error")
    assert "驳回时请填写原因" in finance.inner_text("#request-error")
    finance.fill("#reason", "购买方名称有误")
    finance.click("#request-reject")
    finance.wait_for_selector("#request-reason")

    clerk.goto(f"{base}/requests/{refused.pk}/")
    assert clerk.inner_text("#request-status") == "已驳回"
    assert clerk.inner_text("#request-reason") == "购买方名称有误"
    assert clerk.locator("#request-decide").count() == 0  # a clerk does not decide
    issued = Invoice.objects.filter(taxpayer=demo.taxpayer, buyer_name="审批通过有限公司")
    assert issued.count() == 1
    assert not Invoice.objects.filter(buyer_name="审批驳回有限公司").exists()
