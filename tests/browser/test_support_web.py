"""帮助与支持 in Chromium: a clerk files a ticket with a screenshot, support answers from the desk,
the clerk's open page shows the answer without a reload, and the e-mail arrives (real SMTP on
loopback); the help centre's search and the 帮助 link of a page."""

from __future__ import annotations

import email
import email.header
import re
from pathlib import Path
from typing import Any

import pytest

from fapiao.core.roles import Role
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.jobs.services import job_run_due
from fapiao.support.articles import articles_install
from fapiao.support.models import Ticket
from tests.browser.conftest import shot
from tests.integration.test_delivery import Inbox
from tests.integration.world import make_world

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Str0ng#Pass"


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#password-login [name=username]", username)
    page.fill("#password-login [name=password]", PASSWORD)
    page.click("#password-login button")
    page.wait_for_load_state()


def _subject(message: Any) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def test_a_ticket_with_a_screenshot_gets_a_live_reply_and_an_email(
    browser: Any, page: Any, live_server: Any, smtp: Inbox, tmp_path: Path
) -> None:
    base = live_server.url
    articles_install()
    world = make_world()
    clerk = user_create(username="clerk", password=PASSWORD, email="clerk@example.cn")
    role_grant(user=clerk, role=Role.ISSUER, taxpayer=world.taxpayer, actor="root")
    agent = user_create(username="agent", password=PASSWORD, email="agent@example.cn")
    role_grant(user=agent, role=Role.SUPPORT, taxpayer=None, actor="root")

    sign_in(page, base, "clerk")
    page.goto(f"{base}/settings/printers/")
    assert page.get_attribute("#page-help", "href") == "/help/printing/"
    screenshot = tmp_path / "打印偏移.png"
    page.screenshot(path=str(screenshot))
    page.click("#side-menu button[aria-controls=menu-help]")  # the group opens
    page.click("#side-menu >> text=在线客服")
    page.click("#new-ticket")
    page.select_option("#category", "issuing")
    page.fill("#subject", "")
    page.type("#subject", "发票打印偏了")
    page.wait_for_selector("#suggestions a[href='/help/printing/']")
    page.fill("#description", "按发票票面大小打印，文字整体偏右约5毫米。截图见附件。")
    page.set_input_files("#attachments", str(screenshot))
    page.click("#ticket-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/help/tickets/\d+/$"))
    ticket = Ticket.objects.get()
    assert ticket.attachments.get().name == "打印偏移.png"
    assert page.locator("#conversation img.attachment-picture").count() == 1
    shot(page, "60-ticket-filed")
    page.evaluate("window.stillHere = true")  # gone if the page reloads

    desk = browser.new_context(locale="zh-CN").new_page()
    sign_in(desk, base, "agent")
    assert desk.url == f"{base}/support/"
    desk.click(f"#queue a[href='/support/tickets/{ticket.pk}/']")
    desk.fill("#body", "请在打印设置中把右移设为 -5 毫米后再试。")
    desk.click("#reply-form button[type=submit]")
    desk.wait_for_selector("#conversation >> text=右移设为 -5 毫米")
    shot(desk, "61-ticket-desk")
    desk.context.close()

    page.wait_for_selector("#conversation >> text=右移设为 -5 毫米", timeout=15_000)
    assert page.evaluate("window.stillHere") is True
    assert "待用户回复" in page.inner_text("#ticket-status")
    shot(page, "62-ticket-answered")

    job_run_due()
    to_clerk = [m for m in smtp.messages if m["To"] == "clerk@example.cn"]
    assert len(to_clerk) == 1
    assert f"工单#{ticket.pk}" in _subject(to_clerk[0])
    assert "右移设为 -5 毫米" in to_clerk[0].get_payload(decode=True).decode()

    page.fill("#body", "好了，谢谢")
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector("#conversation >> text=好了，谢谢")
    page.click("#close-ticket")
    page.wait_for_selector("#rate-form")
    page.select_option("#rating", "5")
    page.click("#rate-form button[type=submit]")
    page.wait_for_selector("#rated")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.rating) == ("closed", 5)


def test_the_help_centre_finds_an_article_in_other_words(page: Any, live_server: Any) -> None:
    base = live_server.url
    articles_install()
    user_create(username="clerk", password=PASSWORD)
    sign_in(page, base, "clerk")
    page.click("#side-menu button[aria-controls=menu-help]")
    page.click("#side-menu >> text=帮助中心")
    page.fill("#q", "清卡没成功")
    page.click("#help-search button[type=submit]")
    first = page.locator("#results a").first
    assert first.get_attribute("href") == "/help/clearing-rejected/"
    first.click()
    page.wait_for_selector("#article h1")
    assert "清卡被驳回" in page.inner_text("#article h1")
