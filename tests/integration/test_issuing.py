"""Issuing through the service on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import ChannelType, InvoiceKind
from fapiao.domain.qr import parse_qr
from fapiao.domain.rates import TaxpayerKind
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.errors import (
    FUTURE_MESSAGE,
    NO_MONITORING_MESSAGE,
    NO_STOCK_MESSAGE,
    IdempotencyConflict,
)
from fapiao.invoicing.keys import verify
from fapiao.invoicing.ledger import invoice_digest, ledger_verify
from fapiao.invoicing.models import (
    CreditUse,
    DigitalBlock,
    Event,
    Invoice,
    InvoiceLine,
    Monitoring,
    SigningKey,
    StockSegment,
    Taxpayer,
)
from fapiao.invoicing.selectors import credit_used
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.taxpayers import (
    channel_create,
    monitoring_set,
    taxpayer_create,
    taxpayer_update,
)
from tests.integration.world import SPECIAL_BUYER, make_world

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 30, tzinfo=SH)
D = Decimal
CODE = "032002600111"

DRAFT: dict[str, Any] = {
    "kind": "VAT_ORDINARY_ELECTRONIC",
    "mode": "inclusive",
    "buyer": {"name": "江苏苏豪天鹏农产品集团有限公司", "tax_id": "9132020013590404XW"},
    "lines": [
        {
            "name": "软件开发服务",
            "tax_code": "3040201010000000000",
            "rate": "6%",
            "amount": "1060.00",
        },
        {
            "name": "培训费",
            "tax_code": "3070201020000000000",
            "rate": "0.06",
            "quantity": "2",
            "unit_price": "250",
        },
    ],
    "drawer": "周煜敏",
}


@pytest.fixture
def setup() -> tuple[Taxpayer, Any, Any]:
    world = make_world()
    return world.taxpayer, world.device, world.digital


def segment() -> StockSegment:
    return StockSegment.objects.get(kind=InvoiceKind.VAT_ORDINARY_ELECTRONIC)


def issue(
    setup: tuple[Taxpayer, Any, Any],
    data: dict[str, Any] | None = None,
    request_id: str | None = None,
    channel: Any = None,
    at: datetime = NOW,
) -> Invoice:
    taxpayer, device, _ = setup
    return invoice_issue(
        taxpayer=taxpayer,
        channel=channel or device,
        draft=parse_draft(data or DRAFT),
        request_id=request_id,
        actor="clerk",
        issued_at=at,
        now=at,
    )


def test_issue_stores_numbers_totals_qr_and_event(setup: tuple[Taxpayer, Any, Any]) -> None:
    invoice = issue(setup)
    assert (invoice.code, invoice.number) == (CODE, "00001001")
    assert (invoice.amount, invoice.tax, invoice.total) == (D("1471.70"), D("88.30"), D("1560.00"))
    assert invoice.issued_on == date(2026, 11, 23)
    assert len(invoice.check_code) == 20
    qr = parse_qr(invoice.qr)
    assert (qr.code, qr.number, qr.amount, qr.crc_valid) == (
        CODE,
        "00001001",
        D("1471.70"),
        True,
    )
    lines = list(InvoiceLine.objects.filter(invoice=invoice))
    assert [(x.short_name, x.amount, x.tax) for x in lines] == [
        ("信息技术服务", D("1000.00"), D("60.00")),
        ("非学历教育服务", D("471.70"), D("28.30")),
    ]
    assert Event.objects.filter(invoice=invoice, type="invoice.issued").count() == 1
    assert ledger_verify(setup[0]) == []


@pytest.mark.parametrize(
    ("channel_at", "kind"), [(1, DRAFT["kind"]), (2, "DIGITAL_ORDINARY")], ids=["device", "digital"]
)
def test_a_profile_changed_before_the_lock_is_the_one_issued_with(
    setup: tuple[Taxpayer, Any, Any], channel_at: int, kind: str
) -> None:
    # the caller's taxpayer was read before the profile changed: the draft is made again from
    # the locked row, and the lines made (and on PostgreSQL written) before the lock are
    # replaced, not doubled
    stale = setup[0]
    taxpayer_update(taxpayer=stale, actor="admin", changes={"name": "湖北某某科技股份有限公司"})
    invoice = issue(setup, {**DRAFT, "kind": kind}, channel=setup[channel_at])
    assert invoice.seller["name"] == "湖北某某科技股份有限公司"
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.seller["name"] == "湖北某某科技股份有限公司"
    assert [line.index for line in stored.lines.order_by("index")] == [0, 1]
    assert ledger_verify(stale) == []


def test_a_kind_changed_before_the_lock_refuses_what_it_no_longer_allows(
    setup: tuple[Taxpayer, Any, Any],
) -> None:
    stale = setup[0]  # still a general taxpayer in memory: 6 % passes before the lock
    taxpayer_update(taxpayer=stale, actor="admin", changes={"kind": "small"})
    events, next_number = Event.objects.count(), segment().next_number
    with pytest.raises(DomainError) as caught:
        issue(setup)
    assert caught.value.field == "lines.0.rate"
    assert (Invoice.objects.count(), InvoiceLine.objects.count()) == (0, 0)
    assert (Event.objects.count(), segment().next_number) == (events, next_number)


def test_another_taxpayers_channel_is_refused_and_consumes_nothing(
    setup: tuple[Taxpayer, Any, Any],
) -> None:
    stranger = taxpayer_create(
        name="湖北某某有限公司", tax_id="9132020013590404XW", kind=TaxpayerKind.GENERAL,
        region="42", actor="admin",
    )  # fmt: skip
    theirs = channel_create(taxpayer=stranger, type=ChannelType.DIGITAL, name="数电", actor="admin")
    before = (Invoice.objects.count(), InvoiceLine.objects.count(), Event.objects.count())
    with pytest.raises(DomainError) as caught:
        issue(setup, {**DRAFT, "kind": "DIGITAL_ORDINARY"}, channel=theirs)
    assert caught.value.field == "channel"
    assert (Invoice.objects.count(), InvoiceLine.objects.count(), Event.objects.count()) == before
    assert not DigitalBlock.objects.filter(channel=theirs).exists()


def test_numbers_are_gapless_and_stock_runs_out(setup: tuple[Taxpayer, Any, Any]) -> None:
    numbers = [issue(setup).number for _ in range(3)]
    assert numbers == ["00001001", "00001002", "00001003"]
    events = Event.objects.count()
    with pytest.raises(DomainError, match=NO_STOCK_MESSAGE):
        issue(setup)
    assert Event.objects.count() == events
    assert segment().next_number == 1004


def test_refusal_consumes_nothing(setup: tuple[Taxpayer, Any, Any]) -> None:
    bad = copy.deepcopy(DRAFT)
    bad["lines"][1]["tax"] = "9.99"
    before = (
        Invoice.objects.count(),
        Event.objects.count(),
        segment().next_number,
    )
    with pytest.raises(DomainError) as caught:
        issue(setup, bad)
    assert caught.value.field == "lines.1.tax"
    with pytest.raises(DomainError, match=FUTURE_MESSAGE):
        invoice_issue(
            taxpayer=setup[0],
            channel=setup[1],
            draft=parse_draft(DRAFT),
            request_id=None,
            actor="clerk",
            issued_at=NOW + timedelta(minutes=1),
            now=NOW,
        )
    after = (Invoice.objects.count(), Event.objects.count(), segment().next_number)
    assert after == before
    assert issue(setup).number == "00001001"


def test_request_id_makes_issuing_idempotent(setup: tuple[Taxpayer, Any, Any]) -> None:
    first = issue(setup, request_id="order-42")
    again = issue(setup, request_id="order-42")
    assert again.pk == first.pk
    assert Invoice.objects.count() == 1
    changed = copy.deepcopy(DRAFT)
    changed["remarks"] = "不同的内容"
    with pytest.raises(IdempotencyConflict):
        issue(setup, changed, request_id="order-42")
    assert Invoice.objects.count() == 1
    assert segment().next_number == 1002


def test_digital_numbers_and_credit_line(setup: tuple[Taxpayer, Any, Any]) -> None:
    data = {**DRAFT, "kind": "DIGITAL_ORDINARY"}
    first = issue(setup, data, channel=setup[2])
    second = issue(setup, data, channel=setup[2])
    assert (first.code, first.number, second.number) == (
        "",
        "26320000000000000001",
        "26320000000000000002",
    )
    assert parse_qr(first.qr).amount == D("1560.00")  # 数电 QR carries 价税合计
    with pytest.raises(DomainError, match="超过授信额度"):
        issue(setup, data, channel=setup[2])  # 1471.70 more than the 1056.60 left
    assert Invoice.objects.filter(channel=setup[2]).count() == 2


def test_credit_use_is_kept_per_shanghai_month(setup: tuple[Taxpayer, Any, Any]) -> None:
    data = {**DRAFT, "kind": "DIGITAL_ORDINARY"}
    issue(setup, data, channel=setup[2])
    december = datetime(2026, 12, 1, 0, 5, tzinfo=SH)  # still 30 November in UTC
    issue(setup, data, channel=setup[2], at=december)
    issue(setup, data, channel=setup[2], at=december)  # December has its own credit line
    kept = {use.month: use.used for use in CreditUse.objects.filter(channel=setup[2])}
    assert kept == {date(2026, 11, 1): D("1471.70"), date(2026, 12, 1): D("2943.40")}
    assert credit_used(setup[2], date(2026, 12, 1)) == D("2943.40")
    assert credit_used(setup[2], date(2027, 1, 1)) == 0


def test_kind_must_match_the_channel(setup: tuple[Taxpayer, Any, Any]) -> None:
    with pytest.raises(DomainError, match="不能通过该开票渠道开具"):
        issue(setup, {**DRAFT, "kind": "DIGITAL_ORDINARY"})


def test_ledger_verify_finds_tampering(setup: tuple[Taxpayer, Any, Any]) -> None:
    invoice = issue(setup)
    issue(setup)
    Invoice.objects.filter(pk=invoice.pk).update(total=D("1.00"))
    assert [p.what for p in ledger_verify(setup[0])] == ["发票内容被修改", "数字签名无效"]
    signature = invoice.signature
    forged = ("B" if signature[0] == "A" else "A") + signature[1:]
    Invoice.objects.filter(pk=invoice.pk).update(total=D("1560.00"), signature=forged)
    assert [p.what for p in ledger_verify(setup[0])] == ["数字签名无效"]
    Invoice.objects.filter(pk=invoice.pk).update(signature=signature, status="voided")
    assert [p.what for p in ledger_verify(setup[0])] == ["发票状态与事件记录不一致"]
    Invoice.objects.filter(pk=invoice.pk).update(status="issued")
    assert ledger_verify(setup[0]) == []
    Event.objects.filter(taxpayer=setup[0], sequence=2).delete()
    problems = [p.what for p in ledger_verify(setup[0])]
    assert "缺少事件#2" in problems and "与前一事件的哈希不衔接" in problems


def _with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(DRAFT)
    for path, value in changes.items():
        target = data
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_with(kind="VAT_SPECIAL_PAPER", buyer={"name": "张三", "individual": True}),
         "buyer.individual", "消费者个人"),
        (_with(kind="VAT_SPECIAL_PAPER", buyer=SPECIAL_BUYER, lines__0__rate="免税"),
         "lines.0.rate", "免税"),
        (_with(kind="VAT_SPECIAL_PAPER", buyer={"name": "某公司", "tax_id": "9132020013590404XW"}),
         "buyer.address", "地址"),
        (_with(lines__0__rate="3%"), "lines.0.tax", None),
        (_with(buyer={"name": "某" * 101}), "buyer.name", "不能超过100个字符"),
        (_with(remarks="备" * 201), "remarks", "不能超过200个字符"),
        (_with(lines__0__tax_code="304020101", lines__0__short_name="信息技术服务"),
         "lines.0.tax_code", "19位"),
        (_with(lines__0__amount="1000000"), "lines", "超过单张发票开票限额"),
        (_with(kind="VAT_ORDINARY_PAPER", lines__0__tax_code="3050100000000000000",
               lines__0__name="建筑服务"), "remarks", "建筑服务"),
        (_with(lines__1__quantity="-2"), "lines.1.amount", "金额必须大于0"),
        (_with(lines__1__unit_price="-250"), "lines.1.unit_price", "单价必须大于0"),
        (_with(kind="DIGITAL_ORDINARY"), "channel", "不能通过该开票渠道开具"),
    ],
)  # fmt: skip
def test_every_rule_refuses_with_its_message_and_consumes_nothing(
    setup: tuple[Taxpayer, Any, Any], data: dict[str, Any], field: str, message: str | None
) -> None:
    if field == "lines.0.tax":  # a caller's tax that is off by more than 0.06
        data["mode"] = "exclusive"
        data["lines"][0]["tax"] = "30.07"
        message = "相差超过0.06元"
    before = (
        Invoice.objects.count(),
        Event.objects.count(),
        list(StockSegment.objects.order_by("pk").values_list("next_number", flat=True)),
    )
    with pytest.raises(DomainError) as caught:
        issue(setup, data)
    assert caught.value.field == field
    assert message is not None and message in caught.value.message
    after = (
        Invoice.objects.count(),
        Event.objects.count(),
        list(StockSegment.objects.order_by("pk").values_list("next_number", flat=True)),
    )
    assert after == before


def test_a_device_past_its_lock_date_refuses_until_cleared(
    setup: tuple[Taxpayer, Any, Any],
) -> None:
    late = datetime(2026, 12, 16, 9, 0, tzinfo=SH)
    with pytest.raises(DomainError, match="超过开票截止日期") as caught:
        issue(setup, at=late)
    assert caught.value.field == "channel"
    assert Invoice.objects.count() == 0
    monitoring_set(
        channel=setup[1],
        kind=InvoiceKind.VAT_ORDINARY_ELECTRONIC,
        lock_date=date(2027, 1, 15),
        single_limit=D("99999.99"),
        offline_hours=72,
        offline_amount=D("1000000.00"),
        source="清卡回写",
        actor="authority",
    )
    invoice = issue(setup, at=late)
    assert invoice.number == "00001001"


def test_a_kind_the_device_was_not_issued_for_is_refused(
    setup: tuple[Taxpayer, Any, Any],
) -> None:
    Monitoring.objects.filter(kind=InvoiceKind.VAT_ORDINARY_ELECTRONIC).delete()
    with pytest.raises(DomainError, match=NO_MONITORING_MESSAGE):
        issue(setup)
    assert segment().next_number == 1001


def test_every_invoice_is_signed_with_the_taxpayers_key(setup: tuple[Taxpayer, Any, Any]) -> None:
    invoice = issue(setup)
    key = invoice.signing_key
    assert key.algorithm == "ed25519" and key.taxpayer_id == setup[0].pk
    assert verify(key, invoice_digest(invoice).encode(), invoice.signature)
    assert not verify(key, invoice_digest(invoice).encode()[:-1], invoice.signature)
    # the private key is sealed: its stored bytes are not the raw 32-byte key
    assert len(bytes(key.private_key)) == 12 + 32 + 16
    other = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161")
    other_key = SigningKey.objects.get(taxpayer=other.taxpayer)
    assert not verify(other_key, invoice_digest(invoice).encode(), invoice.signature)
