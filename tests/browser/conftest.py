"""Browser tests: real headless Chromium (Debian's) driven by Playwright against a live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("FAPIAO_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (make does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", accept_downloads=True,
                                  viewport={"width": 1280, "height": 900})  # fmt: skip
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def smtp(settings: Any) -> Any:
    """A real SMTP server on loopback that the site sends to; its inbox."""
    from tests.integration.test_delivery import Inbox, Server

    inbox = Inbox()
    server = Server(inbox)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    server.start()
    yield inbox
    server.stop()


def shot(page: Any, name: str) -> None:
    """A screenshot of the page, kept as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def confirm_yes(page: Any) -> None:
    """Answer the page's next ``confirm()`` with yes, in the page itself: Chromium's dialog
    protocol can close a dialog before the test's answer arrives on a loaded machine (seen:
    "No dialog is showing"), which then submits nothing."""
    page.evaluate("window.confirm = () => true")
