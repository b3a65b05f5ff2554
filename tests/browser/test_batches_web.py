"""批量开具 in Chromium: a clerk downloads the template, uploads a file with a bad row (every
error shown with its row and column, nothing issued), uploads the corrected file, reviews the
preview, confirms, and watches the open page reach 已完成 without a reload while the worker
issues; the invoice with a 收票邮箱 is e-mailed (real SMTP on loopback)."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from fapiao.core.roles import Role
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.models import Invoice
from fapiao.jobs.services import job_run_due
from tests.browser.conftest import shot
from tests.browser.test_support_web import PASSWORD, sign_in
from tests.integration.test_batches import as_csv, row
from tests.integration.test_delivery import Inbox
from tests.integration.world import make_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_upload_fix_preview_confirm_and_watch_the_batch_finish(
    page: Any,
    live_server: Any,
    smtp: Inbox,
    tmp_path: Path,
) -> None:
    base = live_server.url
    world = make_world(credit=Decimal("100000.00"))
    clerk = user_create(username="clerk", password=PASSWORD, email="clerk@example.cn")
    role_grant(user=clerk, role=Role.ISSUER, taxpayer=world.taxpayer, actor="root")
    sign_in(page, base, "clerk")
    page.goto(f"{base}/batches/")
    with page.expect_download() as downloaded:
        page.click("#batch-template")
    template = tmp_path / "template.xlsx"
    downloaded.value.save_as(template)
    assert load_workbook(template).sheetnames == ["明细", "说明"]

    rows = [
        row("W1", 收票邮箱="buyer@example.cn"),
        row("W2"),
        row("W2", 项目名称="维护费"),
        row("W3"),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(as_csv([*rows[:3], row("W3", 税率="7%")]))
    page.select_option("#batch-channel", str(world.digital.pk))
    page.set_input_files("#batch-file", str(bad))
    page.click("#batch-upload button[type=submit]")
    page.wait_for_selector("#batch-errors")
    errors = page.inner_text("#batch-errors")
    assert "5" in errors and "税率" in errors and "不支持的税率" in errors
    assert page.locator("#batch-confirm").count() == 0  # a file with errors cannot be issued
    assert Invoice.objects.count() == 0
    shot(page, "batch-errors")

    good = tmp_path / "good.csv"
    good.write_bytes(as_csv(rows))
    page.goto(f"{base}/batches/")
    page.select_option("#batch-channel", str(world.digital.pk))
    page.set_input_files("#batch-file", str(good))
    page.click("#batch-upload button[type=submit]")
    page.wait_for_selector("#batch-summary")
    assert page.inner_text("#batch-amount") == "400.00"
    assert page.inner_text("#batch-total") == "424.00"
    assert page.locator("#batch-items tbody tr").count() == 3
    shot(page, "batch-preview")
    page.click("#batch-confirm")
    page.wait_for_selector("#batch-status")
    assert page.inner_text("#batch-status") == "排队中"
    job_run_due()  # the worker issues while the page stays open
    deadline = time.monotonic() + 20
    while page.inner_text("#batch-status") != "已完成" and time.monotonic() < deadline:
        page.wait_for_timeout(300)
    assert page.inner_text("#batch-status") == "已完成"
    assert page.inner_text("#batch-issued") == "3"
    assert page.locator("#batch-downloads a").count() == 2
    shot(page, "batch-done")
    job_run_due()  # the delivery job the batch queued
    deadline = time.monotonic() + 10
    while len(smtp.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    # the invoice to its buyer, and the batch's end to the clerk who confirmed it
    assert sorted(message["To"] for message in smtp.messages) == [
        "buyer@example.cn",
        "clerk@example.cn",
    ]
