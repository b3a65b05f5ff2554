"""系统设置 pages, through Django's test client: profile, users and roles, catalogs, keys."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client

from fapiao.api.models import ApiKey
from fapiao.core.roles import Role
from fapiao.invoicing.accounts import role_grant, roles_of, user_create
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import Customer, Taxpayer
from fapiao.security.services import LoginFailure
from tests.integration.world import World, make_world
from tests.integration.world import signed_in as signed_in_as

pytestmark = pytest.mark.django_db
PASSWORD = "Str0ng#Pass"


@pytest.fixture
def world() -> World:
    return make_world()


def signed_in(world: World, role: Role, name: str = "boss") -> Client:
    return signed_in_as(world, role, name, PASSWORD)


def test_profile_users_and_roles(world: World) -> None:
    admin = signed_in(world, Role.ADMIN)
    profile = {
        "name": world.taxpayer.name,
        "address": "无锡市梁溪区",
        "phone": "0510-85409880",
        "bank": "",
        "account": "",
        "kind": "general",
        "cycle": "quarterly",
        "region": "32",
    }
    saved = admin.post("/settings/", profile)
    assert saved.status_code == 302
    assert Taxpayer.objects.get(pk=world.taxpayer.pk).cycle == "quarterly"
    refused = admin.post("/settings/", {"name": "名" * 101, "address": "", "phone": "",
                                        "bank": "", "account": "", "kind": "general",
                                        "cycle": "monthly", "region": "32"})  # fmt: skip
    assert "不能超过100个字符" in refused.content.decode()
    added = admin.post("/settings/users/change", {"action": "add", "username": "kaipiao",
                                                  "password": PASSWORD, "role": "issuer"},
                       follow=True)  # fmt: skip
    assert "已授予 kaipiao 开票员" in added.content.decode()
    weak = admin.post("/settings/users/change", {"action": "add", "username": "weak",
                                                 "password": "123", "role": "issuer"},
                      follow=True)  # fmt: skip
    assert "密码太短" in weak.content.decode()
    from django.contrib.auth import get_user_model

    kaipiao = get_user_model().objects.get(username="kaipiao")
    assert roles_of(kaipiao, world.taxpayer) == {Role.ISSUER}
    LoginFailure.objects.create(identifier="kaipiao", at="2026-11-23T10:00:00+08:00")
    admin.post("/settings/users/change", {"action": "unlock", "username": "kaipiao"})
    assert not LoginFailure.objects.filter(identifier="kaipiao").exists()
    admin.post("/settings/users/change", {"action": "revoke", "username": "kaipiao",
                                          "role": "issuer"})  # fmt: skip
    assert roles_of(kaipiao, world.taxpayer) == set()
    authority = admin.post("/settings/users/change", {"action": "add", "username": "x",
                                                      "password": PASSWORD, "role": "authority"},
                           follow=True)  # fmt: skip
    assert "税务机关" in authority.content.decode()
    issuer = signed_in(world, Role.ISSUER, "clerk")
    assert issuer.get("/settings/").status_code == 403
    assert issuer.get("/settings/users/").status_code == 403


def test_catalog_import_export_and_channels(world: World) -> None:
    clerk = signed_in(world, Role.ISSUER, "clerk")
    bad = io.BytesIO("名称,纳税人识别号\n好客户,\n坏客户,123\n".encode())
    bad.name = "bad.csv"
    page = clerk.post("/settings/catalogs/customers/", {"file": bad})
    text = page.content.decode()
    assert "未导入任何记录" in text and "import-errors" in text and Customer.objects.count() == 0
    good = io.BytesIO("名称,电子邮箱\n好客户,a@example.cn\n".encode())
    good.name = "c.csv"
    done = clerk.post("/settings/catalogs/customers/", {"file": good}, follow=True)
    assert "新增1条" in done.content.decode() and Customer.objects.get().email == "a@example.cn"
    exported = clerk.get("/settings/catalogs/customers/export.csv")
    assert b"".join(exported.streaming_content).decode("utf-8-sig").startswith("名称,")
    channels = clerk.get("/settings/channels/").content.decode()
    assert "661807105160" in channels and "VAT_ORDINARY_PAPER" in channels


def test_api_keys_shown_once_and_revoked(world: World) -> None:
    admin = signed_in(world, Role.ADMIN)
    page = admin.post("/settings/keys/", {"name": "ERP", "role": "issuer"}).content.decode()
    plaintext = re.search(r'<code id="new-key">(fpk_[^<]+)</code>', page).group(1)  # type: ignore[union-attr]
    assert "只显示这一次" in page
    api = Client(HTTP_HOST="localhost", HTTP_X_API_KEY=plaintext)
    assert api.get("/api/v1/me").status_code == 200
    assert plaintext not in admin.get("/settings/keys/").content.decode()
    key = ApiKey.objects.get()
    admin.post("/settings/keys/", {"revoke": str(key.pk)})
    assert api.get("/api/v1/me").status_code == 401


def test_settings_of_another_taxpayer_cannot_be_touched(world: World) -> Any:
    other = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161")
    outsider = signed_in(other, Role.ADMIN, "outsider")
    victim = user_create(username="victim", password=PASSWORD)
    role_grant(user=victim, role=Role.ISSUER, taxpayer=world.taxpayer, actor="root")
    outsider.post("/settings/users/change", {"action": "revoke", "username": "victim",
                                             "role": "issuer"})  # fmt: skip
    assert roles_of(victim, world.taxpayer) == {Role.ISSUER}
    key = ApiKey.objects.create(taxpayer=world.taxpayer, name="k", role="issuer", prefix="abcd",
                                key_hash="0" * 64, created_at="2026-11-23T10:00:00+08:00",
                                created_by="root")  # fmt: skip
    outsider.post("/settings/keys/", {"revoke": str(key.pk)})
    key.refresh_from_db()
    assert key.revoked_at is None


def test_red_letter_confirmation_through_the_invoice_page(world: World) -> None:
    from fapiao.invoicing.models import Invoice, RedForm
    from fapiao.invoicing.services import invoice_issue
    from tests.integration.world import SPECIAL_BUYER

    clerk = signed_in(world, Role.ISSUER, "clerk")
    blue = invoice_issue(
        taxpayer=world.taxpayer, channel=world.digital,
        draft=parse_draft({"kind": "DIGITAL_SPECIAL", "buyer": SPECIAL_BUYER,
              "lines": [{"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%",
                         "amount": "100"}]}),
        request_id=None, actor="clerk",
    )  # fmt: skip
    page = clerk.get(f"/invoices/{blue.pk}/").content.decode()
    assert 'id="red-form"' in page and 'id="void"' not in page  # 数电 kinds are never voided
    clerk.post(f"/invoices/{blue.pk}/do/form", {"reason": "销货退回", "raised_by": "seller",
                                                "buyer_booked": "1"})  # fmt: skip
    form = RedForm.objects.get()
    assert form.status == "pending"
    refused = clerk.post(f"/invoices/{blue.pk}/do/red-form", {"form": form.number}, follow=True)
    assert "待对方确认" in refused.content.decode() and Invoice.objects.count() == 1
    clerk.post(f"/invoices/{blue.pk}/do/confirm", {"form": form.number, "party": "buyer"})
    done = clerk.post(f"/invoices/{blue.pk}/do/red-form", {"form": form.number}, follow=True)
    assert "已开具红字发票" in done.content.decode()
    blue.refresh_from_db()
    assert blue.status == "red_full" and blue.reds.get().total == -blue.total


def test_dashboard_warns_of_low_stock_and_credit(world: World) -> None:
    from decimal import Decimal

    from fapiao.invoicing.taxpayers import credit_set

    credit_set(channel=world.digital, monthly_credit=Decimal("4000.00"), source="税务机关",
               actor="root")  # fmt: skip
    clerk = signed_in(world, Role.ISSUER, "clerk")
    page = clerk.get("/").content.decode()
    assert "电子普票库存仅剩3张，请及时领购" in page  # make_world gives 3 of each kind
    assert "本月授信额度仅剩" not in page
    credit_set(channel=world.digital, monthly_credit=Decimal("0.00"), source="税务机关",
               actor="root")  # fmt: skip
    assert "本月授信额度" not in clerk.get("/").content.decode()  # zero credit: nothing to warn of
    credit_set(channel=world.digital, monthly_credit=Decimal("100.00"), source="税务机关",
               actor="root")  # fmt: skip
    from fapiao.invoicing.services import invoice_issue
    from tests.integration.world import SPECIAL_BUYER

    invoice_issue(taxpayer=world.taxpayer, channel=world.digital,
                  draft=parse_draft({"kind": "DIGITAL_ORDINARY", "buyer": SPECIAL_BUYER,
                        "lines": [{"name": "软件开发服务", "tax_code": "3040201010000000000",
                                   "rate": "6%", "amount": "95"}]}),
                  request_id=None, actor="clerk")  # fmt: skip
    assert "本月授信额度仅剩¥5.00" in clerk.get("/").content.decode()
