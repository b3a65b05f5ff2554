"""开票申请 and approval (远程审批): which drafts a taxpayer has decided need an approver's yes
before they are issued, and the request's states.

A taxpayer's rule is one of: no approval (the default), every draft, or drafts whose 价税合计
is over an amount; in addition, kinds it names always need approval (say 专票).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum

from fapiao.domain.errors import DomainError, Text


class Mode(StrEnum):
    OFF = "off"
    ALL = "all"
    OVER = "over"


MODE_LABELS = {
    Mode.OFF: "无需审批",
    Mode.ALL: "全部需要审批",
    Mode.OVER: "价税合计超过金额时需要审批",
}


class RequestStatus(StrEnum):
    PENDING = "pending"
    ISSUED = "issued"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


STATUS_LABELS = {
    RequestStatus.PENDING: "待审批",
    RequestStatus.ISSUED: "已开具",
    RequestStatus.REJECTED: "已驳回",
    RequestStatus.WITHDRAWN: "已撤回",
}
#: a reason given when rejecting: required, and at most this long
REASON_MAX = 200


class BadRule(DomainError):
    code = "bad_approval_rule"


def check_rule(mode: str, over: Decimal | None, kinds: Iterable[str], known: Iterable[str]) -> None:
    """Refuse a rule that cannot be applied: an unknown mode or kind, no amount for ``over``."""
    if mode not in set(Mode):
        raise BadRule(Text("审批规则“{0}”不存在", mode), field="mode")
    if mode == Mode.OVER and (over is None or over <= 0):
        raise BadRule("请填写需要审批的价税合计金额（大于0）", field="over")
    unknown = sorted(set(kinds) - set(known))
    if unknown:
        raise BadRule(Text("不支持的发票种类“{0}”", unknown[0]), field="kinds")


def needs_approval(
    *, mode: str, over: Decimal | None, kinds: Iterable[str], kind: str, total: Decimal
) -> bool:
    """Whether a draft of ``kind`` and ``total`` (价税合计) waits for an approver."""
    if kind in set(kinds):
        return True
    if mode == Mode.ALL:
        return True
    return mode == Mode.OVER and over is not None and total > over


def check_reason(reason: str) -> str:
    """A rejection's reason: required, printable, at most :data:`REASON_MAX` characters."""
    text = reason.strip()
    if not text:
        raise DomainError("驳回时请填写原因", field="reason")
    if len(text) > REASON_MAX:
        raise DomainError(Text("原因不能超过{0}个字符", REASON_MAX), field="reason")
    return text
