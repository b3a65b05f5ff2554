"""The authority in this process: uploads with receipts, offline limits, 查验, reconciliation."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fapiao.authority import checking, keyring, registry
from fapiao.authority.client import EmbeddedClient, HttpClient
from fapiao.authority.models import Receipt, RegistryInvoice, Risk
from fapiao.core.signing import digest, signed_answer_valid
from fapiao.domain.errors import DomainError
from fapiao.domain.lifecycle import RedReason
from fapiao.domain.red import Pick
from fapiao.domain.verification import query_from_inputs
from fapiao.invoicing.corrections import invoice_void
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.keys import sign
from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.models import Channel, Event, Invoice, StockSegment, Upload
from fapiao.invoicing.reconciliation import reconcile, reconcile_repair
from fapiao.invoicing.red_forms import red_form_create
from fapiao.invoicing.red_invoices import invoice_issue_red
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.uploads import _message, device_state, upload_flush
from tests.integration.world import SPECIAL_BUYER, World, make_world

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
LINE = {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%"}
#: nothing listens here: an authority that cannot be reached
DOWN = HttpClient("http://127.0.0.1:9", "token", timeout=0.5)


@pytest.fixture
def world() -> World:
    return make_world(stock=30, credit=None)


def issue(world: World, kind: str, *, at: datetime = NOW, amount: str = "1000") -> Invoice:
    digital = kind.startswith("DIGITAL")
    return invoice_issue(
        taxpayer=world.taxpayer,
        channel=world.digital if digital else world.device,
        draft=parse_draft(
            {
                "kind": kind,
                "buyer": SPECIAL_BUYER,
                "lines": [{**LINE, "amount": amount}],
                "drawer": "周煜敏",
            }
        ),
        request_id=None,
        actor="clerk",
        issued_at=at,
        now=at,
    )


def test_uploads_go_in_order_with_receipts_and_make_invoices_uploaded(world: World) -> None:
    paper = issue(world, "VAT_ORDINARY_PAPER")
    electronic = issue(world, "VAT_ORDINARY_ELECTRONIC")
    digital = issue(world, "DIGITAL_ORDINARY")
    invoice_void(invoice=paper, actor="clerk", now=NOW)
    red = invoice_issue_red(
        blue=electronic,
        actor="clerk",
        reason=RedReason.ALLOWANCE,
        picks=[Pick(0, amount=Decimal("100"))],
        now=NOW,
    )
    assert Upload.objects.filter(answered_at__isnull=True).count() == 5

    flushed = upload_flush(client=EmbeddedClient(), now=NOW)
    assert (flushed.sent, flushed.accepted, flushed.refused) == (5, 5, 0)
    sequences = list(Receipt.objects.order_by("pk").values_list("sequence", flat=True))
    assert sequences == sorted(sequences) and len(sequences) == 5
    key = keyring.public_key()
    for row in Upload.objects.all():
        assert row.accepted and signed_answer_valid(row.answer, key)
    statuses = {str(i): i.status for i in Invoice.objects.all()}
    assert statuses[str(digital)] == "uploaded" and statuses[str(red)] == "uploaded"
    assert statuses[str(paper)] == "voided"
    assert statuses[str(electronic)] == "red_partial"
    registry = {str(r): r for r in RegistryInvoice.objects.all()}
    assert registry[str(paper)].status == "作废"
    assert registry[str(electronic)].status == "红冲"
    assert registry[str(electronic)].red_total == Decimal("106.00")
    assert registry[str(digital)].status == "正常"
    assert reconcile(world.taxpayer, client=EmbeddedClient()) == []
    assert ledger_verify(world.taxpayer) == []
    assert upload_flush(client=EmbeddedClient(), now=NOW).sent == 0


def test_the_same_upload_twice_is_one_record_and_a_conflict_is_a_risk(world: World) -> None:
    issue(world, "VAT_ORDINARY_ELECTRONIC")
    row = Upload.objects.get()
    message = _message(row)
    tax_id, name = world.taxpayer.tax_id, world.taxpayer.name
    first = registry.receive(tax_id=tax_id, name=name, uploads=[message])
    again = registry.receive(tax_id=tax_id, name=name, uploads=[message])
    assert first == again and first[0]["accepted"]
    assert RegistryInvoice.objects.count() == 1 and Receipt.objects.count() == 1

    forged: dict[str, Any] = copy.deepcopy(message)
    forged["sequence"] = message["sequence"] + 1
    forged["invoice"]["content"]["total"] = "9999.00"  # same number, other content
    answer = registry.receive(tax_id=tax_id, name=name, uploads=[forged])[0]
    assert not answer["accepted"] and "签名无效" in answer["error"]

    # a correctly signed other invoice under a registered number: the conflict itself
    second = issue(world, "VAT_ORDINARY_ELECTRONIC")
    other = _message(Upload.objects.get(invoice=second))
    other["invoice"]["content"]["number"] = message["invoice"]["content"]["number"]
    other["sequence"] = message["sequence"] + 2
    answer = registry.receive(tax_id=tax_id, name=name, uploads=[other])[0]
    assert not answer["accepted"]
    assert [r.kind for r in Risk.objects.all()] == ["bad_signature", "bad_signature"]
    assert RegistryInvoice.objects.count() == 1


def test_a_conflicting_signed_upload_is_refused_and_raised_as_a_risk(world: World) -> None:
    first = issue(world, "VAT_ORDINARY_ELECTRONIC")
    upload_flush(client=EmbeddedClient(), now=NOW)
    # the same number arrives again with other content, validly signed by the taxpayer's key
    message = _message(Upload.objects.get(invoice=first))
    message["sequence"] += 10
    message["invoice"]["content"]["remarks"] = "改过的备注"
    message["invoice"]["signature"] = sign(
        first.signing_key, digest(message["invoice"]["content"]).encode()
    )
    answer = registry.receive(
        tax_id=world.taxpayer.tax_id, name=world.taxpayer.name, uploads=[message]
    )[0]
    assert not answer["accepted"] and "已登记为内容不同的发票" in answer["error"]
    risk = Risk.objects.get()
    assert risk.kind == "conflicting_upload" and risk.detail["number"] == first.number


def test_offline_limits_refuse_while_uploads_wait_and_resume_after(world: World) -> None:
    # the test world's device allows 1,000,000.00 offline and 72 hours
    issue(world, "VAT_ORDINARY_ELECTRONIC", amount="99999.99")
    for _ in range(9):
        issue(world, "VAT_ORDINARY_ELECTRONIC", amount="99999.99")
    assert upload_flush(client=DOWN, now=NOW).unreachable  # the authority is down
    waiting = Channel.objects.get(pk=world.device.pk).waiting_amount
    state = device_state(world.device.pk, "VAT_ORDINARY_ELECTRONIC")
    assert waiting == Decimal("999999.90") == state.waiting_amount
    assert state.oldest_waiting == NOW and state.monitoring is not None
    before = (Invoice.objects.count(), Event.objects.count(), Upload.objects.count())
    numbers = list(StockSegment.objects.values_list("next_number", flat=True))
    with pytest.raises(DomainError, match="超过离线限额") as refused:
        issue(world, "VAT_ORDINARY_ELECTRONIC", amount="100.00")
    assert refused.value.field == "channel"
    assert (Invoice.objects.count(), Event.objects.count(), Upload.objects.count()) == before
    assert list(StockSegment.objects.values_list("next_number", flat=True)) == numbers
    # the 数电 channel has no offline limits
    issue(world, "DIGITAL_ORDINARY", amount="100.00")

    later = NOW + timedelta(hours=73)
    with pytest.raises(DomainError, match="超过离线时长"):
        issue(world, "VAT_ORDINARY_ELECTRONIC", at=later, amount="1.00")

    assert upload_flush(client=EmbeddedClient(), now=NOW + timedelta(minutes=1)).accepted == 11
    assert Channel.objects.get(pk=world.device.pk).waiting_amount == 0
    state = device_state(world.device.pk, "VAT_ORDINARY_ELECTRONIC")
    assert (state.oldest_waiting, state.waiting_amount) == (None, Decimal(0))
    issue(world, "VAT_ORDINARY_ELECTRONIC", at=later, amount="100.00")


def test_an_unreachable_authority_waits_with_a_growing_pause(world: World) -> None:
    issue(world, "VAT_ORDINARY_ELECTRONIC")
    assert upload_flush(client=DOWN, now=NOW).unreachable
    # within the pause nothing is tried, not even with a reachable authority
    assert upload_flush(client=EmbeddedClient(), now=NOW + timedelta(seconds=1)).sent == 0
    row = Upload.objects.get()
    assert row.answered_at is None and "无法连接" in row.last_error
    assert upload_flush(client=EmbeddedClient(), now=NOW + timedelta(seconds=3)).accepted == 1


def test_reconciliation_finds_a_registry_record_altered_by_hand(world: World) -> None:
    first = issue(world, "VAT_ORDINARY_ELECTRONIC")
    second = issue(world, "VAT_SPECIAL_PAPER")
    upload_flush(client=EmbeddedClient(), now=NOW)
    assert reconcile(world.taxpayer, client=EmbeddedClient()) == []

    RegistryInvoice.objects.filter(number=first.number, code=first.code).update(
        total=Decimal("1.00")
    )
    record = RegistryInvoice.objects.get(number=second.number, code=second.code)
    record.content = json.dumps({**record.facts(), "remarks": "被改过"}, ensure_ascii=False)
    record.save()
    found = {d.invoice: d for d in reconcile(world.taxpayer, client=EmbeddedClient())}
    assert found[str(first)].what == "内容不一致" and "total" in found[str(first)].detail
    assert found[str(second)].what == "内容不一致"
    assert not any(d.repairable for d in found.values())


def test_every_upload_carries_the_whole_invoice_so_a_void_restores_a_lost_record(
    world: World,
) -> None:
    invoice = issue(world, "VAT_ORDINARY_PAPER")
    upload_flush(client=EmbeddedClient(), now=NOW)
    registered = RegistryInvoice.objects.get()
    Receipt.objects.filter(invoice=registered).update(invoice=None)
    registered.delete()  # the authority lost it
    invoice_void(invoice=invoice, actor="clerk", now=NOW)  # waits in the outbox: not counted
    assert reconcile(world.taxpayer, client=EmbeddedClient()) == []
    upload_flush(client=EmbeddedClient(), now=NOW)
    assert RegistryInvoice.objects.get().status == "作废"
    assert reconcile(world.taxpayer, client=EmbeddedClient()) == []


def _check(world: World, invoice: Invoice, client: str = "198.51.100.7", **inputs: Any) -> Any:
    base = {"code": invoice.code, "number": invoice.number, "issued_on": str(invoice.issued_on)}
    return checking.verify_inputs({**base, **inputs}, client=client)


def test_verify_each_kind_each_wrong_field_each_status_and_the_sixth_check(world: World) -> None:
    special = issue(world, "VAT_SPECIAL_PAPER")
    ordinary = issue(world, "VAT_ORDINARY_ELECTRONIC")
    digital = issue(world, "DIGITAL_SPECIAL")
    paper = issue(world, "VAT_ORDINARY_PAPER")
    invoice_void(invoice=paper, actor="clerk", now=NOW)
    form = red_form_create(
        blue=digital, reason=RedReason.WRONG, raised_by="seller", actor="clerk", now=NOW
    )
    invoice_issue_red(blue=digital, actor="clerk", form=form, now=NOW)
    upload_flush(client=EmbeddedClient(), now=NOW)
    key = keyring.public_key()

    answer = _check(world, special, amount="1000.00")
    assert (answer["outcome"], answer["status"], answer["signature_valid"]) == (
        "一致",
        "正常",
        True,
    )
    assert answer["invoice"]["number"] == special.number
    assert signed_answer_valid(answer, key)
    assert _check(world, special, amount="1000.01")["field"] == "amount"
    assert _check(world, special, amount="1000.00", issued_on="2026-11-19")["field"] == "issued_on"

    assert _check(world, ordinary, check6=ordinary.check_code[-6:])["outcome"] == "一致"
    wrong = "000000" if ordinary.check_code[-6:] != "000000" else "111111"
    mismatch = _check(world, ordinary, check6=wrong)
    assert (mismatch["outcome"], mismatch["field"]) == ("不一致", "check6")
    assert "校验码" in mismatch["message"] and mismatch["invoice"] is None

    assert _check(world, digital, total="1060.00")["status"] == "红冲"
    assert _check(world, digital, total="1059.00")["field"] == "total"
    assert _check(world, paper, check6=paper.check_code[-6:])["status"] == "作废"

    # by the QR payload, as scanned
    by_qr = checking.verify_inputs({"qr": ordinary.qr}, client="198.51.100.8")
    assert by_qr["outcome"] == "一致"
    # ordinary has now been checked 3 times (2 typed, 1 by QR): the 4th and 5th pass, not the 6th
    assert _check(world, ordinary, check6=wrong)["checks_today"] == 4
    assert _check(world, ordinary, check6=wrong)["checks_today"] == 5
    sixth = _check(world, ordinary, client="203.0.113.9", check6=ordinary.check_code[-6:])
    assert sixth["outcome"] == "超过查验次数"
    assert sixth["message"] == "超过该张发票当天查验次数(请于次日再次查验)"
    # the count is per natural day in Asia/Shanghai
    tomorrow = datetime.now(SHANGHAI) + timedelta(days=1)
    query = query_from_inputs({"qr": ordinary.qr})
    assert checking.check(query, client="x", now=tomorrow).outcome.value == "一致"

    missing = _check(world, special, number="99999999", amount="1000.00")
    assert missing["outcome"] == "查无此票"
    with pytest.raises(DomainError, match="请输入不含税金额") as caught:
        _check(world, special)
    assert caught.value.field == "amount"


def test_many_misses_from_one_client_are_refused(world: World, settings: Any) -> None:
    settings.FAPIAO_VERIFY_MISSES_PER_HOUR = 3
    invoice = issue(world, "VAT_SPECIAL_PAPER")
    upload_flush(client=EmbeddedClient(), now=NOW)
    for number in range(1, 4):
        answer = _check(world, invoice, number=f"{number:08d}", amount="1000.00")
        assert answer["outcome"] == "查无此票"
    with pytest.raises(checking.TooManyMisses, match="查验过于频繁"):
        _check(world, invoice, amount="1000.00")
    # another client is not affected
    assert _check(world, invoice, client="192.0.2.1", amount="1000.00")["outcome"] == "一致"


def test_reconcile_repair_sends_a_lost_record_again(world: World) -> None:
    invoice = issue(world, "VAT_ORDINARY_ELECTRONIC")
    upload_flush(client=EmbeddedClient(), now=NOW)
    record = RegistryInvoice.objects.get()
    Receipt.objects.filter(invoice=record).update(invoice=None)
    record.delete()
    found = reconcile(world.taxpayer, client=EmbeddedClient())
    assert [(d.invoice, d.what, d.repairable) for d in found] == [
        (str(invoice), "税务机关无记录", True)
    ]
    assert reconcile_repair(world.taxpayer, found, actor="admin") == 1
    assert upload_flush(client=EmbeddedClient(), now=NOW).accepted == 1
    assert reconcile(world.taxpayer, client=EmbeddedClient()) == []
    assert ledger_verify(world.taxpayer) == []


class ForgingAuthority(EmbeddedClient):
    """An authority whose receipts were altered on the way: their signatures (and the
    batch's) do not verify."""

    def upload(self, **kwargs: Any) -> dict[str, Any]:
        reply = super().upload(**kwargs)
        return {**reply, "answers": [{**answer, "status": "正常 "} for answer in reply["answers"]]}


class HalfForgingAuthority(EmbeddedClient):
    """Only the first receipt of each batch was altered: the batch's signature fails, the
    other receipts still verify one by one."""

    def upload(self, **kwargs: Any) -> dict[str, Any]:
        reply = super().upload(**kwargs)
        first, *rest = reply["answers"]
        return {**reply, "answers": [{**first, "status": "正常 "}, *rest]}


def test_a_receipt_that_does_not_verify_leaves_the_upload_waiting(world: World) -> None:
    invoice = issue(world, "VAT_ORDINARY_ELECTRONIC")
    assert upload_flush(client=ForgingAuthority(), now=NOW).accepted == 0
    # full batches that get no valid answer end the round instead of being sent forever
    assert upload_flush(client=ForgingAuthority(), now=NOW, batch=1, force=True).sent == 0
    row = Upload.objects.get()
    assert row.answered_at is None and "回执签名无效" in row.last_error
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"
    # sent again to an honest authority: the same (kept) answer, now verified
    assert upload_flush(client=EmbeddedClient(), now=NOW).accepted == 1


def test_a_batch_with_one_forged_receipt_keeps_the_others(world: World) -> None:
    first, second, third = (issue(world, "VAT_ORDINARY_ELECTRONIC") for _ in range(3))
    assert upload_flush(client=HalfForgingAuthority(), now=NOW).accepted == 2
    statuses = dict(Invoice.objects.values_list("pk", "status"))
    assert [statuses[i.pk] for i in (first, second, third)] == ["issued", "uploaded", "uploaded"]
    assert Upload.objects.filter(answered_at__isnull=True).get().invoice_id == first.pk


def test_the_authority_signs_each_batch_reply_as_a_whole(world: World) -> None:
    issue(world, "VAT_ORDINARY_ELECTRONIC")
    client = EmbeddedClient()
    message = _message(Upload.objects.select_related("invoice").get())
    reply = client.upload(tax_id=world.taxpayer.tax_id, name=world.taxpayer.name,
                          uploads=[message])  # fmt: skip
    key = client.public_key()
    assert signed_answer_valid(reply, key) and signed_answer_valid(reply["answers"][0], key)
    assert not signed_answer_valid({**reply, "answers": []}, key)
    assert Receipt.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "inputs"),
    [
        ("VAT_SPECIAL_PAPER", {"amount": "1000.00"}),
        ("VAT_SPECIAL_ELECTRONIC", {"amount": "1000.00"}),
        ("VAT_ORDINARY_PAPER", {"check6": None}),
        ("VAT_ORDINARY_ELECTRONIC", {"check6": None}),
        ("DIGITAL_SPECIAL", {"total": "1060.00"}),
        ("DIGITAL_ORDINARY", {"total": "1060.00"}),
    ],
)
def test_verify_matches_every_kind_by_its_own_inputs(
    world: World, kind: str, inputs: dict[str, Any]
) -> None:
    invoice = issue(world, kind)
    upload_flush(client=EmbeddedClient(), now=NOW)
    if "check6" in inputs:
        inputs = {"check6": invoice.check_code[-6:]}
    answer = _check(world, invoice, **inputs)
    assert (answer["outcome"], answer["status"], answer["signature_valid"]) == (
        "一致",
        "正常",
        True,
    )
    assert answer["invoice"]["kind"] == kind
    assert checking.verify_inputs({"qr": invoice.qr}, client="qr")["outcome"] == "一致"
