"""Sign-in in Chromium: linking an enterprise identity at a real OpenID Connect provider and
signing in with it; setting up an authenticator from its QR code and signing in with its code."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount
from django_otp.oath import TOTP

from fapiao.invoicing.demo import demo_load
from fapiao.security.models import AuditEvent
from tests.browser.conftest import shot
from tests.oidc import Provider, provider_start

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Fapiao#2026"  # the demo's


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    started = provider_start(tmp_path_factory.mktemp("oidc"))
    yield started
    started.stop()


@pytest.fixture
def sso(settings: Any, provider: Provider, live_server: Any) -> Provider:
    provider.allow(f"{live_server.url}/accounts/social/oidc/sso/login/callback/")
    settings.SOCIALACCOUNT_PROVIDERS = provider.app_settings()
    return provider


def password_sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#password-login [name=username]", "kaipiao")
    page.fill("#password-login [name=password]", PASSWORD)
    page.click("#password-login button")


def at_provider(page: Any, username: str, password: str) -> None:
    page.wait_for_selector("#sso-submit")
    assert "统一身份认证" in page.title()
    page.fill("[name=username]", username)
    page.fill("[name=password]", password)
    page.click("#sso-submit")


def test_link_an_enterprise_identity_then_sign_in_with_it(
    browser: Any, page: Any, live_server: Any, sso: Provider
) -> None:
    base = live_server.url
    demo_load()
    password_sign_in(page, base)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/settings/me/security/")
    assert page.locator("#no-identities").is_visible()
    page.click("#link-providers button[data-provider=sso]")
    at_provider(page, "alice", "alice-sso-pass")
    page.wait_for_url(f"{base}/settings/me/security/#identities")
    assert "已绑定第三方账号" in page.inner_text("#message")
    assert "示例集团统一身份认证" in page.inner_text("#linked")
    shot(page, "signin-01-linked")
    assert SocialAccount.objects.filter(user__username="kaipiao", provider="sso").exists()

    fresh = browser.new_context(locale="zh-CN")
    other = fresh.new_page()
    other.goto(f"{base}/accounts/login/?next=/invoices/")
    button = other.locator("#third-party button[data-provider=sso]")
    assert button.inner_text() == "使用示例集团统一身份认证登录"
    shot(other, "signin-02-login-page")
    button.click()
    at_provider(other, "alice", "alice-sso-pass")
    other.wait_for_url(f"{base}/invoices/")
    assert "发票查询" in other.content()
    fresh.close()
    ok = AuditEvent.objects.filter(type="login.ok").order_by("-sequence").first()
    assert ok is not None and ok.payload == {"method": "social:sso"} and ok.actor == "kaipiao"


def test_an_unlinked_identity_is_told_what_to_do(
    browser: Any, page: Any, live_server: Any, sso: Provider
) -> None:
    base = live_server.url
    demo_load()
    page.goto(f"{base}/accounts/login/")
    page.click("#third-party button[data-provider=sso]")
    at_provider(page, "bob", "bob-sso-pass")
    page.wait_for_selector(".message")
    assert "尚未绑定 Fapiao 账户" in page.inner_text(".message")
    assert page.url.startswith(f"{base}/accounts/social/")  # still signed out, on our page
    page.goto(f"{base}/invoices/")
    assert "/accounts/login/" in page.url


def _code(secret: str, *, steps: int = 0) -> str:
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    totp = TOTP(key)
    totp.time = time.time() + steps * 30
    return f"{totp.token():06d}"


def test_set_up_an_authenticator_from_its_qr_code_and_sign_in_with_it(
    browser: Any, page: Any, live_server: Any
) -> None:
    base = live_server.url
    demo_load()
    password_sign_in(page, base)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/settings/me/")
    page.click("#security-link")
    page.click("#begin button")
    page.wait_for_selector("#qr svg")
    secret = page.inner_text("#secret")
    shot(page, "signin-03-qr")
    enrolled = int(time.time() // 30)  # the time step of the code that confirms the device
    page.fill("#enrol-code", _code(secret))
    page.click("#confirm button")
    codes = page.locator("#recovery-codes li")
    assert codes.count() == 10
    assert "已启用" in page.inner_text("#two-factor-state")
    shot(page, "signin-04-recovery-codes")

    fresh = browser.new_context(locale="zh-CN")
    other = fresh.new_page()
    password_sign_in(other, base)
    other.wait_for_url(f"{base}/accounts/login/2fa/")
    # a code of a later step than the one used (a code is good once); near a step's end the
    # server may have matched the enrolment a step late and keeps that drift, so the code is
    # the current one, once the step has moved on
    while int(time.time() // 30) <= enrolled:
        time.sleep(0.5)
    other.fill("#code", _code(secret))
    shot(other, "signin-05-second-factor")
    other.click("#second-factor button")
    other.wait_for_url(f"{base}/")
    assert "今日开票" in other.content()
    fresh.close()
