"""Sign-in, lockout, one-time codes, registration through a real SMTP server, the audit chain."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from fapiao.core.roles import Role
from fapiao.domain.errors import DomainError
from fapiao.invoicing.accounts import AccountError, role_grant, user_create
from fapiao.security.audit import audit_verify
from fapiao.security.models import AuditEvent, Profile
from fapiao.security.services import (
    LOCKED,
    WRONG,
    AccountLocked,
    code_send,
    login_code,
    login_password,
    unlock,
)
from tests.integration.test_delivery import Inbox, Server
from tests.integration.world import make_world

pytestmark = pytest.mark.django_db
PASSWORD = "Str0ng#Pass"


@pytest.fixture
def user() -> Any:
    created = user_create(username="kaipiao", password=PASSWORD, email="kp@example.cn")
    Profile.objects.create(user=created, mobile="13800138000")
    return created


def test_password_policy_needs_letters_digits_and_a_special_character() -> None:
    for weak, missing in (("abcdefgh1", "特殊字符"), ("abcdefg#!", "数字"), ("1234567#9", "字母")):
        with pytest.raises(AccountError, match=missing) as caught:
            user_create(username=f"u{missing}", password=weak)
        assert caught.value.field == "password"
    with pytest.raises(AccountError, match="太短"):
        user_create(username="short", password="a1#")


def test_lockout_after_five_failures_then_time_or_an_admin_unlocks(user: Any) -> None:
    now = timezone.now()
    for _ in range(4):
        with pytest.raises(DomainError, match=WRONG):
            login_password("kaipiao", "wrong", now=now)
    with pytest.raises(AccountLocked, match="账户被锁定"):
        login_password("kaipiao", "wrong", now=now)
    with pytest.raises(AccountLocked, match="账户被锁定"):
        login_password("kaipiao", PASSWORD, now=now)  # the right password does not help
    assert login_password("kaipiao", PASSWORD, now=now + timedelta(minutes=16)) == user
    for _ in range(5):
        with pytest.raises(DomainError):
            login_password("kp@example.cn", "wrong", now=now)
    unlock("kp@example.cn", actor="admin")
    assert login_password("kp@example.cn", PASSWORD, now=now) == user
    types = list(AuditEvent.objects.values_list("type", flat=True))
    assert types.count("login.locked") == 2 and "login.unlocked" in types
    assert types.count("login.ok") == 2


def test_unknown_accounts_answer_and_lock_the_same_way(user: Any) -> None:
    now = timezone.now()
    answers = []
    for name in ("kaipiao", "nobody-here"):
        for _ in range(5):
            with pytest.raises(DomainError) as caught:
                login_password(name, "wrong", now=now)
            answers.append(caught.value.message)
    assert answers[:5] == answers[5:]  # the public cannot tell which account exists
    assert answers[-1] == LOCKED


def test_login_by_mobile_and_code(user: Any, settings: Any, tmp_path: Any) -> None:
    code_send(purpose="login", mobile="13800138000")
    text = (tmp_path / "sms.log").read_text("utf-8")
    code = re.search(r"验证码 (\d{6})", text).group(1)  # type: ignore[union-attr]
    with pytest.raises(DomainError, match="1分钟"):
        code_send(purpose="login", mobile="13800138000")
    with pytest.raises(DomainError, match=WRONG):
        login_code("13800138000", "000000" if code != "000000" else "111111")
    assert login_code("13800138000", code) == user
    with pytest.raises(DomainError, match=WRONG):
        login_code("13800138000", code)  # a code works once
    code_send(purpose="login", mobile="13900139000")  # no such account: nothing is texted
    assert "13900139000" not in (tmp_path / "sms.log").read_text("utf-8")


def test_login_page_sets_a_session_and_logs_the_client(user: Any) -> None:
    browser = Client(HTTP_HOST="localhost", HTTP_USER_AGENT="pytest-browser",
                     REMOTE_ADDR="10.1.2.3")  # fmt: skip
    page = browser.post("/accounts/login/", {"username": "kaipiao", "password": "nope"})
    assert page.status_code == 200 and WRONG in page.content.decode()
    done = browser.post("/accounts/login/", {"username": "kaipiao", "password": PASSWORD})
    assert done.status_code == 302
    ok = AuditEvent.objects.get(type="login.ok")
    assert (ok.ip, ok.user_agent) == ("10.1.2.3", "pytest-browser")
    failed = AuditEvent.objects.get(type="login.failed")
    assert failed.actor == "kaipiao"


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("http://evil.example/", "/"),
        ("//evil.example/steal", "/"),
        ("https://localhost.evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/invoices/?kind=DIGITAL_SPECIAL", "/invoices/?kind=DIGITAL_SPECIAL"),
        ("http://localhost/settings/", "http://localhost/settings/"),
    ],
)
def test_sign_in_follows_next_only_within_the_site(user: Any, target: str, landing: str) -> None:
    browser = Client(HTTP_HOST="localhost")
    done = browser.post(f"/accounts/login/?next={target}",
                        {"username": "kaipiao", "password": PASSWORD})  # fmt: skip
    assert (done.status_code, done["Location"]) == (302, landing)


def test_registration_is_confirmed_by_email_through_smtp(settings: Any) -> None:
    inbox = Inbox()
    server = Server(inbox)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    server.start()
    try:
        browser = Client(HTTP_HOST="localhost")
        page = browser.post("/accounts/register/", {"username": "newbie",
                                                    "email": "newbie@example.cn",
                                                    "password": PASSWORD})  # fmt: skip
        assert page.status_code == 200 and "请查收邮件" in page.content.decode()
        again = browser.post("/accounts/register/", {"username": "newbie",
                                                     "email": "other@example.cn",
                                                     "password": PASSWORD})  # fmt: skip
        assert again.content.decode().count("请查收邮件") == 1  # same answer when taken
    finally:
        server.stop()
    assert len(inbox.messages) == 1
    body = inbox.messages[0].get_payload(decode=True).decode()
    link = re.search(r"http://localhost(/accounts/register/\S+/)", body).group(1)  # type: ignore[union-attr]
    user = get_user_model().objects.get(username="newbie")
    assert not user.is_active
    with pytest.raises(DomainError, match=WRONG):
        login_password("newbie", PASSWORD)
    assert browser.get(link).status_code == 200
    user.refresh_from_db()
    assert user.is_active
    assert browser.get("/accounts/register/tampered-token/").status_code == 400
    assert email.utils.parseaddr(inbox.messages[0]["To"])[1] == "newbie@example.cn"


def test_the_audit_chain_records_and_catches_tampering(user: Any) -> None:
    world = make_world()
    role_grant(user=user, role=Role.ISSUER, taxpayer=world.taxpayer, actor="admin")
    login_password("kaipiao", PASSWORD)
    assert audit_verify() == []
    granted = AuditEvent.objects.get(type="role.granted")
    assert (granted.taxpayer_id, granted.payload["role"]) == (world.taxpayer.pk, "issuer")
    AuditEvent.objects.filter(pk=granted.pk).update(actor="someone-else")
    assert (f"审计事件#{granted.sequence}", "事件内容被修改") in audit_verify()
    AuditEvent.objects.filter(pk=granted.pk).update(actor="admin")
    AuditEvent.objects.order_by("-sequence").first().delete()  # type: ignore[union-attr]
    assert [what for _, what in audit_verify()] == ["最后的事件被删除或链头被修改"]


def test_auditor_page_filters_exports_and_sees_only_its_taxpayer(user: Any) -> None:
    a = make_world()
    b = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161")
    auditor = user_create(username="shenji", password=PASSWORD)
    role_grant(user=auditor, role=Role.AUDITOR, taxpayer=a.taxpayer, actor="root")
    role_grant(user=user, role=Role.ISSUER, taxpayer=a.taxpayer, actor="root")
    outsider = user_create(username="other", password=PASSWORD)
    role_grant(user=outsider, role=Role.ISSUER, taxpayer=b.taxpayer, actor="root")
    login_password("kaipiao", PASSWORD)
    login_password("other", PASSWORD)
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(auditor)
    page = browser.get("/audit/").content.decode()
    assert "授予角色" in page and "kaipiao" in page
    assert "other" not in page  # a member of another taxpayer only
    only = browser.get("/audit/?category=accounts").content.decode()
    assert "登录成功" in only and "授予角色" not in only.split("<tbody")[1]
    csv_file = browser.get("/audit/?category=accounts&export=csv")
    text = csv_file.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("时间,事件,操作人,来源地址") and "kaipiao" in text
    assert "授予角色" not in text  # exactly the filtered rows
    assert "other" not in text
    assert AuditEvent.objects.filter(type="export", actor="shenji").exists()
    issuer = Client(HTTP_HOST="localhost")
    issuer.force_login(user)
    assert issuer.get("/audit/").status_code == 403  # 开票员 is not an auditor


def test_password_reset_by_mobile_code(user: Any, tmp_path: Any) -> None:
    browser = Client(HTTP_HOST="localhost")
    asked = browser.post("/accounts/password/reset/phone/", {"mobile": "13800138000"})
    assert "验证码已发送" in asked.content.decode()
    sms = (tmp_path / "sms.log").read_text("utf-8")
    code = re.search(r"验证码 (\d{6})", sms).group(1)  # type: ignore[union-attr]
    weak = browser.post("/accounts/password/reset/phone/",
                        {"mobile": "13800138000", "code": code, "password": "short"})  # fmt: skip
    assert "密码太短" in weak.content.decode()  # and the code is still good
    again = browser.post("/accounts/password/reset/phone/", {"mobile": "13800138000"})
    assert "1分钟" in again.content.decode()  # one code a minute
    form = {"mobile": "13800138000", "code": code, "password": "N3w#Password"}
    done = browser.post("/accounts/password/reset/phone/", form)
    assert done.status_code == 302
    assert login_password("kaipiao", "N3w#Password") == user
    assert AuditEvent.objects.filter(type="password.reset").count() == 1
