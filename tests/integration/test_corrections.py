"""Void, red-letter forms and red invoices, print/deliver marks (DOMAIN §6)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum

from fapiao.domain.errors import DomainError
from fapiao.domain.lifecycle import (
    VOID_KIND_MESSAGE,
    VOID_MONTH_MESSAGE,
    VOID_REPORTED_MESSAGE,
    Action,
    RedReason,
)
from fapiao.domain.qr import parse_qr
from fapiao.domain.red import Pick
from fapiao.invoicing.corrections import BUYER, SELLER, invoice_mark, invoice_void
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.models import Channel, Event, Invoice, RedForm, StockSegment
from fapiao.invoicing.red_forms import (
    red_form_cancel,
    red_form_confirm,
    red_form_create,
    red_forms_round,
)
from fapiao.invoicing.red_invoices import invoice_issue_red
from fapiao.invoicing.selectors import credit_used
from fapiao.invoicing.services import invoice_issue
from tests.integration.world import SPECIAL_BUYER, World, make_world

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 30, tzinfo=SH)
D = Decimal
LINES = [
    {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "1000"},
    {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "-100",
     "discount": True},
    {"name": "培训费", "tax_code": "3070201020000000000", "rate": "6%", "quantity": "4",
     "unit_price": "250"},
]  # fmt: skip


@pytest.fixture
def world() -> World:
    return make_world(credit=None)


def blue(world: World, kind: str, *, at: datetime = NOW, channel: Channel | None = None) -> Any:
    digital = kind.startswith("DIGITAL")
    return invoice_issue(
        taxpayer=world.taxpayer,
        channel=channel or (world.digital if digital else world.device),
        draft=parse_draft(
            {"kind": kind, "buyer": SPECIAL_BUYER, "lines": LINES, "drawer": "周煜敏"}
        ),
        request_id=None,
        actor="clerk",
        issued_at=at,
        now=at,
    )


def snapshot() -> tuple[int, ...]:
    return (
        Invoice.objects.count(),
        Event.objects.count(),
        RedForm.objects.count(),
        *StockSegment.objects.order_by("pk").values_list("next_number", flat=True),
    )


def refused(call: Any, message: str, field: str | None = None) -> DomainError:
    before = snapshot()
    with pytest.raises(DomainError, match=message) as caught:
        call()
    assert snapshot() == before, "a refusal must leave nothing changed"
    if field is not None:
        assert caught.value.field == field
    return caught.value


def test_void_a_paper_invoice_this_month(world: World) -> None:
    invoice = blue(world, "VAT_ORDINARY_PAPER")
    voided = invoice_void(invoice=invoice, actor="clerk", reason="开错购买方", now=NOW)
    assert voided.status == "voided"
    event = Event.objects.get(invoice=invoice, type="invoice.voided")
    assert (event.payload["status"], event.payload["reason"]) == ("voided", "开错购买方")
    refused(lambda: invoice_void(invoice=invoice, actor="clerk", now=NOW), "发票已作废，不能作废")
    refused(
        lambda: invoice_issue_red(blue=invoice, actor="clerk", reason=RedReason.RETURN, now=NOW),
        "发票已作废",
    )
    # the voided number stays used: the next invoice takes the next number
    assert int(blue(world, "VAT_ORDINARY_PAPER").number) == int(invoice.number) + 1
    assert ledger_verify(world.taxpayer) == []


def test_void_rules(world: World) -> None:
    electronic = blue(world, "VAT_ORDINARY_ELECTRONIC")
    refused(
        lambda: invoice_void(invoice=electronic, actor="clerk", now=NOW), VOID_KIND_MESSAGE, "kind"
    )
    digital = blue(world, "DIGITAL_ORDINARY")
    refused(lambda: invoice_void(invoice=digital, actor="clerk", now=NOW), VOID_KIND_MESSAGE)
    paper = blue(world, "VAT_SPECIAL_PAPER")
    next_month = datetime(2026, 12, 1, 9, 0, tzinfo=SH)
    refused(
        lambda: invoice_void(invoice=paper, actor="clerk", now=next_month),
        VOID_MONTH_MESSAGE,
        "issued_on",
    )
    Channel.objects.filter(pk=world.device.pk).update(reported_through=date(2026, 11, 23))
    refused(lambda: invoice_void(invoice=paper, actor="clerk", now=NOW), VOID_REPORTED_MESSAGE)


def test_plain_red_full_and_partial_never_beyond_the_blue(world: World) -> None:
    invoice = blue(world, "VAT_ORDINARY_ELECTRONIC")
    assert invoice.total == D("2014.00")
    refused(
        lambda: invoice_issue_red(blue=invoice, actor="clerk", now=NOW), "请选择红冲原因", "reason"
    )
    refused(
        lambda: invoice_issue_red(
            blue=invoice, actor="clerk", reason=RedReason.WRONG, picks=[Pick(2)], now=NOW
        ),
        "开票有误只能全额红冲",
    )
    first = invoice_issue_red(
        blue=invoice,
        actor="clerk",
        reason=RedReason.RETURN,
        picks=[Pick(2, quantity=D("1"))],
        now=NOW,
    )
    assert (first.red, first.blue_id, first.red_reason) == (True, invoice.pk, "销货退回")
    assert (first.amount, first.tax, first.total) == (D("-250.00"), D("-15.00"), D("-265.00"))
    assert first.remarks == f"对应正数发票代码:{invoice.code}号码:{invoice.number}"
    assert int(first.number) == int(invoice.number) + 1  # a red takes the next number
    assert parse_qr(first.qr).amount == D("-250.00")
    invoice.refresh_from_db()
    assert invoice.status == "red_partial"
    refused(
        lambda: invoice_issue_red(
            blue=invoice, actor="clerk", reason=RedReason.RETURN,
            picks=[Pick(2, quantity=D("3.01"))], now=NOW,
        ),
        "不超过剩余数量3",
    )  # fmt: skip
    rest = invoice_issue_red(blue=invoice, actor="clerk", reason=RedReason.ALLOWANCE, now=NOW)
    assert rest.total == D("-1749.00")
    assert first.total + rest.total == -invoice.total
    invoice.refresh_from_db()
    assert invoice.status == "red_full"
    refused(
        lambda: invoice_issue_red(blue=invoice, actor="clerk", reason=RedReason.RETURN, now=NOW),
        "发票已全额红冲",
    )
    refused(
        lambda: invoice_issue_red(blue=rest, actor="clerk", reason=RedReason.RETURN, now=NOW),
        "红字发票不能再红冲",
    )
    assert ledger_verify(world.taxpayer) == []


def test_special_paper_needs_an_info_table(world: World) -> None:
    invoice = blue(world, "VAT_SPECIAL_PAPER")
    refused(
        lambda: invoice_issue_red(blue=invoice, actor="clerk", reason=RedReason.RETURN, now=NOW),
        "须先开具红字发票信息表",
        "form",
    )
    form = red_form_create(
        blue=invoice, reason=RedReason.WRONG, raised_by=BUYER, actor="clerk", now=NOW
    )
    assert form.number == "6618071051600001" and form.status == "confirmed"
    assert form.total == -invoice.total
    refused(
        lambda: red_form_create(
            blue=invoice, reason=RedReason.RETURN, raised_by=SELLER, actor="clerk",
            picks=[Pick(0, amount=D("1"))], now=NOW,
        ),
        "第1行已无可红冲金额",
    )  # fmt: skip
    red = invoice_issue_red(blue=invoice, form=form, actor="clerk", request_id="r-1", now=NOW)
    assert red.remarks == "开具红字增值税专用发票信息表编号6618071051600001"
    assert red.red_reason == "开票有误" and red.total == -invoice.total
    again = invoice_issue_red(blue=invoice, form=form, actor="clerk", request_id="r-1", now=NOW)
    assert again.pk == red.pk
    form.refresh_from_db()
    assert form.status == "used"
    refused(
        lambda: invoice_issue_red(blue=invoice, form=form, actor="clerk", now=NOW),
        "状态为已开具红字发票",
    )
    assert ledger_verify(world.taxpayer) == []


def test_digital_confirmation_with_the_other_party_and_the_72_hour_lapse(world: World) -> None:
    invoice = blue(world, "DIGITAL_SPECIAL")
    pending = red_form_create(
        blue=invoice,
        reason=RedReason.ALLOWANCE,
        raised_by=SELLER,
        picks=[Pick(0, amount=D("300.00"))],
        buyer_booked=True,
        actor="clerk",
        now=NOW,
    )
    assert pending.number == "32260000000000000001"
    assert (pending.status, pending.expires_at) == ("pending", NOW + timedelta(hours=72))
    refused(
        lambda: invoice_issue_red(blue=invoice, form=pending, actor="clerk", now=NOW),
        "状态为待对方确认",
    )
    refused(
        lambda: red_form_confirm(form=pending, party=SELLER, accept=True, actor="clerk", now=NOW),
        "须由对方确认",
        "party",
    )
    # the reserved 300 counts against the blue while the form is open
    refused(
        lambda: red_form_create(
            blue=invoice, reason=RedReason.ALLOWANCE, raised_by=SELLER, actor="clerk",
            picks=[Pick(0, amount=D("601.00"))], now=NOW,
        ),
        "不超过剩余金额600.00",
    )  # fmt: skip
    later = NOW + timedelta(hours=71, minutes=59)
    confirmed = red_form_confirm(form=pending, party=BUYER, accept=True, actor="购方", now=later)
    assert confirmed.status == "confirmed"
    red = invoice_issue_red(blue=invoice, form=confirmed, actor="clerk", now=later)
    assert red.total == D("-318.00")
    assert red.remarks == (
        f"被红冲蓝字数电发票号码：{invoice.number} 红字发票信息确认单编号：32260000000000000001"
    )
    invoice.refresh_from_db()
    assert invoice.status == "red_partial"
    # the month's credit use is kept as invoices are issued, the red one counting negative
    issued = Invoice.objects.filter(channel=world.digital).aggregate(used=Sum("amount"))["used"]
    assert credit_used(world.digital, date(2026, 11, 1)) == issued == invoice.amount + red.amount

    lapsing = red_form_create(
        blue=invoice, reason=RedReason.RETURN, raised_by=BUYER, buyer_booked=True,
        picks=[Pick(2)], actor="购方", now=later,
    )  # fmt: skip
    too_late = later + timedelta(hours=72)
    # the lapse itself is recorded (time made it happen); the confirmation is refused
    with pytest.raises(DomainError, match="超过72小时未确认"):
        red_form_confirm(form=lapsing, party=SELLER, accept=True, actor="clerk", now=too_late)
    lapsing.refresh_from_db()
    assert lapsing.status == "lapsed"
    assert Event.objects.filter(red_form=lapsing, type="red_form.lapsed").count() == 1

    rejected = red_form_create(
        blue=invoice, reason=RedReason.RETURN, raised_by=BUYER, buyer_booked=True,
        picks=[Pick(2)], actor="购方", now=too_late,
    )  # fmt: skip
    red_form_confirm(form=rejected, party=SELLER, accept=False, actor="clerk", now=too_late)
    unbooked = red_form_create(
        blue=invoice, reason=RedReason.RETURN, raised_by=SELLER, picks=[Pick(2)],
        actor="clerk", now=too_late,
    )  # fmt: skip
    assert unbooked.status == "confirmed"  # nobody booked the blue: no confirmation needed
    red_form_cancel(form=unbooked, actor="clerk", now=too_late)
    refused(lambda: red_form_cancel(form=unbooked, actor="clerk"), "不能撤销")
    assert ledger_verify(world.taxpayer) == []


def test_plain_kinds_need_no_form(world: World) -> None:
    invoice = blue(world, "VAT_ORDINARY_PAPER")
    refused(
        lambda: red_form_create(
            blue=invoice, reason=RedReason.RETURN, raised_by=SELLER, actor="clerk", now=NOW
        ),
        "无需红字信息表",
    )


def test_print_and_deliver_marks_move_forward_only(world: World) -> None:
    invoice = blue(world, "VAT_ORDINARY_PAPER")
    delivered = invoice_mark(invoice=invoice, action=Action.DELIVER, actor="clerk", detail="邮寄")
    assert delivered.status == "delivered"
    printed = invoice_mark(invoice=invoice, action=Action.PRINT, actor="clerk", detail="打印机1")
    assert printed.status == "delivered"  # printing again never moves it back
    assert Event.objects.filter(invoice=invoice, type="invoice.printed").count() == 1
    refused(lambda: invoice_mark(invoice=invoice, action=Action.VOID, actor="clerk"), "只能标记")
    invoice_void(invoice=invoice, actor="clerk", now=NOW)
    refused(
        lambda: invoice_mark(invoice=invoice, action=Action.PRINT, actor="clerk"),
        "发票已作废，不能打印",
    )
    assert ledger_verify(world.taxpayer) == []


def test_lapsing_touches_only_the_request_s_own_forms_and_the_worker_lapses_the_rest(
    world: World,
) -> None:
    other = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161")
    forms = [
        red_form_create(
            blue=blue(w, "DIGITAL_SPECIAL", channel=w.digital),
            reason=RedReason.RETURN,
            raised_by=BUYER,
            buyer_booked=True,
            actor="购方",
            now=NOW,
        )
        for w in (world, other)
    ]
    later = NOW + timedelta(hours=73)
    with pytest.raises(DomainError, match="超过72小时未确认"):
        red_form_confirm(form=forms[0], party=SELLER, accept=True, actor="clerk", now=later)
    statuses = [RedForm.objects.get(pk=f.pk).status for f in forms]
    assert statuses == ["lapsed", "pending"]  # the other taxpayer's form was not touched
    assert red_forms_round() == 1  # the worker's round, once its time has come
    assert RedForm.objects.get(pk=forms[1].pk).status == "lapsed"
    assert red_forms_round() == 0
