"""Inputs that used to end in a 500 or a traceback: each now gets a clear answer (a 4xx with the
field named, an exit code with a message), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from fapiao.api.keys import apikey_create
from fapiao.core.roles import Role
from fapiao.core.signing import SEAL_MESSAGE, SealBroken
from fapiao.documents.delivery import LinkUnavailable, link_create
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import Invoice
from fapiao.invoicing.services import invoice_issue
from tests.integration.world import World, make_world

pytestmark = pytest.mark.django_db
LINE = {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "100"}
DRAFT = {"kind": "DIGITAL_ORDINARY", "channel": "数电", "buyer": {"name": "某公司"},
         "lines": [LINE]}  # fmt: skip


@pytest.fixture
def world() -> World:
    return make_world(credit=None)


class Api:
    def __init__(self, world: World) -> None:
        key = apikey_create(taxpayer=world.taxpayer, name="erp", role=Role.ISSUER, actor="admin")
        self.client = Client(HTTP_HOST="localhost", raise_request_exception=False)
        self.key = key.plaintext

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/v1{path}", HTTP_X_API_KEY=self.key)

    def post(self, path: str, body: Any, **headers: str) -> Any:
        return self.client.post(f"/api/v1{path}", data=json.dumps(body),
                                content_type="application/json", HTTP_X_API_KEY=self.key,
                                **headers)  # fmt: skip


def test_a_long_request_id_is_refused_with_422_in_body_and_header(world: World) -> None:
    api = Api(world)
    body = api.post("/invoices", {**DRAFT, "request_id": "r" * 101})
    assert (body.status_code, body.json()["field"]) == (422, "request_id")
    assert "不能超过100个字符" in body.json()["message"]
    header = api.post("/invoices", DRAFT, HTTP_IDEMPOTENCY_KEY="h" * 101)
    assert (header.status_code, header.json()["field"]) == (422, "request_id")
    assert Invoice.objects.count() == 0
    fits = api.post("/invoices", {**DRAFT, "request_id": "r" * 100})
    assert fits.status_code == 201


def test_huge_page_numbers_and_link_days_are_refused(world: World) -> None:
    api = Api(world)
    for page in ("9" * 35, "0", "-1"):
        answer = api.get(f"/invoices?page={page}")
        assert (answer.status_code, answer.json()["field"]) == (422, "page")
    assert api.get("/invoices?size=" + "9" * 30).status_code == 422
    issued = api.post("/invoices", DRAFT).json()
    for days in (10**9, -(10**9), 0):
        answer = api.post(f"/invoices/{issued['id']}/deliver", {"link_days": days})
        assert (answer.status_code, answer.json()["field"]) == (422, "link_days")
    assert api.post(f"/invoices/{issued['id']}/deliver", {"link_days": 7}).status_code == 200
    with pytest.raises(LinkUnavailable, match="1至366天"):
        link_create(invoice=Invoice.objects.get(), actor="clerk", days=10**9)


def test_commands_that_need_the_authority_exit_5_with_a_message(
    world: World, settings: Any
) -> None:
    settings.FAPIAO_AUTHORITY_URL = "http://127.0.0.1:9"  # nothing listens there
    for args in (["reconcile"], ["channel", "credit-request", "--channel", "数电"]):
        out = io.StringIO()
        with pytest.raises(CommandError) as caught:
            call_command(*args, "--json", stdout=out)
        assert caught.value.returncode == 5
        answer = json.loads(out.getvalue())
        assert answer["code"] == "unreachable" and answer["message"].startswith("无法连接税务机关")


def test_a_database_under_another_secret_key_says_what_to_do(world: World, settings: Any) -> None:
    settings.SECRET_KEY = "another-installation-" + "x" * 40
    with pytest.raises(SealBroken) as caught:
        invoice_issue(taxpayer=world.taxpayer, channel=world.digital, draft=parse_draft(DRAFT),
                      request_id=None, actor="clerk")  # fmt: skip
    assert caught.value.message == SEAL_MESSAGE and "FAPIAO_SECRET_KEY" in SEAL_MESSAGE
    answer = Api(world).post("/invoices", DRAFT)
    assert (answer.status_code, answer.json()["code"]) == (503, "key_unreadable")
    assert Invoice.objects.count() == 0
