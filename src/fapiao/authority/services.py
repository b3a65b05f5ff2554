"""The authority's services: receive uploads (报送) with signed receipts, hand out stock and
credit, answer 查验, and list the registry for reconciliation.

Uploads are answered in the taxpayer's sequence order; each answer is kept, so the same upload
again gets the same answer and is registered once. An upload that names a registered number with
other content is refused and raised as a risk.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from fapiao.authority.models import (
    AuthorityKey,
    CheckCount,
    ClearingApplication,
    MissCount,
    PeriodFiling,
    Receipt,
    RegisteredTaxpayer,
    RegistryInvoice,
    ReviewStatus,
    Risk,
    StockGrant,
    TaxpayerKey,
)
from fapiao.core import fastsql
from fapiao.core.calendar import business_calendar
from fapiao.core.clock import SHANGHAI
from fapiao.core.fastsql import get, insert, update_many
from fapiao.core.signing import (
    ALGORITHM,
    canonical,
    digest,
    fingerprint_of,
    key_pair,
    seal,
    sign_sealed,
    verify_raw,
)
from fapiao.domain.closing import (
    ALREADY_CLEARED_MESSAGE,
    PENDING_REVIEW_MESSAGE,
    InvoiceFacts,
    same_totals,
    summarize,
)
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.kinds import InvoiceKind, parse_kind, spec
from fapiao.domain.numbering import build_code
from fapiao.domain.periods import Period, lock_date_after_clearing
from fapiao.domain.verification import (
    DAILY_LIMIT,
    NOT_FOUND_MESSAGE,
    TOO_MANY_MESSAGE,
    BadQuery,
    Facts,
    Outcome,
    Query,
    RegistryStatus,
    build_query,
    compare,
    mismatch_message,
    query_from_qr,
)

_OWNER = b"authority"


class AuthorityRefused(DomainError):
    code = "authority_refused"


class TooManyMisses(DomainError):
    """A client asked for too many invoices that do not exist: it looks like enumeration."""

    code = "too_many_misses"


# --- the authority's key ---------------------------------------------------------------------


@functools.cache
def _key_id() -> int:
    key = AuthorityKey.objects.filter(active=True).order_by("-pk").first()
    if key is None:
        raw, public = key_pair()
        key = AuthorityKey.objects.create(
            algorithm=ALGORITHM,
            public_key=public,
            private_key=seal(raw, _OWNER),
            created_at=timezone.now(),
        )
    return key.pk


@functools.cache
def _key(pk: int) -> AuthorityKey:
    return AuthorityKey.objects.get(pk=pk)


def authority_key() -> AuthorityKey:
    return _key(_key_id())


def authority_sign(value: dict[str, Any]) -> str:
    key = authority_key()
    return sign_sealed(bytes(key.private_key), _OWNER, canonical(value).encode())


def public_key() -> dict[str, str]:
    key = authority_key()
    return {
        "algorithm": key.algorithm,
        "public_key": base64.b64encode(bytes(key.public_key)).decode(),
    }


# --- receiving uploads -----------------------------------------------------------------------


def text_digest(text: str) -> str:
    """The digest of content stored as its canonical JSON text (equal to ``digest`` of it)."""
    return hashlib.sha256(text.encode()).hexdigest()


def _registered(tax_id: str, name: str) -> RegisteredTaxpayer:
    taxpayer, _ = RegisteredTaxpayer.objects.get_or_create(tax_id=tax_id, defaults={"name": name})
    return RegisteredTaxpayer.objects.select_for_update().get(pk=taxpayer.pk)


def _risk(taxpayer: RegisteredTaxpayer | None, kind: str, now: datetime, **detail: Any) -> None:
    Risk.objects.create(taxpayer=taxpayer, kind=kind, detail=detail, at=now)


def receive(
    *, tax_id: str, name: str, uploads: list[dict[str, Any]], now: datetime | None = None
) -> list[dict[str, Any]]:
    """Answer each upload of a batch, in sequence order, in one transaction.

    An upload is ``{"sequence", "invoice": {"content", "signature", "algorithm",
    "public_key"}, "voided", "blue"}``; the answer names it by sequence and is signed when
    accepted."""
    now = now or timezone.now()
    with transaction.atomic():
        batch = _Batch(_registered(tax_id, name), uploads, now)
        answers = [
            batch.receive(upload) for upload in sorted(uploads, key=lambda u: int(u["sequence"]))
        ]
        batch.store()
    return answers


def receive_signed(*, tax_id: str, name: str, uploads: list[dict[str, Any]]) -> dict[str, Any]:
    """:func:`receive` as the wire carries it: ``{"answers", "signature"}``, the signature over
    all the answers, so that the taxpayer side checks a batch with one verification (each
    accepted answer still carries its own signature, the receipt kept with the invoice)."""
    reply: dict[str, Any] = {"answers": receive(tax_id=tax_id, name=name, uploads=uploads)}
    reply["signature"] = authority_sign(reply)
    return reply


def _number_of(upload: dict[str, Any]) -> tuple[str, str]:
    content = upload.get("invoice", {}).get("content", {})
    return str(content.get("code", "")), str(content.get("number", ""))


class _Batch:
    """One batch of uploads: what it needs is read in a few queries, what it writes is written
    at the end in a few statements."""

    def __init__(
        self, taxpayer: RegisteredTaxpayer, uploads: list[dict[str, Any]], now: datetime
    ) -> None:
        self.taxpayer, self.now = taxpayer, now
        sequences = [int(u["sequence"]) for u in uploads]
        self.earlier = {
            r.sequence: r for r in Receipt.objects.filter(taxpayer=taxpayer, sequence__in=sequences)
        }
        wanted = {_number_of(u) for u in uploads} | {
            (str(u["blue"][0]), str(u["blue"][1])) for u in uploads if u.get("blue")
        }
        numbers = {number for _, number in wanted}
        self.records: dict[tuple[str, str], RegistryInvoice] = {
            (r.code, r.number): r
            for r in RegistryInvoice.objects.select_for_update().filter(number__in=numbers)
            if (r.code, r.number) in wanted
        }
        self.keys: dict[str, TaxpayerKey] = {}
        self.created: list[RegistryInvoice] = []  # not yet written
        self.changed: dict[int, RegistryInvoice] = {}  # written, then changed
        self.receipts: list[Receipt] = []

    def receive(self, upload: dict[str, Any]) -> dict[str, Any]:
        sequence = int(upload["sequence"])
        # the content is serialised once: its text is stored, its digest checked and signed
        text = canonical(upload.get("invoice", {}).get("content", {}))
        content_digest = text_digest(text)
        message = _message_digest(upload, content_digest)
        earlier = self.earlier.get(sequence)
        if earlier is not None:
            if earlier.message_digest == message:
                return dict(earlier.answer)
            return _refusal(sequence, "上传序号已用于内容不同的上传")
        if sequence <= self.taxpayer.last_sequence:
            return _refusal(sequence, "上传顺序错误：该序号早于已接收的上传")
        try:
            record: RegistryInvoice | None = self._register(upload, text, content_digest)
        except AuthorityRefused as refusal:
            answer, record = _refusal(sequence, refusal.message), None
        else:
            assert record is not None
            answer = {
                "sequence": sequence,
                "accepted": True,
                "code": record.code,
                "number": record.number,
                "digest": record.digest,
                "status": record.status,
                "received_at": self.now.isoformat(),
            }
            answer["signature"] = authority_sign(answer)
        receipt = Receipt(
            taxpayer=self.taxpayer,
            sequence=sequence,
            invoice=record,
            message_digest=message,
            accepted=answer["accepted"],
            answer=answer,
        )
        self.receipts.append(receipt)
        self.earlier[sequence] = receipt
        self.taxpayer.last_sequence = sequence
        return answer

    def _key(self, signed: dict[str, Any]) -> TaxpayerKey:
        try:
            public = base64.b64decode(str(signed["public_key"]), validate=True)
        except ValueError:
            raise AuthorityRefused("公钥格式不正确") from None
        fingerprint = fingerprint_of(public)
        key = self.keys.get(fingerprint)
        if key is None:
            key = TaxpayerKey.objects.filter(fingerprint=fingerprint).first()
            if key is None:
                key = TaxpayerKey.objects.create(
                    taxpayer=self.taxpayer,
                    algorithm=str(signed["algorithm"]),
                    public_key=public,
                    fingerprint=fingerprint,
                    registered_at=self.now,
                )
            self.keys[fingerprint] = key
        if key.taxpayer_id != self.taxpayer.pk:
            raise AuthorityRefused("该公钥已登记于其他纳税人")
        return key

    def _change(self, record: RegistryInvoice) -> None:
        record.changed_at = self.now
        if record.pk is not None:
            self.changed[record.pk] = record

    def _register(self, upload: dict[str, Any], text: str, content_digest: str) -> RegistryInvoice:
        taxpayer, now = self.taxpayer, self.now
        signed = upload["invoice"]
        content = signed["content"]
        code, number = _number_of(upload)
        if content.get("seller", {}).get("tax_id") != taxpayer.tax_id:
            raise AuthorityRefused("发票的销售方不是上传的纳税人")
        key = self._key(signed)
        if not verify_raw(
            key.algorithm, bytes(key.public_key), content_digest.encode(), str(signed["signature"])
        ):
            _risk(taxpayer, "bad_signature", now, code=code, number=number)
            raise AuthorityRefused("发票数字签名无效")
        record = self.records.get((code, number))
        if record is None:
            record = self._create(upload, text=text, content_digest=content_digest, key=key)
        elif record.taxpayer_id != taxpayer.pk or record.digest != content_digest:
            _risk(
                taxpayer, "conflicting_upload", now,
                code=code, number=number, registered=record.digest, uploaded=content_digest,
            )  # fmt: skip
            raise AuthorityRefused(Text("发票{0}已登记为内容不同的发票", record))
        if upload.get("voided") and record.status == RegistryStatus.NORMAL:
            record.status = RegistryStatus.VOIDED
            self._change(record)
        return record

    def _create(
        self, upload: dict[str, Any], *, text: str, content_digest: str, key: TaxpayerKey
    ) -> RegistryInvoice:
        signed = upload["invoice"]
        content = signed["content"]
        blue = None
        if content.get("red"):
            code, number = upload.get("blue") or ("", "")
            blue = self.records.get((str(code), str(number)))
            if blue is None or blue.taxpayer_id != self.taxpayer.pk:
                raise AuthorityRefused(Text("红字发票对应的蓝字发票{0}{1}未登记", code, number))
            if blue.pk is None:  # registered in this batch: written first, to be referred to
                self._write_created()
            blue.red_total += -Decimal(content["total"])
            blue.status = RegistryStatus.RED
            self._change(blue)
        record = RegistryInvoice(
            taxpayer=self.taxpayer,
            kind=parse_kind(content["kind"]).value,
            code=content.get("code", ""),
            number=content["number"],
            issued_at=datetime.fromisoformat(content["issued_at"]),
            issued_on=date.fromisoformat(content["issued_on"]),
            amount=Decimal(content["amount"]),
            tax=Decimal(content["tax"]),
            total=Decimal(content["total"]),
            check_code=content.get("check_code", ""),
            buyer_name=content.get("buyer", {}).get("name", ""),
            buyer_tax_id=content.get("buyer", {}).get("tax_id", ""),
            device_number=str(upload.get("device") or ""),
            blue=blue,
            content=text,
            digest=content_digest,
            signature=str(signed["signature"]),
            key=key,
            received_at=self.now,
            changed_at=self.now,
        )
        self.created.append(record)
        self.records[record.code, record.number] = record
        return record

    def _write_created(self) -> None:
        insert(self.created)
        self.created = []

    def store(self) -> None:
        self._write_created()
        update_many(list(self.changed.values()), "status", "red_total", "changed_at")
        for receipt in self.receipts:
            receipt.invoice = receipt.invoice  # the record's id, now that it has one
        insert([r for r in self.receipts if r.pk is None])
        self.taxpayer.save(update_fields=["last_sequence"])


def _message_digest(upload: dict[str, Any], content_digest: str) -> str:
    """What identifies an upload: all of it, the signed content by its digest."""
    signed = {**upload.get("invoice", {}), "content": content_digest}
    return digest({**upload, "invoice": signed})


def _refusal(sequence: int, message: str) -> dict[str, Any]:
    return {"sequence": sequence, "accepted": False, "error": message}


# --- what the registry holds, for reconciliation ----------------------------------------------


def record_facts(record: RegistryInvoice) -> dict[str, Any]:
    """A registry record as the taxpayer side compares it: the stored facts and the digest of
    the stored content, each as it is now (an edit of either shows)."""
    return {
        "code": record.code,
        "number": record.number,
        "kind": record.kind,
        "issued_on": record.issued_on.isoformat(),
        "amount": f"{record.amount:.2f}",
        "tax": f"{record.tax:.2f}",
        "total": f"{record.total:.2f}",
        "check_code": record.check_code,
        "status": record.status,
        "digest": text_digest(record.content),
        "signed_digest": record.digest,
    }


def records(*, tax_id: str, after: int = 0, limit: int = 1000) -> dict[str, Any]:
    """One page of the taxpayer's registry, in registration order; ``next`` pages on."""
    rows = list(
        RegistryInvoice.objects.filter(taxpayer__tax_id=tax_id, pk__gt=after).order_by("pk")[:limit]
    )
    registered = RegisteredTaxpayer.objects.filter(tax_id=tax_id).first()
    return {
        "records": [record_facts(row) for row in rows],
        "next": rows[-1].pk if len(rows) == limit else None,
        # the sequence of the last event the authority accepted: the taxpayer's history can
        # never end before it
        "last_sequence": registered.last_sequence if registered else 0,
    }


# --- stock and credit --------------------------------------------------------------------------


@transaction.atomic
def grant_stock(
    *,
    tax_id: str,
    name: str,
    region: str,
    device_number: str,
    kind: InvoiceKind,
    count: int,
    now: datetime | None = None,
) -> StockGrant:
    """Hand a device the next ``count`` numbers of this year's code for its region and kind."""
    now = now or timezone.now()
    if not 1 <= count <= 10_000:
        raise AuthorityRefused("领用份数应为1至10000", field="count")
    if spec(kind).digital:
        raise AuthorityRefused(Text("{0}没有发票库存", spec(kind).name), field="kind")
    taxpayer = _registered(tax_id, name)
    code = build_code(kind, region=region, year=now.astimezone(SHANGHAI).year, batch=0)
    # the grants of one code are serialised by the taxpayer lock only within a taxpayer;
    # the unique range check below keeps two taxpayers of one region apart
    last = StockGrant.objects.select_for_update().filter(code=code).aggregate(m=Max("last"))["m"]
    first = (last or 0) + 1
    if first + count - 1 > 99_999_999:
        raise AuthorityRefused("该发票代码的号码已用完", field="count")
    return StockGrant.objects.create(
        taxpayer=taxpayer,
        device_number=device_number,
        kind=kind.value,
        code=code,
        first=first,
        last=first + count - 1,
        at=now,
    )


@transaction.atomic
def set_credit(*, tax_id: str, name: str, monthly_credit: Decimal) -> RegisteredTaxpayer:
    if monthly_credit < 0:
        raise AuthorityRefused("授信额度不能为负数", field="monthly_credit")
    taxpayer = _registered(tax_id, name)
    taxpayer.monthly_credit = monthly_credit
    taxpayer.save(update_fields=["monthly_credit"])
    return taxpayer


def credit_of(tax_id: str) -> Decimal | None:
    taxpayer = RegisteredTaxpayer.objects.filter(tax_id=tax_id).first()
    return None if taxpayer is None else taxpayer.monthly_credit


# --- 查验 --------------------------------------------------------------------------------------


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


def query_of(inputs: dict[str, Any]) -> Query:
    """The query typed inputs or a pasted QR payload (``qr``) stand for."""
    if str(inputs.get("qr") or "").strip():
        return query_from_qr(str(inputs["qr"]))
    text = str(inputs.get("issued_on") or "").strip().replace("/", "-")
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        issued_on = date.fromisoformat(text) if text else None
    except ValueError:
        raise BadQuery("开票日期格式应为YYYY-MM-DD", field="issued_on") from None
    return build_query(
        code=str(inputs.get("code") or ""),
        number=str(inputs.get("number") or ""),
        issued_on=issued_on,
        amount=inputs.get("amount"),
        check6=inputs.get("check6"),
        total=inputs.get("total"),
    )


def verify_inputs(inputs: dict[str, Any], *, client: str) -> dict[str, Any]:
    """:func:`check` from JSON inputs to a JSON answer signed by the authority."""
    answer = check(query_of(inputs), client=client).as_dict()
    answer["checked_at"] = timezone.now().isoformat()
    answer["signature"] = authority_sign(answer)
    return answer


# --- 抄报 and 清卡 review -------------------------------------------------------------------------


def _period(start: str | date, end: str | date) -> Period:
    return Period(
        start if isinstance(start, date) else date.fromisoformat(start),
        end if isinstance(end, date) else date.fromisoformat(end),
    )


def registry_summary(
    *, tax_id: str, device_number: str, period: Period, kinds: list[str]
) -> dict[str, Any]:
    """The registry's own summary of a device's period, as :func:`summarize` makes it."""
    rows = RegistryInvoice.objects.filter(
        taxpayer__tax_id=tax_id,
        device_number=device_number,
        issued_on__gte=period.start,
        issued_on__lt=period.end,
    )
    facts = [
        InvoiceFacts(
            kind=InvoiceKind(row.kind),
            red=row.blue_id is not None,
            voided=row.status == RegistryStatus.VOIDED,
            amount=row.amount,
            tax=row.tax,
            lines=tuple(
                (line["rate"], Decimal(line["amount"]), Decimal(line["tax"]))
                for line in row.facts().get("lines", [])
            ),
        )
        for row in rows
    ]
    return summarize(facts, [InvoiceKind(kind) for kind in kinds])


@transaction.atomic
def file_period(
    *,
    tax_id: str,
    name: str,
    device_number: str,
    period_start: str,
    period_end: str,
    summary: dict[str, Any],
    now: datetime | None = None,
) -> dict[str, Any]:
    """Receive a 抄报; the same summary again is the same filing."""
    now = now or timezone.now()
    taxpayer = _registered(tax_id, name)
    filing, created = PeriodFiling.objects.get_or_create(
        taxpayer=taxpayer,
        device_number=device_number,
        period_start=date.fromisoformat(period_start),
        defaults={
            "period_end": date.fromisoformat(period_end),
            "summary": summary,
            "received_at": now,
        },
    )
    if not created and filing.summary != summary:
        raise AuthorityRefused("该设备本期已抄报，且内容不同", field="period")
    answer = {
        "tax_id": tax_id,
        "device_number": device_number,
        "period_start": period_start,
        "received_at": filing.received_at.isoformat(),
    }
    answer["signature"] = authority_sign(answer)
    return answer


def _decision(application: ClearingApplication) -> dict[str, Any]:
    answer = {
        "number": application.number,
        "status": application.status,
        "reason": application.reason,
        "findings": application.findings,
        "device_number": application.device_number,
        "period_start": application.period_start.isoformat(),
        "period_end": application.period_end.isoformat(),
        "lock_date": application.lock_date.isoformat() if application.lock_date else None,
        "decided_at": application.decided_at.isoformat() if application.decided_at else None,
        "decided_by": application.decided_by,
    }
    answer["signature"] = authority_sign(answer)
    return answer


@transaction.atomic
def clearing_submit(
    *,
    tax_id: str,
    name: str,
    number: str,
    device_number: str,
    period_start: str,
    period_end: str,
    type: str,
    summary: dict[str, Any],
    declaration: dict[str, Any],
    now: datetime | None = None,
) -> dict[str, Any]:
    """Receive a 清卡 application; approve it at once when nothing needs a person."""
    now = now or timezone.now()
    taxpayer = _registered(tax_id, name)
    earlier = ClearingApplication.objects.filter(number=number).first()
    if earlier is not None:  # the same application sent again
        return earlier.answer or _decision(earlier)
    period = _period(period_start, period_end)
    live = ClearingApplication.objects.filter(
        taxpayer=taxpayer,
        device_number=device_number,
        period_start=period.start,
        status__in=[ReviewStatus.PENDING, ReviewStatus.APPROVED],
    ).first()
    if live is not None:
        raise AuthorityRefused(
            ALREADY_CLEARED_MESSAGE
            if live.status == ReviewStatus.APPROVED
            else PENDING_REVIEW_MESSAGE,
            field="period",
        )
    if not PeriodFiling.objects.filter(
        taxpayer=taxpayer, device_number=device_number, period_start=period.start
    ).exists():
        raise AuthorityRefused("税务机关未收到该设备本期的抄报数据", field="period")
    theirs = registry_summary(
        tax_id=tax_id, device_number=device_number, period=period, kinds=list(summary["kinds"])
    )
    findings = [f"抄报与登记不符：{item}" for item in same_totals(summary, theirs)]
    if not declaration.get("comparison_ok"):
        findings.append(f"申报比对不通过，纳税人说明：{declaration.get('explanation') or '无'}")
    application = ClearingApplication(
        number=number,
        taxpayer=taxpayer,
        device_number=device_number,
        period_start=period.start,
        period_end=period.end,
        type=type,
        summary=summary,
        declaration=declaration,
        findings=findings,
        status=ReviewStatus.PENDING,
        submitted_at=now,
    )
    if not findings:
        _approve(application, actor="系统自动审核", now=now)
    application.answer = _decision(application)
    application.save()
    return dict(application.answer)


def _approve(application: ClearingApplication, *, actor: str, now: datetime) -> None:
    period = Period(application.period_start, application.period_end)
    application.status = ReviewStatus.APPROVED
    application.lock_date = lock_date_after_clearing(period, business_calendar())
    application.decided_at, application.decided_by = now, actor


@transaction.atomic
def clearing_decide(
    *, number: str, approve: bool, reason: str, actor: str, now: datetime | None = None
) -> ClearingApplication:
    """An authority user's decision on an application waiting for one."""
    now = now or timezone.now()
    application = ClearingApplication.objects.select_for_update().filter(number=number).first()
    if application is None:
        raise AuthorityRefused(Text("清卡申请{0}不存在", number), field="number")
    if application.status != ReviewStatus.PENDING:
        raise AuthorityRefused("该申请已审核", field="number")
    if approve:
        _approve(application, actor=actor, now=now)
        application.reason = reason.strip()
    else:
        if not reason.strip():
            raise AuthorityRefused("驳回须填写原因", field="reason")
        application.status, application.reason = ReviewStatus.REJECTED, reason.strip()
        application.decided_at, application.decided_by = now, actor
    application.answer = _decision(application)
    application.save()
    return application


def clearing_status(number: str) -> dict[str, Any]:
    application = ClearingApplication.objects.filter(number=number).first()
    if application is None:
        raise AuthorityRefused(Text("清卡申请{0}不存在", number), field="number")
    return dict(application.answer or _decision(application))


def clearings_pending() -> list[ClearingApplication]:
    return list(
        ClearingApplication.objects.filter(status=ReviewStatus.PENDING)
        .select_related("taxpayer")
        .order_by("submitted_at")
    )
