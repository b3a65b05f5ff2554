"""查验 inputs and comparison; the period close's summary, return, 比对 and blockers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.closing import (
    ALREADY_CLEARED_MESSAGE,
    COMPARISON_FAILED_MESSAGE,
    MISSING_DECLARATION_MESSAGE,
    MISSING_REPORT_MESSAGE,
    PENDING_REVIEW_MESSAGE,
    ClearingState,
    ClosingRefused,
    InvoiceFacts,
    application_number,
    clearing_blockers,
    same_totals,
    summarize,
    vat_return,
)
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import InvoiceKind
from fapiao.domain.numbering import build_code
from fapiao.domain.periods import ClearingType, HolidayCalendar, Period
from fapiao.domain.qr import build_qr
from fapiao.domain.verification import (
    Facts,
    Inputs,
    build_query,
    compare,
    inputs_for,
    mismatch_message,
    query_from_qr,
)

D = Decimal
SPECIAL = build_code(InvoiceKind.VAT_SPECIAL_PAPER, region="4201", year=2026, batch=1)
ORDINARY = build_code(InvoiceKind.VAT_ORDINARY_ELECTRONIC, region="4201", year=2026, batch=1)
DIGITAL = "26422000000000000001"
DAY = date(2026, 11, 20)
FACTS = Facts(DAY, D("1000.00"), D("1060.00"), "12345678901234567890")


def test_inputs_follow_the_kind_read_off_the_code_or_number() -> None:
    assert inputs_for(SPECIAL, "00000001") is Inputs.SPECIAL
    assert inputs_for(ORDINARY, "00000001") is Inputs.ORDINARY
    assert inputs_for("", DIGITAL) is Inputs.DIGITAL
    with pytest.raises(DomainError, match="发票号码应为8位数字"):
        inputs_for(ORDINARY, "123")
    with pytest.raises(DomainError, match="数电发票号码应为20位数字"):
        inputs_for("", "123")


@pytest.mark.parametrize(
    ("code", "number", "kwargs", "message", "field"),
    [
        (SPECIAL, "00000001", {}, "请输入不含税金额", "amount"),
        (SPECIAL, "00000001", {"amount": "1.001"}, "最多保留两位小数", "amount"),
        (ORDINARY, "00000001", {"check6": "12345"}, "请输入校验码后6位数字", "check6"),
        (ORDINARY, "00000001", {"check6": "12345a"}, "请输入校验码后6位数字", "check6"),
        ("", DIGITAL, {}, "请输入价税合计", "total"),
        ("", "", {"total": "1"}, "请输入发票号码", "number"),
    ],
)
def test_each_missing_or_bad_input_is_refused_naming_its_field(
    code: str, number: str, kwargs: dict[str, str], message: str, field: str
) -> None:
    with pytest.raises(DomainError, match=message) as caught:
        build_query(code=code, number=number, issued_on=DAY, **kwargs)
    assert caught.value.field == field


def test_a_missing_date_is_refused() -> None:
    with pytest.raises(DomainError, match="请输入开票日期"):
        build_query(code=SPECIAL, number="00000001", issued_on=None, amount="1")


def test_compare_names_the_first_field_that_differs() -> None:
    special = build_query(code=SPECIAL, number="00000001", issued_on=DAY, amount="1000")
    assert compare(special, FACTS) is None
    wrong_amount = build_query(code=SPECIAL, number="00000001", issued_on=DAY, amount="1000.01")
    assert compare(wrong_amount, FACTS) == "amount"
    wrong_day = build_query(code=SPECIAL, number="00000001", issued_on=date(2026, 11, 21),
                            amount="1000")  # fmt: skip
    assert compare(wrong_day, FACTS) == "issued_on"
    ordinary = build_query(code=ORDINARY, number="00000001", issued_on=DAY, check6="567890")
    assert compare(ordinary, FACTS) is None
    assert (
        compare(
            build_query(code=ORDINARY, number="00000001", issued_on=DAY, check6="567891"), FACTS
        )
        == "check6"
    )
    digital = build_query(code="", number=DIGITAL, issued_on=DAY, total="1060")
    assert compare(digital, FACTS) is None
    assert compare(build_query(code="", number=DIGITAL, issued_on=DAY, total="1061"), FACTS) == (
        "total"
    )
    assert mismatch_message("check6") == "不一致：校验码后6位与登记信息不符"


def test_a_qr_payload_is_the_query_of_its_kind() -> None:
    payload = build_qr(kind=InvoiceKind.VAT_ORDINARY_ELECTRONIC, code=ORDINARY, number="00000001",
                       amount=D("1000.00"), issued_on=DAY, check_code=FACTS.check_code)  # fmt: skip
    query = query_from_qr(payload)
    assert (query.inputs, query.check6, compare(query, FACTS)) == (
        Inputs.ORDINARY, "567890", None
    )  # fmt: skip
    digital = build_qr(kind=InvoiceKind.DIGITAL_SPECIAL, code="", number=DIGITAL,
                       amount=D("1060.00"), issued_on=DAY, check_code="")  # fmt: skip
    assert query_from_qr(digital).total == D("1060.00")
    special = build_qr(kind=InvoiceKind.VAT_SPECIAL_PAPER, code=SPECIAL, number="00000001",
                       amount=D("1000.00"), issued_on=DAY, check_code="")  # fmt: skip
    assert query_from_qr(special).amount == D("1000.00")
    # an altered payload is read as it stands (its check field is ours, not the nation's): the
    # registry's facts tell that it does not agree
    tampered = payload.replace("20261120", "20261121")
    assert compare(query_from_qr(tampered), FACTS) == "issued_on"
    # a real payload, with another issuer's check field, is a query like any other
    real = query_from_qr("01,32,,23442000000014209621,112,20230215,,74AE")
    assert (real.inputs, real.total, real.issued_on) == (
        Inputs.DIGITAL,
        D("112"),
        date(2023, 2, 15),
    )


def _facts(kind: InvoiceKind, amount: str, *, red: bool = False, voided: bool = False,
           rate: str = "6%") -> InvoiceFacts:  # fmt: skip
    value = D(amount)
    tax = (value * D("0.06")).quantize(D("0.01"))
    return InvoiceFacts(kind, red, voided, value, tax, ((rate, value, tax),))


def test_the_summary_reports_every_kind_with_blue_red_void_and_rates() -> None:
    kinds = (InvoiceKind.VAT_SPECIAL_PAPER, InvoiceKind.VAT_ORDINARY_PAPER,
             InvoiceKind.VAT_ORDINARY_ELECTRONIC)  # fmt: skip
    summary = summarize(
        [
            _facts(InvoiceKind.VAT_SPECIAL_PAPER, "1000"),
            _facts(InvoiceKind.VAT_SPECIAL_PAPER, "-200", red=True),
            _facts(InvoiceKind.VAT_ORDINARY_PAPER, "500", voided=True),
            _facts(InvoiceKind.VAT_ORDINARY_PAPER, "300", rate="13%"),
        ],
        kinds,
    )
    special = summary["kinds"]["VAT_SPECIAL_PAPER"]
    assert (special["blue_count"], special["red_count"], special["net_amount"]) == (1, 1, "800.00")
    assert summary["kinds"]["VAT_ORDINARY_PAPER"]["void_count"] == 1
    assert summary["kinds"]["VAT_ORDINARY_ELECTRONIC"]["blue_count"] == 0  # reported though empty
    assert summary["sales"] == "1100.00" and summary["rates"]["13%"]["amount"] == "300.00"
    assert same_totals(summary, summary) == []
    other = summarize([_facts(InvoiceKind.VAT_SPECIAL_PAPER, "1000")], kinds)
    differences = same_totals(summary, other)
    assert any("红字份数" in d for d in differences) and any("销售额" in d for d in differences)


@given(st.lists(st.tuples(st.integers(-(10**6), 10**6), st.booleans()), max_size=30))
def test_sales_are_the_sum_of_what_was_not_voided(items: list[tuple[int, bool]]) -> None:
    facts = [_facts(InvoiceKind.VAT_ORDINARY_PAPER, str(D(n) / 100), red=n < 0, voided=v)
             for n, v in items]  # fmt: skip
    summary = summarize(facts, (InvoiceKind.VAT_ORDINARY_PAPER,))
    assert D(summary["sales"]) == sum((f.amount for f in facts if not f.voided), D(0))
    row = summary["kinds"]["VAT_ORDINARY_PAPER"]
    assert row["blue_count"] + row["red_count"] + row["void_count"] == len(facts)


def test_the_return_and_its_comparison() -> None:
    summary = summarize([_facts(InvoiceKind.VAT_SPECIAL_PAPER, "1000")],
                        (InvoiceKind.VAT_SPECIAL_PAPER,))  # fmt: skip
    ok = vat_return(summary, declared_sales=D("1200.00"))
    assert (ok.output_tax, ok.payable, ok.comparison_ok) == (D("60.00"), D("60.00"), True)
    short = vat_return(summary, declared_sales=D("999.99"), input_tax=D("100"))
    assert (short.comparison_ok, short.payable, short.carried_forward) == (
        False, D("0.00"), D("40.00")
    )  # fmt: skip
    assert short.as_dict()["declared_sales"] == "999.99"
    with pytest.raises(ClosingRefused, match="申报销售额不能为负数"):
        vat_return(summary, declared_sales=D("-1"))
    with pytest.raises(ClosingRefused, match="进项税额不能为负数"):
        vat_return(summary, declared_sales=D("1"), input_tax=D("-1"))


OCTOBER = Period(date(2026, 10, 1), date(2026, 11, 1))


def _state(**changes: object) -> ClearingState:
    values: dict[str, object] = {
        "period": OCTOBER, "clearing_type": ClearingType.MONTHLY, "today": date(2026, 11, 10),
        "reported": True, "declared": True, "comparison_ok": True, "explained": False,
        "uploads_pending": 0, "cleared": False, "under_review": False,
    }  # fmt: skip
    values.update(changes)
    return ClearingState(**values)  # type: ignore[arg-type]


def test_what_blocks_a_clearing() -> None:
    calendar = HolidayCalendar()
    assert clearing_blockers(_state(), calendar) == []
    assert clearing_blockers(_state(cleared=True), calendar) == [ALREADY_CLEARED_MESSAGE]
    assert clearing_blockers(_state(under_review=True), calendar) == [PENDING_REVIEW_MESSAGE]
    late = clearing_blockers(_state(today=date(2026, 11, 20)), calendar)
    assert len(late) == 1 and "不在征期内" in late[0]
    # a 特殊 (逾期) clearing after the window is allowed
    assert (
        clearing_blockers(
            _state(today=date(2026, 11, 20), clearing_type=ClearingType.SPECIAL), calendar
        )
        == []
    )
    blockers = clearing_blockers(
        _state(reported=False, declared=False, uploads_pending=2), calendar
    )
    assert blockers == [
        "本期还有发票未上传（2张）",
        MISSING_REPORT_MESSAGE,
        MISSING_DECLARATION_MESSAGE,
    ]
    assert clearing_blockers(_state(comparison_ok=False), calendar) == [COMPARISON_FAILED_MESSAGE]
    assert clearing_blockers(_state(comparison_ok=False, explained=True), calendar) == []
    assert application_number(device_number="661900000001", period=OCTOBER, attempt=2) == (
        "QK66190000000120261002"
    )
