"""Third-party sign-in against a real OpenID Connect provider on loopback (django-oauth-toolkit
in a second process), and two-factor sign-in with an authenticator's codes and recovery codes.
Every path writes its audit event and counts towards the lockout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP

from fapiao.api.models import ApiKey
from fapiao.core.roles import Role
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.security import twofactor
from fapiao.security.identities import LAST_WAY, TAKEN, UNLINKED
from fapiao.security.models import AuditEvent, LoginFailure, Profile
from fapiao.security.services import LOCKED, AccountLocked, login_password, login_second_factor
from fapiao.web.social import CODE_REFUSED, PROVIDER_DOWN, STATE_REFUSED
from tests.integration.world import make_world
from tests.oidc import Provider, provider_start, sign_in_at_provider

pytestmark = pytest.mark.django_db
PASSWORD = "Str0ng#Pass"
HOST = "http://localhost"
LOGIN = "/accounts/social/oidc/sso/login/"
CALLBACK = f"{HOST}{LOGIN}callback/"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    started = provider_start(tmp_path_factory.mktemp("oidc"))
    started.allow(CALLBACK)
    yield started
    started.stop()


@pytest.fixture
def sso(settings: Any, provider: Provider) -> Provider:
    settings.SOCIALACCOUNT_PROVIDERS = provider.app_settings()
    return provider


@pytest.fixture
def user() -> Any:
    return user_create(username="kaipiao", password=PASSWORD, email="kp@example.cn")


def browser() -> Client:
    return Client(HTTP_HOST="localhost", HTTP_USER_AGENT="pytest-browser")


def password_sign_in(client: Client, username: str = "kaipiao") -> Any:
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD})


def third_party(client: Client, person: str, *, process: str = "", next_url: str = "/") -> Any:
    """Press the provider's button on our page, sign in at the provider as ``person``, and
    come back: our answer to the provider's redirect."""
    data = {"next": next_url, **({"process": process} if process else {})}
    started = client.post(LOGIN, data)
    assert started.status_code == 302, started.content.decode()[:300]
    back = sign_in_at_provider(started["Location"], person, back_to=HOST)
    return client.get(back)


def linked(client: Client, person: str) -> Any:
    assert password_sign_in(client).status_code == 302
    answer = third_party(client, person, process="connect")
    client.post("/accounts/logout/")
    return answer


def signed_in_as(client: Client) -> str | None:
    session = client.session
    if "_auth_user_id" not in session:
        return None
    return get_user_model().objects.get(pk=session["_auth_user_id"]).get_username()


def last(kind: str) -> AuditEvent:
    event = AuditEvent.objects.filter(type=kind).order_by("-sequence").first()
    assert event is not None, kind
    return event


def code_of(device: Any, *, steps: int = 1) -> str:
    """What the authenticator app shows ``steps`` time steps from now (django-otp refuses a
    step it has already accepted, so each use takes the next one)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def enrolled(user: Any) -> tuple[Any, list[str]]:
    twofactor.enrol_begin(user)
    device = twofactor.pending_of(user)
    codes = twofactor.enrol_confirm(user, code_of(device, steps=0))
    return twofactor.device_of(user), codes


# --- third-party sign-in -------------------------------------------------------------------


def test_a_linked_identity_signs_in_and_an_unlinked_one_is_refused(
    sso: Provider, user: Any
) -> None:
    client = browser()
    answer = linked(client, "alice")
    assert answer.status_code == 302 and answer["Location"].startswith("/settings/me/security/")
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, last("identity.linked").actor) == ("sso", "kaipiao")

    answer = third_party(client, "alice", next_url="/invoices/")
    assert (answer.status_code, answer["Location"]) == (302, "/invoices/")
    assert signed_in_as(client) == "kaipiao"
    ok = last("login.ok")
    assert ok.payload["method"] == "social:sso" and ok.user_agent == "pytest-browser"

    stranger = browser()
    refused = third_party(stranger, "bob")
    assert refused.status_code == 403 and UNLINKED in refused.content.decode()
    assert signed_in_as(stranger) is None
    failed = last("login.failed")
    assert failed.payload["reason"] == "unlinked" and failed.actor.startswith("sso:")
    assert LoginFailure.objects.filter(identifier=failed.actor).count() == 1


def test_an_identity_never_signs_in_by_matching_an_email(sso: Provider) -> None:
    # our user has the very address the provider gives mallory (unverified) and bob (verified)
    user_create(username="victim", password=PASSWORD, email="victim@example.com")
    user_create(username="bobby", password=PASSWORD, email="bob@example.com")
    for person in ("mallory", "bob"):
        client = browser()
        answer = third_party(client, person)
        assert answer.status_code == 403 and UNLINKED in answer.content.decode()
        assert signed_in_as(client) is None
    assert not SocialAccount.objects.exists()


def test_an_identity_locks_out_like_a_password_and_a_locked_account_stays_shut(
    sso: Provider, user: Any
) -> None:
    for _ in range(4):
        assert third_party(browser(), "bob").status_code == 403
    fifth = third_party(browser(), "bob").content.decode()
    assert LOCKED in fifth and last("login.locked").actor.startswith("sso:")

    linked(browser(), "alice")
    for _ in range(5):
        browser().post("/accounts/login/", {"username": "kaipiao", "password": "wrong"})
    client = browser()
    answer = third_party(client, "alice")
    assert LOCKED in answer.content.decode() and signed_in_as(client) is None


def test_self_service_sign_up_only_where_the_provider_allows_it(
    settings: Any, provider: Provider
) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = provider.app_settings(signup=True)
    client = browser()
    answer = third_party(client, "carol")
    assert answer.status_code == 302 and signed_in_as(client) == "carol"
    carol = get_user_model().objects.get(username="carol")
    # no password to guess, the provider's verified address, and no role until an admin grants
    assert not carol.has_usable_password() and carol.email == "carol@example.com"
    assert not carol.memberships.exists()
    assert [e.type for e in AuditEvent.objects.filter(actor="carol").order_by("sequence")] == [
        "register", "identity.linked", "login.ok",
    ]  # fmt: skip
    # an unverified address is not kept
    mallory = third_party(browser(), "mallory")
    assert mallory.status_code == 302
    assert get_user_model().objects.get(username="mallory").email == ""


def test_a_refused_state_a_replayed_or_foreign_code_and_an_expired_code(
    sso: Provider, user: Any
) -> None:
    linked(browser(), "alice")
    client = browser()
    started = client.post(LOGIN, {"next": "/"})
    back = sign_in_at_provider(started["Location"], "alice", back_to=HOST)
    forged = back.replace("state=", "state=x")
    answer = client.get(forged)
    assert answer.status_code == 400 and STATE_REFUSED in answer.content.decode()
    assert signed_in_as(client) is None and last("login.failed").payload["reason"] == "state"
    assert client.get(back).status_code == 302 and signed_in_as(client) == "kaipiao"
    replayed = browser().get(back)  # the same answer again, in another browser
    assert replayed.status_code == 400 and STATE_REFUSED in replayed.content.decode()

    # a code obtained for one sign-in, brought back with another's state (PKCE refuses it)
    client = browser()
    first = client.post(LOGIN, {"next": "/"})["Location"]
    second = client.post(LOGIN, {"next": "/"})["Location"]
    code_first = sign_in_at_provider(first, "alice", back_to=HOST)
    state_second = sign_in_at_provider(second, "alice", back_to=HOST)
    mixed = code_first.split("state=")[0] + "state=" + state_second.split("state=")[1]
    answer = client.get(mixed)
    assert answer.status_code == 400 and CODE_REFUSED in answer.content.decode()
    assert signed_in_as(client) is None

    client = browser()
    started = client.post(LOGIN, {"next": "/"})
    back = sign_in_at_provider(started["Location"], "alice", back_to=HOST)
    sso.expire_codes()
    answer = client.get(back)
    assert answer.status_code == 400 and CODE_REFUSED in answer.content.decode()
    assert last("login.failed").payload["reason"] == "code" and signed_in_as(client) is None


def test_a_provider_that_is_down_gets_a_clear_chinese_message(settings: Any) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": [{
        "provider_id": "sso", "name": "统一身份认证", "client_id": "x", "secret": "y",
        "settings": {"server_url": "http://127.0.0.1:9/o"},
    }]}}  # fmt: skip
    page = browser().get("/accounts/login/").content.decode()
    assert "使用统一身份认证登录" in page
    answer = browser().post(LOGIN, {"next": "/"})
    assert answer.status_code == 502 and PROVIDER_DOWN in answer.content.decode()
    assert "Traceback" not in answer.content.decode()
    assert last("login.failed").payload == {"reason": "provider down", "provider": "sso"}


def test_no_provider_is_on_until_configured(settings: Any) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True}}
    page = browser().get("/accounts/login/").content.decode()
    assert "third-party" not in page
    assert browser().post(LOGIN, {"next": "/"}).status_code == 404


def test_linking_is_one_identity_to_one_user_and_a_user_keeps_a_way_in(
    sso: Provider, user: Any
) -> None:
    linked(browser(), "alice")
    other = user_create(username="caiwu", password=PASSWORD)
    client = browser()
    password_sign_in(client, "caiwu")
    answer = third_party(client, "alice", process="connect")
    assert client.get(answer["Location"]).content.decode().count(TAKEN) == 1
    assert not SocialAccount.objects.filter(user=other).exists()

    # an account made by a provider (no password, no mobile) cannot drop its only way in
    account = SocialAccount.objects.get(user=user)
    user.set_unusable_password()
    user.save()
    client = browser()
    third_party(client, "alice")
    page = client.post("/settings/me/security/", {"action": "unlink", "account": account.pk})
    assert (
        LAST_WAY in page.content.decode() and SocialAccount.objects.filter(pk=account.pk).exists()
    )
    Profile.objects.create(user=user, mobile="13800138000")  # a second way in
    done = client.post("/settings/me/security/", {"action": "unlink", "account": account.pk})
    assert done.status_code == 302 and not SocialAccount.objects.filter(pk=account.pk).exists()
    assert last("identity.unlinked").payload["provider"] == "sso"


def test_accounts_configured_in_the_admin_sign_in_too(provider: Provider, user: Any) -> None:
    app = provider.app_settings()["openid_connect"]["APPS"][0]
    SocialApp.objects.create(
        provider="openid_connect", provider_id="sso", name="集团门户",
        client_id=app["client_id"], secret=app["secret"], settings={"server_url": provider.url},
    )  # fmt: skip
    assert "使用集团门户登录" in browser().get("/accounts/login/").content.decode()
    linked(browser(), "alice")
    client = browser()
    assert third_party(client, "alice").status_code == 302 and signed_in_as(client) == "kaipiao"


def test_every_way_of_signing_in_is_audited_and_counts_towards_the_lockout(
    sso: Provider, user: Any
) -> None:
    Profile.objects.create(user=user, mobile="13800138000")
    device, _ = enrolled(user)
    tries = {
        "kaipiao": {"username": "kaipiao", "password": "wrong"},
        "13800138000": {"mobile": "13800138000", "code": "000000"},
    }
    for identifier, form in tries.items():
        browser().post("/accounts/login/", form)
        assert LoginFailure.objects.filter(identifier=identifier).count() == 1
        assert last("login.failed").actor == identifier
    third_party(browser(), "bob")
    assert LoginFailure.objects.filter(identifier__startswith="sso:").count() == 1
    client = browser()
    first = client.post("/accounts/login/", {"username": "kp@example.cn", "password": PASSWORD})
    assert first["Location"].endswith("/2fa/")
    client.post("/accounts/login/2fa/", {"code": "000000"})
    assert LoginFailure.objects.filter(identifier="kaipiao").count() == 2  # the second factor's
    assert last("login.failed").payload["reason"] == "second factor"
    time.sleep(1.1)
    client.post("/accounts/login/2fa/", {"code": code_of(device)})
    assert signed_in_as(client) == "kaipiao"
    assert not LoginFailure.objects.filter(identifier__in=["kaipiao", "kp@example.cn"]).exists()


# --- two-factor ------------------------------------------------------------------------------


def test_password_then_the_authenticator_then_a_recovery_code_once(user: Any) -> None:
    device, codes = enrolled(user)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert last("2fa.enabled").actor == "kaipiao"

    client = browser()
    first = password_sign_in(client)
    assert first["Location"] == "/accounts/login/2fa/"
    assert signed_in_as(client) is None  # not until the second factor
    assert last("login.first_factor").payload == {"method": "password"}
    assert client.get("/invoices/").status_code == 302  # still signed out
    wrong = client.post("/accounts/login/2fa/", {"code": "000000"})
    assert "动态口令或恢复码不正确" in wrong.content.decode()
    assert last("login.failed").payload["reason"] == "second factor"
    time.sleep(1.1)  # django-otp slows down guessing after a wrong code
    good = client.post("/accounts/login/2fa/", {"code": code_of(device)})
    assert good.status_code == 302 and signed_in_as(client) == "kaipiao"
    assert last("login.ok").payload == {"method": "password", "second_factor": "totp"}
    assert not LoginFailure.objects.filter(identifier="kaipiao").exists()

    for attempt in range(2):
        client = browser()
        password_sign_in(client)
        client.post("/accounts/login/2fa/", {"code": codes[0].upper().replace("-", " ")})
        assert (signed_in_as(client) == "kaipiao") == (attempt == 0)  # a recovery code works once
    assert last("login.ok").payload["second_factor"] == "recovery"
    assert twofactor.recovery_left(user) == 9


def test_wrong_second_factors_lock_the_account(user: Any) -> None:
    enrolled(user)
    client = browser()
    password_sign_in(client)
    for _ in range(5):
        answer = client.post("/accounts/login/2fa/", {"code": "123456"})
    assert LOCKED in answer.content.decode()
    assert last("login.locked").actor == "kaipiao"
    # the right password does not help now, whichever name it is given with
    assert LOCKED in password_sign_in(browser()).content.decode()
    by_email = browser().post("/accounts/login/", {"username": "kp@example.cn",
                                                    "password": PASSWORD})  # fmt: skip
    assert by_email["Location"] == "/accounts/login/2fa/"  # the first step passes ...
    with pytest.raises(AccountLocked):  # ... the second is shut
        login_second_factor(user, "123456", method="password", identifier="kp@example.cn")


def test_phone_code_and_third_party_sign_in_ask_the_second_factor_too(
    sso: Provider, user: Any, tmp_path: Any
) -> None:
    linked(browser(), "alice")
    device, _ = enrolled(user)
    client = browser()
    answer = third_party(client, "alice")
    assert answer["Location"] == "/accounts/login/2fa/" and signed_in_as(client) is None
    client.post("/accounts/login/2fa/", {"code": code_of(device)})
    assert signed_in_as(client) == "kaipiao"
    assert last("login.ok").payload == {"method": "social:sso", "second_factor": "totp"}

    Profile.objects.create(user=user, mobile="13800138000")
    client = browser()
    client.post("/accounts/login/", {"mobile": "13800138000"})
    code = (tmp_path / "sms.log").read_text("utf-8").split("验证码 ")[-1][:6]
    answer = client.post("/accounts/login/", {"mobile": "13800138000", "code": code})
    assert answer["Location"] == "/accounts/login/2fa/"
    client.post("/accounts/login/2fa/", {"code": code_of(device, steps=2)})
    assert last("login.ok").payload == {"method": "mobile", "second_factor": "totp"}


def test_the_setting_makes_admins_and_the_authority_set_it_up(settings: Any) -> None:
    settings.FAPIAO_2FA_REQUIRED = True
    world = make_world()
    admin = user_create(username="guanli", password=PASSWORD)
    role_grant(user=admin, role=Role.ADMIN, taxpayer=world.taxpayer, actor="root")
    clerk = user_create(username="kaipiao", password=PASSWORD)
    role_grant(user=clerk, role=Role.ISSUER, taxpayer=world.taxpayer, actor="root")

    client = browser()
    password_sign_in(client, "guanli")
    assert client.get("/invoices/")["Location"] == "/settings/me/security/?required=1"
    assert client.get("/api/v1/invoices").status_code == 403
    page = client.get("/settings/me/security/?required=1").content.decode()
    assert "您的角色要求使用两步验证" in page
    client.post("/settings/me/security/", {"action": "begin"})
    device = twofactor.pending_of(admin)
    shown = client.get("/settings/me/security/").content.decode()
    assert "<svg" in shown and twofactor.secret_text(device) in shown  # the QR, drawn here
    done = client.post("/settings/me/security/", {"action": "confirm", "code": code_of(device)})
    assert done.content.decode().count("<li>") >= 10  # the recovery codes, shown once
    assert client.get("/invoices/").status_code == 200
    refused = client.post("/settings/me/security/", {"action": "disable",
                                                     "code": code_of(device, steps=2)})  # fmt: skip
    assert "不能关闭" in refused.content.decode() and twofactor.enabled(admin)

    other = browser()  # an 开票员 is not asked
    password_sign_in(other)
    assert other.get("/invoices/").status_code == 200


def test_api_keys_roles_and_clearing_ask_for_the_code_again(user: Any) -> None:
    world = make_world()
    role_grant(user=user, role=Role.ADMIN, taxpayer=world.taxpayer, actor="root")
    device, _ = enrolled(user)
    client = browser()
    password_sign_in(client)
    client.post("/accounts/login/2fa/", {"code": code_of(device)})

    page = client.post("/settings/keys/", {"name": "erp", "role": "issuer"}).content.decode()
    assert "创建API密钥前请输入身份验证器中的动态口令" in page and not ApiKey.objects.exists()
    client.post("/settings/keys/", {"name": "erp", "role": "issuer", "otp": "000000"})
    assert not ApiKey.objects.exists() and last("2fa.step_up").payload["ok"] is False
    time.sleep(1.1)
    client.post(
        "/settings/keys/", {"name": "erp", "role": "issuer", "otp": code_of(device, steps=2)}
    )
    assert ApiKey.objects.filter(name="erp").exists()

    grant = {"action": "add", "username": "caiwu", "role": "finance", "password": PASSWORD}
    answer = client.post("/settings/users/change", grant, follow=True)
    assert "变更角色前请输入身份验证器中的动态口令" in answer.content.decode()
    assert not get_user_model().objects.filter(username="caiwu").exists()
    time.sleep(1.1)
    client.post("/settings/users/change", {**grant, "otp": code_of(device, steps=3)})
    assert world.taxpayer.members.filter(user__username="caiwu", role=Role.FINANCE).exists()

    form = {"channel": world.device.pk, "period": "2026-11", "action": "clear", "code": "123456"}
    page = client.post("/closing/", form, follow=True).content.decode()
    assert "清卡前请输入身份验证器中的动态口令" in page

    answer = client.post("/api/v1/periods/clear", {"period": "2026-11", "code": "123456"},
                         content_type="application/json")  # fmt: skip
    assert answer.status_code in (400, 403, 409, 422) and "动态口令" in answer.json()["message"]


def test_the_command_line_shows_and_resets_the_sign_in_ways(user: Any, capsys: Any) -> None:
    enrolled(user)
    call_command("user", "security", "kaipiao", "--json")
    shown = capsys.readouterr().out
    assert '"two_factor": true' in shown and '"recovery_codes": 10' in shown
    call_command("user", "2fa-reset", "kaipiao", "--actor", "运维 张三")
    assert not twofactor.enabled(user) and twofactor.recovery_left(user) == 0
    assert last("2fa.disabled").actor == "运维 张三"
    assert login_password("kaipiao", PASSWORD) == user  # a plain password sign-in again
    assert last("login.ok").payload == {"method": "password"}
