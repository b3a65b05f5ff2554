"""进项与报销 in Chromium: a claimant uploads three files of two invoices at once (the progress
bar counts them, the duplicate is said), opens one and corrects a field; puts them in a claim
and submits it; 财务 approves it and selects the 专票 for deduction; the claimant sees the
decision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fapiao.core.roles import Role
from fapiao.documents.services import document_render
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.receiving.models import Correction, ReceivedInvoice
from tests.browser.conftest import shot
from tests.browser.test_support_web import PASSWORD, sign_in
from tests.integration.test_receiving import last_month, supplier_invoice
from tests.integration.world import SPECIAL_BUYER, make_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_received_invoices_a_claim_and_its_deduction(
    browser: Any, page: Any, live_server: Any, tmp_path: Path
) -> None:
    base = live_server.url
    seller = make_world(credit=None, stock=20)
    buyer = make_world(
        tax_id=SPECIAL_BUYER["tax_id"],
        name=SPECIAL_BUYER["name"],
        region="42",
        device_number="661807105161",
        credit=None,
    )
    for name, role in (("alice", Role.CLAIMANT), ("fin", Role.FINANCE)):
        user = user_create(username=name, password=PASSWORD, email=f"{name}@example.cn")
        role_grant(user=user, role=role, taxpayer=buyer.taxpayer, actor="root")
    first, second = supplier_invoice(seller), supplier_invoice(seller)
    paths = []
    for invoice, format in ((first, "pdf"), (first, "xml"), (second, "ofd")):
        path = tmp_path / f"{invoice.number}.{format}"
        path.write_bytes(document_render(invoice, format))
        paths.append(str(path))

    sign_in(page, base, "alice")
    page.goto(f"{base}/received/")
    page.set_input_files("#received-files", paths)
    page.click("#received-upload button[type=submit]")
    page.wait_for_function(
        "document.getElementById('received-progress').value === 3"
        " && document.querySelector('#received-log a')"
    )
    log = page.inner_text("#received-log")
    assert log.count("新收取") == 2 and log.count("已存在") == 1
    page.click("#received-log a")
    page.wait_for_selector(f"[data-received] >> text={first.number}")
    assert page.locator("#received tbody tr[data-received]").count() == 2
    shot(page, "received")

    row = ReceivedInvoice.objects.get(number=first.number)
    page.goto(f"{base}/received/{row.pk}/")
    page.fill("#fld-issuer", "周煜敏（更正）")
    page.click("#received-correct button[type=submit]")
    page.wait_for_selector(".message")
    assert "周煜敏（更正）" in page.inner_text("#received-corrections")
    assert Correction.objects.get(invoice=row).by == "alice"

    page.goto(f"{base}/claims/")
    page.fill("#claim-purpose", "十月差旅费")
    for box in page.locator("#claim-create input[name=invoices]").all():
        box.check()
    page.click("#claim-create button[type=submit]")
    page.wait_for_selector("#claim-submit")
    page.click("#claim-submit")
    page.wait_for_selector(".message")
    assert page.inner_text("#claim-status") == "待审批"
    claim_url = page.url

    finance = browser.new_context(locale="zh-CN").new_page()
    sign_in(finance, base, "fin")
    finance.goto(claim_url)
    finance.click("#claim-decide button[value=reject]")
    finance.wait_for_selector("#claim-detail-error")
    assert "驳回报销单须填写原因" in finance.inner_text("#claim-detail-error")
    finance.click("#claim-decide button[value=approve]")
    finance.wait_for_selector(".message")
    assert finance.inner_text("#claim-status") == "已批准"
    finance.goto(f"{base}/deductions/?period={last_month().start:%Y-%m}")
    for box in finance.locator("#deduction-select input[name=invoices]").all():
        box.check()
    finance.click("#deduction-select button[type=submit]")
    finance.wait_for_selector(".message")
    assert f"{first.tax + second.tax:,.2f}" in finance.inner_text("#deducted-total")
    shot(finance, "deductions")

    page.goto(f"{base}/notices/")
    assert "已批准" in page.inner_text("main")
