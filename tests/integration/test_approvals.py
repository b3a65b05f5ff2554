"""开票申请 and approval: the taxpayer's rule sends drafts over an amount (or of a kind) to an
approver; approval issues the invoice once, rejection needs a reason; requests, decisions and
the invoice are on the history; the API, the pages and the command line agree."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from fapiao.api.keys import apikey_create
from fapiao.approvals.models import IssueRequest
from fapiao.approvals.services import request_approve, rule_set
from fapiao.core.roles import Role
from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.models import Event, Invoice
from fapiao.notices.models import Notification
from tests.integration.world import make_world, signed_in

pytestmark = pytest.mark.django_db

DRAFT: dict[str, Any] = {
    "kind": "DIGITAL_ORDINARY",
    "channel": "数电",
    "buyer": {"name": "武汉某某有限公司"},
    "lines": [
        {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "10000"}
    ],
}


def _api(world: Any, role: Role) -> tuple[Client, dict[str, str]]:
    made = apikey_create(taxpayer=world.taxpayer, name=role.value, role=role, actor="admin")
    return Client(HTTP_HOST="localhost"), {"HTTP_X_API_KEY": made.plaintext}


def _post(client: Client, headers: dict[str, str], path: str, body: Any) -> Any:
    return client.post(
        f"/api/v1{path}", data=json.dumps(body), content_type="application/json", **headers
    )


def test_a_draft_over_the_amount_waits_for_approval_and_is_issued_once() -> None:
    world = make_world(credit=Decimal("1000000.00"))
    rule_set(taxpayer=world.taxpayer, mode="over", over=Decimal("5000"), kinds=[], actor="admin")
    signed_in(world, Role.FINANCE, "caiwu")  # an approver, told of each request
    client, issuer = _api(world, Role.ISSUER)
    small = _post(
        client, issuer, "/invoices", {**DRAFT, "lines": [{**DRAFT["lines"][0], "amount": "100"}]}
    )
    assert small.status_code == 201  # under the amount: issued at once
    waiting = _post(client, issuer, "/invoices", {**DRAFT, "request_id": "ERP-1"})
    assert waiting.status_code == 202
    asked = waiting.json()["request"]
    assert (asked["status"], asked["request_id"], asked["total"]) == (
        "pending",
        "ERP-1",
        "10600.00",
    )
    assert Invoice.objects.count() == 1
    assert Notification.objects.filter(kind="request", user__username="caiwu").count() == 1
    # the other system sends the same order again: the same request
    again = _post(client, issuer, "/invoices", {**DRAFT, "request_id": "ERP-1"})
    assert again.json()["request"]["id"] == asked["id"]
    other = _post(client, issuer, "/requests", {**DRAFT, "request_id": "ERP-1", "remarks": "x"})
    assert other.status_code == 409

    refused = _post(client, issuer, f"/requests/{asked['id']}/decision", {"approve": True})
    assert refused.status_code == 403  # an issuer submits, an approver decides
    _, finance = _api(world, Role.FINANCE)
    decided = _post(client, finance, f"/requests/{asked['id']}/decision", {"approve": True})
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "issued"
    invoice = Invoice.objects.get(pk=decided.json()["invoice"]["id"])
    assert (invoice.total, invoice.request_id) == (Decimal("10600.00"), f"approval-{asked['id']}")
    twice = _post(client, finance, f"/requests/{asked['id']}/decision", {"approve": True})
    assert twice.status_code == 400
    assert Invoice.objects.count() == 2
    types = list(Event.objects.filter(type__startswith="request.").values_list("type", flat=True))
    assert types == ["request.submitted", "request.approved"]
    assert Event.objects.get(type="request.approved").invoice_id == invoice.pk
    assert ledger_verify(world.taxpayer) == []


def test_rejection_needs_a_reason_and_tells_the_submitter() -> None:
    world = make_world(credit=Decimal("1000000.00"))
    rule_set(
        taxpayer=world.taxpayer, mode="off", over=None, kinds=["DIGITAL_SPECIAL"], actor="admin"
    )
    clerk = signed_in(world, Role.ISSUER, "kaipiao")
    special = {
        **DRAFT,
        "kind": "DIGITAL_SPECIAL",
        "buyer": {
            "name": "江苏苏豪天鹏农产品集团有限公司",
            "tax_id": "9132020013590404XW",
            "address": "无锡市",
            "phone": "0510-81234567",
            "bank": "中国银行",
            "account": "537468912345",
        },
    }
    made = clerk.post("/api/v1/invoices", special, content_type="application/json")
    assert made.status_code == 202  # 专票 always need approval here
    pk = made.json()["request"]["id"]
    approver = signed_in(world, Role.ADMIN, "boss")
    empty = approver.post(f"/requests/{pk}/", {"action": "reject", "reason": " "})
    assert "驳回时请填写原因" in empty.content.decode()
    approver.post(f"/requests/{pk}/", {"action": "reject", "reason": "购买方信息有误"})
    found = IssueRequest.objects.get(pk=pk)
    assert (found.status, found.reason, found.decided_by) == ("rejected", "购买方信息有误", "boss")
    told = Notification.objects.get(kind="request", user__username="kaipiao")
    assert "购买方信息有误" in told.text
    page = clerk.get(f"/requests/{pk}/").content.decode()
    assert "已驳回" in page and "购买方信息有误" in page
    assert Invoice.objects.count() == 0
    # an issuer may not decide, on the page either
    assert clerk.post(f"/requests/{pk}/", {"action": "approve"}).status_code == 404


def test_approval_refused_by_issuing_keeps_the_request_pending_with_the_reason() -> None:
    world = make_world(credit=Decimal("5000.00"))
    rule_set(taxpayer=world.taxpayer, mode="all", over=None, kinds=[], actor="admin")
    client, issuer = _api(world, Role.ISSUER)
    lines = [{**DRAFT["lines"][0], "amount": "3000"}]
    first = _post(client, issuer, "/invoices", {**DRAFT, "lines": lines}).json()["request"]
    second = _post(
        client, issuer, "/invoices", {**DRAFT, "lines": lines, "remarks": "第二张"}
    ).json()["request"]
    request_approve(request=IssueRequest.objects.get(pk=first["id"]), actor="boss")
    with pytest.raises(Exception, match="授信额度"):
        request_approve(request=IssueRequest.objects.get(pk=second["id"]), actor="boss")
    kept = IssueRequest.objects.get(pk=second["id"])
    assert kept.status == "pending" and "授信额度" in kept.message
    assert Invoice.objects.count() == 1


def fapiao(*args: str) -> Any:
    out = io.StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_command_line_sets_the_rule_submits_and_approves(tmp_path: Path) -> None:
    world = make_world(credit=Decimal("1000000.00"))
    assert fapiao("request", "rule", "--mode", "over", "--over", "1000")["over"] == "1000.00"
    path = tmp_path / "draft.json"
    path.write_text(json.dumps(DRAFT), "utf-8")
    waiting = fapiao("issue", "--file", str(path))["request"]  # fapiao issue follows the rule
    assert waiting["status"] == "pending"
    listed = fapiao("request", "list", "--status", "pending")["requests"]
    assert [r["id"] for r in listed] == [waiting["id"]]
    done = fapiao("request", "approve", str(waiting["id"]), "--actor", "boss")
    assert done["status"] == "issued" and done["invoice"]["number"]
    assert Invoice.objects.get().taxpayer_id == world.taxpayer.pk
    other = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161")
    _, stranger = _api(other, Role.ADMIN)
    assert (
        Client(HTTP_HOST="localhost")
        .get(f"/api/v1/requests/{waiting['id']}", **stranger)
        .status_code
        == 404
    )
