"""查验: the public's checks of an invoice, counted per invoice and day, misses per client
and hour."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from fapiao.authority.keyring import authority_sign
from fapiao.authority.models import (
    CheckCount,
    MissCount,
    RegistryInvoice,
    Risk,
    TaxpayerKey,
)
from fapiao.authority.registry import text_digest
from fapiao.core import fastsql
from fapiao.core.clock import SHANGHAI
from fapiao.core.fastsql import get
from fapiao.core.signing import (
    verify_raw,
)
from fapiao.domain.errors import DomainError
from fapiao.domain.verification import (
    DAILY_LIMIT,
    NOT_FOUND_MESSAGE,
    TOO_MANY_MESSAGE,
    Facts,
    Outcome,
    Query,
    compare,
    mismatch_message,
    query_from_inputs,
)


class TooManyMisses(DomainError):
    """A client asked for too many invoices that do not exist: it looks like enumeration."""

    code = "too_many_misses"


@dataclass(frozen=True)
class CheckResult:
    outcome: Outcome
    message: str
    field: str | None = None
    status: str | None = None
    record: RegistryInvoice | None = None
    signature_valid: bool | None = None
    checks_today: int | None = None

    def as_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "outcome": self.outcome.value,
            "message": self.message,
            "field": self.field,
            "status": self.status,
            "signature_valid": self.signature_valid,
            "checks_today": self.checks_today,
            "invoice": None,
        }
        if self.record is not None:
            answer["invoice"] = self.record.facts()
        return answer


def _count_sql(model: type[models.Model], columns: list[str], rows: str, limit: int | None) -> str:
    """The upsert that adds one to the count row of ``model`` for each of ``rows`` (a VALUES or
    SELECT giving ``columns`` and a first count of 1), unless it stands at ``limit``; it
    returns the new counts."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(columns)
    below = f" WHERE {table}.count < {int(limit)}" if limit is not None else ""
    return (
        f"INSERT INTO {table} ({names}, count) {rows} "
        f"ON CONFLICT ({names}) DO UPDATE SET count = {table}.count + 1{below} RETURNING count"
    )


def _count_up(model: type[models.Model], keys: dict[str, Any], limit: int | None) -> int | None:
    """Add one to the count row of ``model`` with ``keys`` (made at 1) in one statement; None
    when it already stands at ``limit``."""
    places = ", ".join(["%s"] * len(keys))
    sql = _count_sql(model, list(keys), f"VALUES ({places}, 1)", limit)
    rows = fastsql.query(sql, list(keys.values()))
    return int(rows[0][0]) if rows else None


def _miss_keys(client: str, now: datetime) -> dict[str, Any]:
    hour = now.replace(minute=0, second=0, microsecond=0)
    return {"client": client[:64], "hour": connection.ops.adapt_datetimefield_value(hour)}


def misses_allowed() -> int:
    return int(getattr(settings, "FAPIAO_VERIFY_MISSES_PER_HOUR", 30))


def _misses_sql() -> str:
    table = connection.ops.quote_name(MissCount._meta.db_table)
    return f"SELECT count FROM {table} WHERE client = %s AND hour = %s"  # noqa: S608


def _look_up(
    query: Query, client: str, now: datetime
) -> tuple[int, RegistryInvoice | None, int | None]:
    """The client's misses this hour, the invoice asked for, and its checks today with this
    one (None: the day's limit was reached, or the client is over its misses and nothing was
    counted). On PostgreSQL one statement does it all (a single round trip on the path the
    public uses most); elsewhere three."""
    misses_keys = list(_miss_keys(client, now).values())
    day = connection.ops.adapt_datefield_value(now.astimezone(SHANGHAI).date())
    if connection.vendor != "postgresql":
        rows = fastsql.query(_misses_sql(), misses_keys)
        misses = int(rows[0][0]) if rows else 0
        record = get(RegistryInvoice, code=query.code, number=query.number)
        if misses >= misses_allowed() or record is None:
            return misses, record, None
        keys = {"invoice_id": record.pk, "day": day}
        return misses, record, _count_up(CheckCount, keys, DAILY_LIMIT)
    registry = connection.ops.quote_name(RegistryInvoice._meta.db_table)
    counted = _count_sql(
        CheckCount, ["invoice_id", "day"], "SELECT r.id, %s, 1 FROM r, m WHERE m.misses < %s",
        DAILY_LIMIT,
    )  # fmt: skip
    row = fastsql.query(
        f"WITH m AS (SELECT coalesce(({_misses_sql()}), 0) AS misses), "  # noqa: S608
        f"r AS (SELECT * FROM {registry} WHERE code = %s AND number = %s), "
        f"c AS ({counted}) "
        f"SELECT m.misses, (SELECT count FROM c), {fastsql.columns(RegistryInvoice, 'r')} "
        "FROM m LEFT JOIN r ON true",
        [*misses_keys, query.code, query.number, day, misses_allowed()],
    )[0]
    record = None if row[2] is None else fastsql.from_row(RegistryInvoice, row[2:])
    return int(row[0]), record, row[1]


@functools.cache
def _taxpayer_key(pk: int) -> TaxpayerKey:
    return TaxpayerKey.objects.get(pk=pk)  # key rows never change


def check(query: Query, *, client: str, now: datetime | None = None) -> CheckResult:
    """Answer one 查验; ``client`` names who asks (an address) for the enumeration limit."""
    now = now or timezone.now()
    misses, record, count = _look_up(query, client, now)
    if misses >= misses_allowed():
        raise TooManyMisses("查验过于频繁，请稍后再试", field="client")
    if record is None:
        _count_up(MissCount, _miss_keys(client, now), None)
        return CheckResult(Outcome.NOT_FOUND, NOT_FOUND_MESSAGE)
    if count is None:
        return CheckResult(Outcome.TOO_MANY, TOO_MANY_MESSAGE, checks_today=DAILY_LIMIT)
    field = compare(query, Facts(record.issued_on, record.amount, record.total, record.check_code))
    if field is not None:
        return CheckResult(
            Outcome.MISMATCH, mismatch_message(field), field=field, checks_today=count
        )
    key = _taxpayer_key(record.key_id)
    valid = record.digest == text_digest(record.content) and verify_raw(
        key.algorithm,
        bytes(key.public_key),
        record.digest.encode(),
        record.signature,
    )
    return CheckResult(
        Outcome.MATCH,
        "一致",
        status=record.status,
        record=record,
        signature_valid=valid,
        checks_today=count,
    )


def risks(*, since: datetime | None = None) -> list[Risk]:
    since = since or timezone.now() - timedelta(days=30)
    return list(Risk.objects.filter(at__gte=since).order_by("-at"))


def verify_inputs(inputs: dict[str, Any], *, client: str) -> dict[str, Any]:
    """:func:`check` from JSON inputs to a JSON answer signed by the authority."""
    answer = check(query_from_inputs(inputs), client=client).as_dict()
    answer["checked_at"] = timezone.now().isoformat()
    answer["signature"] = authority_sign(answer)
    return answer


def keys_forget() -> None:
    """Forget the taxpayers' keys this process has read (after a restore)."""
    _taxpayer_key.cache_clear()
