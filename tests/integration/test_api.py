"""The REST API: auth by key and by session, roles, errors, idempotency, and taxpayer scoping of
every endpoint (a user of taxpayer B finds nothing of taxpayer A, by any URL)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from fapiao.api.keys import apikey_create, apikey_revoke
from fapiao.api.v1 import api
from fapiao.api.v1.schemas import InvoiceOut
from fapiao.approvals.services import request_submit
from fapiao.archiving.services import package_make
from fapiao.batches.checking import Options
from fapiao.batches.services import batch_check
from fapiao.cli.management.commands.openapi import COMMITTED, schema_text
from fapiao.core.roles import Role
from fapiao.documents.delivery import link_create  # noqa: F401 - registers delivery jobs
from fapiao.documents.services import document_render
from fapiao.domain.lifecycle import RedReason
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.catalog import catalog_save
from fapiao.invoicing.models import Invoice
from fapiao.invoicing.red_forms import red_form_create
from fapiao.orders.services import order_create
from fapiao.receiving.claims import claim_create
from fapiao.receiving.services import receive_files
from fapiao.risk.detectors import Finding
from fapiao.risk.services import alert_raise
from tests.integration.world import SPECIAL_BUYER, World, make_world

pytestmark = pytest.mark.django_db
DRAFT = {
    "kind": "DIGITAL_SPECIAL",
    "channel": "数电",
    "buyer": SPECIAL_BUYER,
    "lines": [{"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%",
               "amount": "1000"}],
}  # fmt: skip


class Api:
    def __init__(self, key: str) -> None:
        self.client = Client(HTTP_HOST="localhost")
        self.headers = {"HTTP_X_API_KEY": key}

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/v1{path}", **self.headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.post(
            f"/api/v1{path}", data=json.dumps(body or {}), content_type="application/json",
            **self.headers, **headers,
        )  # fmt: skip

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/v1{path}", **self.headers)


@pytest.fixture
def worlds() -> tuple[World, World]:
    a = make_world(credit=None)
    b = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161",
                   credit=None)  # fmt: skip
    return a, b


def key(world: World, role: Role) -> Api:
    return Api(apikey_create(taxpayer=world.taxpayer, name=role.value, role=role,
                             actor="admin").plaintext)  # fmt: skip


def test_issue_replay_conflict_and_errors(worlds: tuple[World, World]) -> None:
    a, _ = worlds
    issuer = key(a, Role.ISSUER)
    first = issuer.post("/invoices", DRAFT, HTTP_IDEMPOTENCY_KEY="order-1")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert (body["total"], body["kind"]) == ("1060.00", "DIGITAL_SPECIAL")
    # answered without ninja's output validation: the same as the validated detail, and of
    # the documented shape
    assert issuer.get(f"/invoices/{body['id']}").json() == body
    assert InvoiceOut.model_validate(body).model_dump(mode="json") == body
    again = issuer.post("/invoices", DRAFT, HTTP_IDEMPOTENCY_KEY="order-1")
    assert (again.status_code, again.json()["id"]) == (201, body["id"])
    changed = {**DRAFT, "remarks": "另一张"}
    conflict = issuer.post("/invoices", changed, HTTP_IDEMPOTENCY_KEY="order-1")
    assert (conflict.status_code, conflict.json()["code"]) == (409, "idempotency_conflict")
    broken = {**DRAFT, "lines": [{**DRAFT["lines"][0], "rate": "13%", "tax": "1.00"}]}
    refused = issuer.post("/invoices", broken)
    assert refused.status_code == 400
    assert (
        refused.json()["field"] == "lines.0.tax" and "相差超过0.06元" in refused.json()["message"]
    )
    invalid = issuer.post("/invoices", {"kind": "DIGITAL_SPECIAL", "buyer": {}})
    assert invalid.status_code == 422
    # every missing field named as a clerk says it, the first one as the field
    assert invalid.json()["field"] == "buyer.name"
    assert invalid.json()["message"] == "请填写购买方名称、明细"
    assert Invoice.objects.count() == 1
    page = issuer.get("/invoices?size=1&page=1").json()
    assert (page["count"], page["size"], len(page["items"])) == (1, 1, 1)
    pdf = issuer.get(f"/invoices/{body['id']}/files/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_roles_and_revocation(worlds: tuple[World, World]) -> None:
    a, _ = worlds
    auditor = key(a, Role.AUDITOR)
    assert auditor.get("/invoices").status_code == 200
    denied = auditor.post("/invoices", DRAFT)
    assert (denied.status_code, denied.json()["code"]) == (403, "forbidden")
    issued = apikey_create(taxpayer=a.taxpayer, name="erp", role=Role.ISSUER, actor="admin")
    client = Api(issued.plaintext)
    assert client.get("/me").json()["roles"] == ["issuer"]
    apikey_revoke(key=issued.key, actor="admin")
    assert client.get("/me").status_code == 401  # at once, no cache
    assert Api("fpk_nothing_here").get("/me").status_code == 401
    assert Api(issued.plaintext[:-1] + "x").get("/me").status_code == 401


def test_session_login_needs_csrf_for_writes(worlds: tuple[World, World]) -> None:
    a, _ = worlds
    user = user_create(username="kaipiao", password="Str0ng#Pass")
    role_grant(user=user, role=Role.ISSUER, taxpayer=a.taxpayer, actor="admin")
    browser = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get("/api/v1/invoices").status_code == 200
    refused = browser.post("/api/v1/invoices", data=json.dumps(DRAFT),
                           content_type="application/json")  # fmt: skip
    assert refused.status_code == 403
    browser.get("/")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value  # (HttpOnly: pages read it from their forms)
    accepted = browser.post("/api/v1/invoices", data=json.dumps(DRAFT),
                            content_type="application/json", HTTP_X_CSRFTOKEN=token)  # fmt: skip
    assert accepted.status_code == 201, accepted.content


def _paths() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return sorted(
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in schema["paths"].items()
        for method in operations
    )


@pytest.mark.parametrize(("method", "path"), _paths())
def test_no_endpoint_shows_or_changes_another_taxpayers_records(
    worlds: tuple[World, World], method: str, path: str
) -> None:
    a, b = worlds
    owner = key(a, Role.ADMIN)
    blue = owner.post("/invoices", DRAFT).json()
    form = red_form_create(
        blue=Invoice.objects.get(pk=blue["id"]), reason=RedReason.WRONG, raised_by="seller",
        actor="admin",
    )  # fmt: skip
    customer = catalog_save(taxpayer=a.taxpayer, name="customers", data={"name": "甲方客户"},
                            actor="admin")  # fmt: skip
    package = package_make(taxpayer=a.taxpayer, month=timezone.localdate(), actor="admin")
    ticket = owner.post(
        "/tickets",
        {
            "category": "issuing",
            "subject": "甲方的工单",
            "description": "甲方的问题",
            "attachments": [{"name": "a.txt", "content_base64": "5pel5b+X"}],
        },
    ).json()
    alert = alert_raise(Finding("bulk_export", a.taxpayer.pk, "1", 9000, "甲方导出了9000行"),
                        now=timezone.now())  # fmt: skip
    batch = batch_check(taxpayer=a.taxpayer, channel=a.digital, filename="甲方.csv",
                        content="单据号,项目名称\nA1,甲方的明细\n".encode(), options=Options(),
                        actor="admin")  # fmt: skip
    asked = request_submit(taxpayer=a.taxpayer, channel=a.digital, actor="admin",
                           data={**DRAFT, "buyer": {**SPECIAL_BUYER, "name": "甲方的申请"}},
                           request_id="甲方-1")  # fmt: skip
    order = order_create(
        taxpayer=a.taxpayer,
        channel=a.digital,
        order_no="甲方订单",
        lines=DRAFT["lines"],
        kinds=["DIGITAL_ORDINARY"],
        actor="admin",
    ).order
    received = receive_files(
        taxpayer=a.taxpayer,
        files=[("甲方.xml", document_render(Invoice.objects.get(pk=blue["id"]), "xml"))],
        actor="admin",
        via="api",
    ).new[0]
    claimant = user_create(username="甲方报销人", password="Str0ng#Pass")
    role_grant(user=claimant, role=Role.CLAIMANT, taxpayer=a.taxpayer, actor="root")
    claim = claim_create(
        taxpayer=a.taxpayer, claimant=claimant, purpose="甲方的报销事由", invoice_ids=[received.pk]
    )
    values = {"alert_id": alert.pk, "order_id": order.pk, "invoice_id": blue["id"],
              "received_id": received.pk, "claim_id": claim.pk, "action": "submit",
              "number": form.number,
              "batch_id": batch.pk, "what": "errors", "request_pk": asked.pk,
              "item_id": customer.pk,
              "name": "customers", "format": "pdf", "span": "monthly",
              "package_id": package.pk, "ticket_id": ticket["id"],
              "attachment_id": ticket["messages"][0]["attachments"][0]["id"],
              "slug": "forgot-password"}  # fmt: skip
    url = re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), path)
    stranger = key(b, Role.ADMIN)
    bodies = {
        "/invoices": DRAFT,
        "/catalogs/customers": {"name": "乙方客户"},
        f"/tickets/{ticket['id']}/rating": {"rating": 1},
        f"/tickets/{ticket['id']}/replies": {"text": "乙方的回复"},
        f"/risk/alerts/{alert.pk}/status": {"status": "dismissed"},
        f"/requests/{asked.pk}/decision": {"approve": True},
        "/approval-rule": {"mode": "all"},
        f"/received/{received.pk}/correct": {"values": {"total": "1"}},
        "/claims": {"purpose": "乙方", "invoices": [received.pk]},
        "/deductions": {"period": "2026-11-01", "invoices": [received.pk]},
    }
    if method == "GET":
        response = stranger.get(url)
    elif method == "DELETE":
        response = stranger.delete(url)
    else:
        response = stranger.post(url, bodies.get(url, {"reason": "开票有误", "party": "buyer",
                                                       "action": "printed", "blue": blue["id"],
                                                       "email": "x@example.cn"}))  # fmt: skip
    text = response.content.decode("utf-8", "replace")
    if path.startswith(("/support/", "/notices")):
        # support staff's and a person's own sign-in (notices): no taxpayer's key opens them
        assert response.status_code == 401, (method, url, response.status_code, text[:200])
    elif re.search(
        r"{(invoice_id|number|item_id|package_id|ticket_id|alert_id|batch_id|request_pk|order_id"
        r"|received_id|claim_id)}",
        path,
    ):
        assert response.status_code == 404, (method, url, response.status_code, text[:200])
    else:
        assert response.status_code in (200, 201, 202, 400, 403, 404, 422), (
            method,
            url,
            text[:200],
        )
    for secret in (
        blue["number"],
        "甲方客户",
        form.number,
        a.taxpayer.tax_id,
        package.name,
        "甲方的工单",
        "甲方的问题",
        "甲方导出了9000行",
        "甲方的明细",
        "甲方.csv",
        "甲方的申请",
        "甲方-1",
        "甲方订单",
        "甲方的报销事由",
    ):
        assert secret not in text, f"{method} {url} shows {secret}"
    assert Invoice.objects.get(pk=blue["id"]).status == "issued"


def test_the_committed_openapi_schema_matches_the_code() -> None:
    assert COMMITTED.read_text("utf-8") == schema_text(), "run `make openapi` and commit it"
    assert api.get_openapi_schema()["paths"]["/api/v1/invoices"]["post"]["responses"]


def test_catalog_red_form_red_invoice_void_and_history(worlds: tuple[World, World]) -> None:
    a, _ = worlds
    admin = key(a, Role.ADMIN)
    made = admin.post("/catalogs/customers", {"name": "北京华章数据服务有限公司",
                                              "email": "buyer@example.cn"})  # fmt: skip
    assert made.status_code == 201 and made.json()["data"]["email"] == "buyer@example.cn"
    bad = admin.post("/catalogs/products", {"name": "坏", "tax_code": "1", "rate": "6%"})
    assert (bad.status_code, bad.json()["field"]) == (400, "tax_code")
    blue = admin.post("/invoices", DRAFT).json()
    form = admin.post("/red-forms", {"blue": blue["id"], "reason": "销售折让",
                                     "lines": [{"line": 1, "amount": "100.00"}],
                                     "buyer_booked": True})  # fmt: skip
    assert form.status_code == 201 and form.json()["status"] == "pending"
    number = form.json()["number"]
    confirmed = admin.post(f"/red-forms/{number}/confirm", {"party": "buyer"})
    assert confirmed.json()["status"] == "confirmed"
    red = admin.post(f"/invoices/{blue['id']}/red", {"form": number})
    assert (red.status_code, red.json()["total"]) == (201, "-106.00")
    paper = admin.post("/invoices", {**DRAFT, "kind": "VAT_SPECIAL_PAPER", "channel": "税务UKey 1"})
    assert paper.status_code == 201, paper.json()
    voided = admin.post(f"/invoices/{paper.json()['id']}/void", {"reason": "开错"})
    assert voided.json()["status"] == "voided"
    again = admin.post(f"/invoices/{paper.json()['id']}/void", {})
    assert (again.status_code, again.json()["code"]) == (400, "void_refused")
    history = admin.get(f"/invoices/{blue['id']}/events").json()
    assert [e["type"] for e in history] == [
        "invoice.issued", "red_form.created", "invoice.red_flushed",
    ]  # fmt: skip
    link = admin.post(f"/invoices/{blue['id']}/deliver", {"link_days": 7}).json()
    assert link["url"].startswith("http") and "/d/" in link["url"]
