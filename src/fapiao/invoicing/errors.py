"""Refusals of issuing and of the taxpayer's setup, and their messages."""

from __future__ import annotations

from fapiao.domain.errors import DomainError


class IssueRefused(DomainError):
    code = "issue_refused"


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"


class BadRequestId(DomainError):
    code = "invalid"


#: the longest request id (Idempotency-Key) kept with an invoice
REQUEST_ID_MAX = 100


NO_STOCK_MESSAGE = "发票库存不足，请领购发票"


NO_MONITORING_MESSAGE = "该设备没有此票种的监控数据，不能开具"


FUTURE_MESSAGE = "开票日期不能晚于当前时间"
