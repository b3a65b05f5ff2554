"""Invoice statuses and the one table of transitions between them (DOMAIN §6).

``next_status(status, action)`` is the table; ``check_void`` and ``check_red`` add the rules that
depend on the kind, the calendar and the amounts. A refusal raises a named error with the
message a clerk sees, and changes nothing.
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from fapiao.domain.errors import DomainError, Text
from fapiao.domain.kinds import InvoiceKind, spec


class Status(enum.StrEnum):
    ISSUED = "issued"  # 已开具
    PRINTED = "printed"  # 已打印
    DELIVERED = "delivered"  # 已交付
    UPLOADED = "uploaded"  # 已上传
    VOIDED = "voided"  # 已作废
    RED_PARTIAL = "red_partial"  # 已红冲（部分）
    RED_FULL = "red_full"  # 已红冲（全额）

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.ISSUED: "已开具", Status.PRINTED: "已打印", Status.DELIVERED: "已交付",
    Status.UPLOADED: "已上传", Status.VOIDED: "已作废", Status.RED_PARTIAL: "部分红冲",
    Status.RED_FULL: "已红冲",
}  # fmt: skip


class Action(enum.StrEnum):
    PRINT = "print"
    DELIVER = "deliver"
    UPLOAD = "upload"
    VOID = "void"
    RED_PARTIAL = "red_partial"
    RED_FULL = "red_full"


class RedReason(enum.StrEnum):
    WRONG = "开票有误"
    RETURN = "销货退回"
    SERVICE_STOPPED = "服务中止"
    ALLOWANCE = "销售折让"


_LIVE = (Status.ISSUED, Status.PRINTED, Status.DELIVERED, Status.UPLOADED)
_ORDER = {Status.ISSUED: 0, Status.PRINTED: 1, Status.DELIVERED: 2, Status.UPLOADED: 3}


def _forward(status: Status, target: Status) -> Status:
    """Printing, delivering and uploading never move an invoice backwards."""
    return target if _ORDER[target] >= _ORDER[status] else status


#: (status, action) → new status. Whatever is missing is refused.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    **{(s, Action.PRINT): _forward(s, Status.PRINTED) for s in _LIVE},
    **{(s, Action.DELIVER): _forward(s, Status.DELIVERED) for s in _LIVE},
    **{(s, Action.UPLOAD): Status.UPLOADED for s in _LIVE},
    **{(s, Action.VOID): Status.VOIDED for s in _LIVE},
    **{(s, Action.RED_PARTIAL): Status.RED_PARTIAL for s in (*_LIVE, Status.RED_PARTIAL)},
    **{(s, Action.RED_FULL): Status.RED_FULL for s in (*_LIVE, Status.RED_PARTIAL)},
    (Status.RED_PARTIAL, Action.PRINT): Status.RED_PARTIAL,
    (Status.RED_PARTIAL, Action.DELIVER): Status.RED_PARTIAL,
}

_REFUSALS = {
    Status.VOIDED: "发票已作废",
    Status.RED_FULL: "发票已全额红冲",
    Status.RED_PARTIAL: "发票已部分红冲",
}

VOID_KIND_MESSAGE = "只能作废普票和专票"
VOID_MONTH_MESSAGE = "作废发票只能为本月发票"
VOID_REPORTED_MESSAGE = "本月已抄报，不能作废"
RED_EXCEEDS_MESSAGE = "冲红金额大于剩余可冲红金额"


class TransitionRefused(DomainError):
    code = "transition_refused"


class VoidRefused(TransitionRefused):
    code = "void_refused"


class RedRefused(TransitionRefused):
    code = "red_refused"


def can(status: Status, action: Action) -> bool:
    return (status, action) in TRANSITIONS


def next_status(status: Status, action: Action) -> Status:
    try:
        return TRANSITIONS[status, action]
    except KeyError:
        reason = _REFUSALS.get(status, f"发票状态为{status.label}")
        raise TransitionRefused(
            Text("{0}，不能{1}", reason, ACTION_LABELS[action]), field="status"
        ) from None


ACTION_LABELS = {
    Action.PRINT: "打印", Action.DELIVER: "交付", Action.UPLOAD: "上传", Action.VOID: "作废",
    Action.RED_PARTIAL: "部分红冲", Action.RED_FULL: "全额红冲",
}  # fmt: skip


def check_void(
    *, kind: InvoiceKind, status: Status, issued_on: date, today: date, month_reported: bool
) -> Status:
    """The status after voiding, or :class:`VoidRefused` naming the rule (DOMAIN §6)."""
    if not spec(kind).voidable:
        raise VoidRefused(
            Text("{0}，{1}请开具红字发票冲销", VOID_KIND_MESSAGE, spec(kind).short_name),
            field="kind",
        )
    if status in _REFUSALS:
        raise VoidRefused(Text("{0}，不能作废", _REFUSALS[status]), field="status")
    if (issued_on.year, issued_on.month) != (today.year, today.month):
        raise VoidRefused(VOID_MONTH_MESSAGE, field="issued_on")
    if month_reported:
        raise VoidRefused(VOID_REPORTED_MESSAGE, field="issued_on")
    return next_status(status, Action.VOID)


def check_red(
    *,
    status: Status,
    is_red: bool,
    blue_total: Decimal,
    already_red: Decimal,
    requested: Decimal,
    reason: RedReason,
) -> Status:
    """The blue invoice's status after a red of ``requested`` (a positive 价税合计).

    ``already_red`` is the positive sum of earlier reds. 开票有误 allows only a full red.
    """
    if is_red:
        raise RedRefused("红字发票不能再红冲", field="blue")
    if status in (Status.VOIDED, Status.RED_FULL):
        raise RedRefused(Text("{0}，不能红冲", _REFUSALS[status]), field="blue")
    remaining = blue_total - already_red
    if requested <= 0:
        raise RedRefused("冲红金额必须大于0", field="amount")
    if requested > remaining:
        raise RedRefused(Text("{0}（剩余{1}元）", RED_EXCEEDS_MESSAGE, remaining), field="amount")
    full = requested == remaining
    if reason is RedReason.WRONG and (already_red or not full):
        raise RedRefused("开票有误只能全额红冲", field="reason")
    return next_status(status, Action.RED_FULL if full else Action.RED_PARTIAL)
