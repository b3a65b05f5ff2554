"""个人设置 (language, theme, notices, quiet hours) and the English pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from fapiao.api.keys import apikey_create
from fapiao.core.roles import Role
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.security.models import AuditEvent
from tests.integration.world import World, make_world

pytestmark = pytest.mark.django_db
SRC = Path(__file__).resolve().parents[2] / "src" / "fapiao"
CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"


def test_chinese_comes_first_and_english_is_chosen() -> None:
    client = Client(HTTP_HOST="localhost")
    # the browser's own language is not consulted
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    assert "登录 Fapiao 开票系统" in page and '<html lang="zh-CN"' in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in to Fapiao" in page and '<html lang="en"' in page
    assert "登录 Fapiao" not in page


def _signed_in_clerk() -> tuple[World, Any, Client]:
    world = make_world()
    user = user_create(username="clerk", password="Str0ng#Pass", email="c@example.cn")
    role_grant(user=user, role=Role.ISSUER, taxpayer=world.taxpayer, actor="root")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return world, user, client


def test_personal_settings_language_theme_and_quiet_hours() -> None:
    _, user, client = _signed_in_clerk()
    assert "今日开票" in client.get("/").content.decode()

    form = {"language": "en", "theme": "dark", "notify_email": "1", "quiet_start": "22:00"}
    refused = client.post("/settings/me/", form).content.decode()
    assert "免打扰时段须同时填写开始和结束时间" in refused
    client.post("/settings/me/", {**form, "quiet_end": "08:00"})
    page = client.get("/").content.decode()
    assert "Issued today" in page and 'data-theme="dark"' in page
    assert "Saved" in client.get("/settings/me/").content.decode()
    forbidden = client.get("/settings/users/")  # an issuer is not an administrator
    assert (
        forbidden.status_code == 403 and "You may not open this page" in forbidden.content.decode()
    )
    profile = user.profile
    profile.refresh_from_db()
    assert (profile.language, profile.theme, profile.notify_sms) == ("en", "dark", False)
    assert str(profile.quiet_start) == "22:00:00"
    changed = AuditEvent.objects.filter(type="setting.changed").last()
    assert changed is not None and changed.payload["language"] == {"before": "", "after": "en"}
    bad = client.post("/settings/me/", {"language": "fr", "theme": "dark"}).content.decode()
    assert "This language is not supported" in bad  # the page is English now, refusals too


def test_refusals_speak_the_readers_language() -> None:
    world, _, client = _signed_in_clerk()
    client.post("/settings/me/", {"language": "en", "theme": "light"})
    draft = {
        "kind": "VAT_ORDINARY_ELECTRONIC", "channel": world.device.name,
        "buyer": {"name": "无锡市安协安全培训中心"},
        "lines": [{"name": "培训费", "tax_code": "3070201020000000000", "rate": "6%",
                   "quantity": "2", "unit_price": "0"}],
    }  # fmt: skip
    english = client.post("/api/v1/invoices/preview", draft, content_type="application/json")
    # the template and its argument (the line) are both translated
    assert english.json()["message"] == "Line 1: the unit price must be greater than 0"
    assert english.json()["field"] == "lines.0.unit_price"
    key = apikey_create(taxpayer=world.taxpayer, name="erp", role=Role.ISSUER, actor="root")
    chinese = Client(HTTP_HOST="localhost").post(
        "/api/v1/invoices/preview", draft, content_type="application/json",
        HTTP_X_API_KEY=key.plaintext,
    )  # fmt: skip
    assert chinese.json()["message"] == "第1行：单价必须大于0"  # API clients: Chinese


def _untranslated(path: Path) -> list[str]:
    text = path.read_text("utf-8")
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}|<script.*?</script>", "", text, flags=re.S)
    return re.findall(f"[{CJK}][^<>\n]*", text)


@pytest.mark.parametrize("path", sorted(SRC.glob("*/templates/**/*.html")), ids=lambda p: p.name)
def test_every_page_text_is_translatable(path: Path) -> None:
    assert _untranslated(path) == [], "wrap the text in {% translate %} and add it to django.po"


@pytest.mark.parametrize(
    "path",
    sorted(p for p in SRC.glob("*/static/**/*.js") if "vendor" not in p.parts),
    ids=lambda p: p.name,
)
def test_scripts_carry_no_text_of_their_own(path: Path) -> None:
    # what a script shows comes from the page (translated) or from the API (in the language
    # of the signed-in user)
    assert re.findall(f"[{CJK}]+", path.read_text("utf-8")) == []


def test_every_translatable_text_has_its_english() -> None:
    po = (SRC / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text("utf-8")
    pairs = re.findall(r'msgid "(.*)"\nmsgstr "(.*)"', po)
    wanted = set()
    for path in SRC.glob("*/templates/**/*.html"):
        wanted |= set(re.findall(r'\{% translate "(.*?)" %\}', path.read_text("utf-8")))
    for path in SRC.glob("**/*.py"):  # messages the views make
        wanted |= set(
            re.findall(r'\b(?:_|gettext|gettext_lazy)\(\s*"([^"]*)"', path.read_text("utf-8"))
        )
    english = {msgid: msgstr for msgid, msgstr in pairs if msgid}
    assert wanted - set(english) == set()
    # Chinese stays only where it is the very text meant: a language's own name, and the
    # words a margin-taxation invoice must carry in its remarks
    assert [m for m, s in english.items() if not s or (re.search(f"[{CJK}]", s) and m != s)] == [
        "跟随网站（简体中文）",
        "差额征税发票须在备注栏注明“差额征税”",
    ]


def test_user_pages_show_no_other_users_settings(settings: Any) -> None:
    client = Client(HTTP_HOST="localhost")
    assert client.get("/settings/me/").status_code == 302  # sign in first


def test_a_nul_character_is_refused_before_it_reaches_the_database() -> None:
    world = make_world()
    user = user_create(username="nul", password="Str0ng#Pass", email="n@example.cn")
    role_grant(user=user, role=Role.ADMIN, taxpayer=world.taxpayer, actor="root")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    answer = client.get("/api/v1/periods/status", {"channel": "a\x00b"})
    assert answer.status_code == 400 and "空字符" in answer.json()["message"]
    body = '{"kind": "DIGITAL_ORDINARY", "buyer": {"name": "a\\u0000"}}'
    posted = client.post("/api/v1/invoices/preview", body, content_type="application/json")
    assert posted.status_code == 400
    assert client.post("/settings/me/", {"language": "en\x00"}).status_code == 400
    assert client.get("/closing/", {"period": "2026-10"}).status_code == 200
