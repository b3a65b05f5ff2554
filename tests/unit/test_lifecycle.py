from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fapiao.domain.kinds import KINDS, InvoiceKind
from fapiao.domain.lifecycle import (
    RED_EXCEEDS_MESSAGE,
    VOID_KIND_MESSAGE,
    VOID_MONTH_MESSAGE,
    VOID_REPORTED_MESSAGE,
    Action,
    RedReason,
    RedRefused,
    Status,
    TransitionRefused,
    VoidRefused,
    can,
    check_red,
    check_void,
    next_status,
)

K, S, A = InvoiceKind, Status, Action
D = Decimal


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (S.ISSUED, A.PRINT, S.PRINTED),
        (S.PRINTED, A.DELIVER, S.DELIVERED),
        (S.DELIVERED, A.PRINT, S.DELIVERED),
        (S.UPLOADED, A.PRINT, S.UPLOADED),
        (S.ISSUED, A.UPLOAD, S.UPLOADED),
        (S.PRINTED, A.VOID, S.VOIDED),
        (S.UPLOADED, A.RED_PARTIAL, S.RED_PARTIAL),
        (S.RED_PARTIAL, A.RED_FULL, S.RED_FULL),
        (S.RED_PARTIAL, A.DELIVER, S.RED_PARTIAL),
    ],
)
def test_transitions(status: Status, action: Action, expected: Status) -> None:
    assert can(status, action)
    assert next_status(status, action) is expected


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (S.VOIDED, A.PRINT, "发票已作废，不能打印"),
        (S.VOIDED, A.RED_FULL, "发票已作废，不能全额红冲"),
        (S.RED_FULL, A.VOID, "发票已全额红冲，不能作废"),
        (S.RED_FULL, A.UPLOAD, "不能上传"),
        (S.RED_PARTIAL, A.VOID, "发票已部分红冲，不能作废"),
    ],
)
def test_refused_transitions(status: Status, action: Action, message: str) -> None:
    assert not can(status, action)
    with pytest.raises(TransitionRefused, match=message):
        next_status(status, action)


def test_terminal_statuses_allow_nothing() -> None:
    for terminal in (S.VOIDED, S.RED_FULL):
        assert not any(can(terminal, action) for action in Action)
    assert S.RED_FULL.label == "已红冲" and S.ISSUED.label == "已开具"


NOV = date(2026, 11, 10)


def test_void_paper_in_the_same_month_before_reporting() -> None:
    for kind in (K.VAT_SPECIAL_PAPER, K.VAT_ORDINARY_PAPER):
        assert (
            check_void(
                kind=kind,
                status=S.PRINTED,
                issued_on=NOV,
                today=date(2026, 11, 30),
                month_reported=False,
            )
            is S.VOIDED
        )


@pytest.mark.parametrize("kind", [k for k, s in KINDS.items() if not s.paper])
def test_electronic_kinds_cannot_be_voided(kind: InvoiceKind) -> None:
    with pytest.raises(VoidRefused, match=VOID_KIND_MESSAGE) as caught:
        check_void(kind=kind, status=S.ISSUED, issued_on=NOV, today=NOV, month_reported=False)
    assert "请开具红字发票冲销" in caught.value.message


@pytest.mark.parametrize(
    ("status", "today", "reported", "message"),
    [
        (S.ISSUED, date(2026, 12, 1), False, VOID_MONTH_MESSAGE),
        (S.ISSUED, date(2027, 11, 10), False, VOID_MONTH_MESSAGE),
        (S.ISSUED, NOV, True, VOID_REPORTED_MESSAGE),
        (S.VOIDED, NOV, False, "发票已作废，不能作废"),
        (S.RED_FULL, NOV, False, "发票已全额红冲，不能作废"),
    ],
)
def test_void_refusals(status: Status, today: date, reported: bool, message: str) -> None:
    with pytest.raises(VoidRefused, match=message):
        check_void(
            kind=K.VAT_ORDINARY_PAPER,
            status=status,
            issued_on=NOV,
            today=today,
            month_reported=reported,
        )


def red(**kwargs: object) -> Status:
    values: dict[str, object] = {
        "status": S.UPLOADED,
        "is_red": False,
        "blue_total": D("113.00"),
        "already_red": D(0),
        "requested": D("113.00"),
        "reason": RedReason.RETURN,
        **kwargs,
    }
    return check_red(**values)  # type: ignore[arg-type]


def test_red_full_and_partial() -> None:
    assert red() is S.RED_FULL
    assert red(requested=D("13.00")) is S.RED_PARTIAL
    assert red(status=S.RED_PARTIAL, already_red=D("13.00"), requested=D("100.00")) is S.RED_FULL
    assert red(reason=RedReason.WRONG) is S.RED_FULL


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"requested": D("113.01")}, "amount", RED_EXCEEDS_MESSAGE + "（剩余113.00元）"),
        (
            {"already_red": D("100.00"), "requested": D("13.01"), "status": S.RED_PARTIAL},
            "amount",
            RED_EXCEEDS_MESSAGE,
        ),
        ({"requested": D(0)}, "amount", "冲红金额必须大于0"),
        ({"reason": RedReason.WRONG, "requested": D("10.00")}, "reason", "开票有误只能全额红冲"),
        ({"status": S.VOIDED}, "blue", "发票已作废，不能红冲"),
        ({"status": S.RED_FULL}, "blue", "发票已全额红冲，不能红冲"),
        ({"is_red": True}, "blue", "红字发票不能再红冲"),
    ],
)
def test_red_refusals(kwargs: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(RedRefused) as caught:
        red(**kwargs)
    assert caught.value.field == field
    assert message in caught.value.message


def test_red_reasons_are_stored_by_name() -> None:
    assert [r.value for r in RedReason] == ["开票有误", "销货退回", "服务中止", "销售折让"]
