"""Services that write: each is one transaction with its event (services write, selectors read).

Numbers are allocated under a row lock on the taxpayer inside the issuing transaction, so two
issuers never get the same number and a failed or killed transaction leaves no gap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fapiao.authority.client import authority_client
from fapiao.core import fastsql
from fapiao.core.clock import local_date
from fapiao.domain import channels as channel_rules
from fapiao.domain.checkcode import check_code
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.invoice import Draft, Party, check_party, validate_draft
from fapiao.domain.kinds import ChannelType, DeviceKind, InvoiceKind, spec
from fapiao.domain.numbering import format_number, parse_code
from fapiao.domain.periods import Cycle
from fapiao.domain.qr import build_qr
from fapiao.domain.rates import TaxpayerKind
from fapiao.domain.regions import region_name
from fapiao.domain.tax import Computed
from fapiao.domain.taxpayer_id import validate_uscc
from fapiao.invoicing import statements
from fapiao.invoicing.drafts import contact_from_data, draft_from_data, seller_of
from fapiao.invoicing.keys import active_key, key_create, sign
from fapiao.invoicing.ledger import digest, event_append, invoice_digest
from fapiao.invoicing.locks import taxpayer_lock, taxpayer_lock_later
from fapiao.invoicing.models import (
    Channel,
    Invoice,
    InvoiceLine,
    Monitoring,
    RedForm,
    StockSegment,
    Taxpayer,
)
from fapiao.invoicing.numbers import USED_UP_MESSAGE, NumbersUsedUp, digital_numbers_refill
from fapiao.invoicing.selectors import credit_used
from fapiao.invoicing.uploads import device_state, upload_enqueue
from fapiao.jobs.services import job_enqueue


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


def counter_next(taxpayer: Taxpayer, series: str) -> int:
    """The next value of a gapless running number; the caller holds the taxpayer's lock."""
    return statements.counter_ask(taxpayer_id=taxpayer.pk, series=series)()


PROFILE_FIELDS = ("name", "address", "phone", "bank", "account", "kind", "cycle", "region")


def _profile_clean(values: dict[str, Any]) -> dict[str, Any]:
    """The taxpayer profile checked field by field (DOMAIN §3 limits), stripped."""
    values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    check_party(
        Party(values["name"], "", values["address"], values["phone"], values["bank"],
              values["account"])
    )  # fmt: skip
    region_name(values["region"])
    values["kind"], values["cycle"] = TaxpayerKind(values["kind"]), Cycle(values["cycle"])
    return values


@transaction.atomic
def taxpayer_create(
    *,
    name: str,
    tax_id: str,
    kind: TaxpayerKind,
    region: str,
    actor: str,
    cycle: Cycle = Cycle.MONTHLY,
    address: str = "",
    phone: str = "",
    bank: str = "",
    account: str = "",
    at: datetime | None = None,
) -> Taxpayer:
    """Register a taxpayer with its signing key; the id is checked (GB 32100) and unique."""
    values = _profile_clean(
        {"name": name, "address": address, "phone": phone, "bank": bank, "account": account,
         "kind": kind, "cycle": cycle, "region": region}
    )  # fmt: skip
    tax_id = validate_uscc(tax_id)
    if Taxpayer.objects.filter(tax_id=tax_id).exists():
        raise IssueRefused(Text("纳税人{0}已登记", tax_id), field="tax_id")
    taxpayer = Taxpayer.objects.create(tax_id=tax_id, **values)
    taxpayer = taxpayer_lock(taxpayer.pk)
    at = at or timezone.now()
    key = key_create(taxpayer, at=at)
    event_append(
        taxpayer=taxpayer,
        type="taxpayer.created",
        actor=actor,
        at=at,
        payload={"name": taxpayer.name, "tax_id": taxpayer.tax_id, "key": key.pk},
    )
    return taxpayer


@transaction.atomic
def taxpayer_update(*, taxpayer: Taxpayer, actor: str, **changes: Any) -> Taxpayer:
    """Change profile fields (not the 统一社会信用代码); the event lists what changed."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise IssueRefused(
            Text("不能修改：{0}", "、".join(sorted(unknown))), field=sorted(unknown)[0]
        )
    locked = taxpayer_lock(taxpayer.pk)
    values = _profile_clean(
        {name: changes.get(name, getattr(locked, name)) for name in PROFILE_FIELDS}
    )
    changed = {k: v for k, v in values.items() if getattr(locked, k) != v}
    if not changed:
        return locked
    for name, value in changed.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(changed))
    event_append(
        taxpayer=locked,
        type="taxpayer.updated",
        actor=actor,
        at=timezone.now(),
        payload={"changed": {k: str(v) for k, v in changed.items()}},
    )
    return locked


@transaction.atomic
def channel_create(
    *,
    taxpayer: Taxpayer,
    type: ChannelType,
    name: str,
    actor: str,
    device_number: str = "",
    device_kind: DeviceKind | None = None,
    channel_digit: str = "0",
    monthly_credit: Decimal | None = None,
) -> Channel:
    """A tax-control device (with its 12-digit number and kind) or a 数电 channel."""
    name = name.strip()
    if not name:
        raise IssueRefused("请填写渠道名称", field="name")
    if type == ChannelType.DEVICE:
        device_number = channel_rules.validate_device_number(device_number)
        if device_kind is None:
            raise IssueRefused("请选择设备类型（金税盘、税控盘或税务UKey）", field="device_kind")
        if Channel.objects.filter(device_number=device_number).exists():
            raise IssueRefused("该设备编号已登记", field="device_number")
    elif device_number or device_kind:
        raise IssueRefused("数电渠道没有税控设备", field="device_number")
    if len(channel_digit) != 1 or not channel_digit.isdigit():
        raise IssueRefused("渠道代码为1位数字", field="channel_digit")
    locked = taxpayer_lock(taxpayer.pk)
    if Channel.objects.filter(taxpayer=locked, name=name).exists():
        raise IssueRefused("渠道名称已存在", field="name")
    channel = Channel.objects.create(
        taxpayer=locked,
        type=type,
        name=name,
        device_number=device_number,
        device_kind=device_kind or "",
        channel_digit=channel_digit,
        monthly_credit=monthly_credit,
    )
    event_append(
        taxpayer=locked,
        type="channel.created",
        actor=actor,
        at=timezone.now(),
        payload={
            "channel": channel.pk,
            "type": type.value,
            "name": name,
            "device_number": device_number,
            "monthly_credit": None if monthly_credit is None else str(monthly_credit),
        },
    )
    return channel


@transaction.atomic
def monitoring_set(
    *,
    channel: Channel,
    kind: InvoiceKind,
    lock_date: date,
    single_limit: Decimal,
    offline_hours: int,
    offline_amount: Decimal,
    source: str,
    actor: str,
) -> Monitoring:
    """Write a device's 监控数据 for one kind (at 发行, and at each 清卡), recording its source."""
    if channel.type != ChannelType.DEVICE or spec(kind).channel is not ChannelType.DEVICE:
        raise IssueRefused(Text("{0}不能在该渠道开具", spec(kind).name), field="kind")
    if single_limit <= 0 or offline_amount < 0 or offline_hours < 0:
        raise IssueRefused("限额和离线时长不能为负数", field="single_limit")
    locked = taxpayer_lock(channel.taxpayer_id)
    monitoring, _ = Monitoring.objects.update_or_create(
        channel=channel,
        kind=kind,
        defaults={
            "lock_date": lock_date,
            "single_limit": single_limit,
            "offline_hours": offline_hours,
            "offline_amount": offline_amount,
        },
    )
    event_append(
        taxpayer=locked,
        type="monitoring.set",
        actor=actor,
        at=timezone.now(),
        payload={
            "channel": channel.pk,
            "kind": kind.value,
            "lock_date": lock_date.isoformat(),
            "single_limit": str(single_limit),
            "offline_hours": offline_hours,
            "offline_amount": str(offline_amount),
            "from": source,
        },
    )
    return monitoring


@transaction.atomic
def credit_set(*, channel: Channel, monthly_credit: Decimal, source: str, actor: str) -> Channel:
    """Set a 数电 channel's monthly 授信额度, recording who granted it."""
    if channel.type != ChannelType.DIGITAL:
        raise IssueRefused("只有数电渠道有授信额度", field="channel")
    if monthly_credit < 0:
        raise IssueRefused("授信额度不能为负数", field="monthly_credit")
    locked = taxpayer_lock(channel.taxpayer_id)
    channel.monthly_credit = monthly_credit
    channel.save(update_fields=["monthly_credit"])
    event_append(
        taxpayer=locked,
        type="credit.set",
        actor=actor,
        at=timezone.now(),
        payload={"channel": channel.pk, "monthly_credit": str(monthly_credit), "from": source},
    )
    return channel


@transaction.atomic
def stock_receive(
    *,
    channel: Channel,
    kind: InvoiceKind,
    code: str,
    first: int,
    last: int,
    received_from: str,
    actor: str,
) -> StockSegment:
    """Record a segment of invoice stock handed to a device, and where it came from."""
    if channel.type != ChannelType.DEVICE or spec(kind).channel is not ChannelType.DEVICE:
        raise IssueRefused(Text("{0}不能领入该渠道", spec(kind).name), field="kind")
    if kind not in parse_code(code).kinds:
        raise IssueRefused(Text("发票代码{0}不属于{1}", code, spec(kind).name), field="code")
    if not 1 <= first <= last <= 99_999_999:
        raise IssueRefused("号码段不正确", field="first")
    locked = taxpayer_lock(channel.taxpayer_id)
    if StockSegment.objects.filter(code=code, first__lte=last, last__gte=first).exists():
        raise IssueRefused("号码段与已有库存重叠", field="first")
    now = timezone.now()
    segment = StockSegment.objects.create(
        channel=channel,
        kind=kind,
        code=code,
        first=first,
        last=last,
        next_number=first,
        received_from=received_from,
        received_at=now,
    )
    event_append(
        taxpayer=locked,
        type="stock.received",
        actor=actor,
        at=now,
        payload={
            "channel": channel.pk,
            "kind": kind.value,
            "code": code,
            "first": first,
            "last": last,
            "from": received_from,
        },
    )
    return segment


def _allocate(
    *, taxpayer: Taxpayer, channel: Channel, kind: InvoiceKind, issued_on: date
) -> tuple[str, str]:
    """The next code and number of the channel; the caller holds the taxpayer's lock."""
    return _allocate_later(
        taxpayer_id=taxpayer.pk, channel=channel, kind=kind, issued_on=issued_on
    )(taxpayer)


def _allocate_later(
    *, taxpayer_id: int, channel: Channel, kind: InvoiceKind, issued_on: date
) -> Callable[[Taxpayer], tuple[str, str]]:
    """:func:`_allocate` asked now (see :func:`fastsql.ask`); the function returned reads the
    answer and makes the code and number with the locked taxpayer (refused without stock)."""
    if spec(kind).digital:
        block = statements.digital_ask(channel_id=channel.pk, year=issued_on.year)

        def digital(locked: Taxpayer) -> tuple[str, str]:
            found = block()
            if found is None:
                raise NumbersUsedUp(USED_UP_MESSAGE, field="channel")
            prefix, sequence = found
            return "", f"{prefix}{sequence:015d}"

        return digital
    taken = statements.number_ask(channel_id=channel.pk, kind=kind)

    def device(locked: Taxpayer) -> tuple[str, str]:
        found = taken()
        if found is None:
            raise IssueRefused(NO_STOCK_MESSAGE, field="kind")
        code, sequence = found
        return code, format_number(sequence)

    return device


def check_channel(
    *, channel: Channel, kind: InvoiceKind, amount: Decimal, issued_at: datetime
) -> None:
    """Refuse what the channel may not issue now: wrong kind, lock date, limits, credit."""
    if spec(kind).channel.value != channel.type:
        raise IssueRefused(Text("{0}不能通过该开票渠道开具", spec(kind).name), field="channel")
    if channel.type == ChannelType.DIGITAL:
        if channel.monthly_credit is not None:
            month = local_date(issued_at).replace(day=1)
            channel_rules.check_credit(
                credit=channel.monthly_credit, used=credit_used(channel, month), amount=amount
            )
        return
    state = device_state(channel.pk, kind)
    if state.monitoring is None:
        raise IssueRefused(NO_MONITORING_MESSAGE, field="kind")
    channel_rules.check_device(
        state.monitoring,
        amount=amount,
        today=local_date(issued_at),
        oldest_unuploaded=state.oldest_waiting,
        unuploaded_amount=state.waiting_amount,
        now=issued_at,
    )


def invoice_issue(
    *,
    taxpayer: Taxpayer,
    channel: Channel,
    data: dict[str, Any],
    request_id: str | None,
    actor: str,
    issued_at: datetime | None = None,
    now: datetime | None = None,
) -> Invoice:
    """Issue a blue invoice from ``data`` (the draft as JSON); idempotent on ``request_id``."""
    now = now or timezone.now()
    issued_at = issued_at or now
    if issued_at > now:
        raise IssueRefused(FUTURE_MESSAGE, field="issued_at")
    content = digest({"channel": channel.pk, "data": data})

    def staged(seller: Taxpayer) -> Staged:
        draft = draft_from_data(data, taxpayer=seller)
        return _stage(
            channel=channel,
            draft=draft,
            computed=validate_draft(draft, taxpayer_kind=TaxpayerKind(seller.kind)),
            issued_at=issued_at,
            content=content,
            request_id=request_id,
            contact=contact_from_data(data),
        )

    # Whatever the lock does not decide is done before it: the draft checked, the invoice and
    # its lines made (on PostgreSQL the lines are even written, in the transaction, before the
    # lock is asked for), so that concurrent issuers of a taxpayer queue only for the number,
    # the signature and the writes. Again under the lock if the profile changed. A refusal is
    # raised under the lock, where a replay of an issued request is recognised.
    try:
        before: Staged | DomainError = staged(taxpayer)
    except DomainError as refused:
        before = refused

    def run() -> Invoice:
        with fastsql.pipeline():
            ours = channel.taxpayer_id == taxpayer.pk
            ready = before if isinstance(before, Staged) and ours else None
            if ready is not None:
                _lines_write_early(ready)
            lock = taxpayer_lock_later(taxpayer.pk)
            # asked after the lock, in its round trip: it runs once the lock is granted (never
            # before it, or issuers holding the lock would queue behind the counter's row)
            number = (
                None
                if ready is None
                else _allocate_later(
                    taxpayer_id=taxpayer.pk,
                    channel=channel,
                    kind=ready.draft.kind,
                    issued_on=ready.invoice.issued_on,
                )
            )
            locked = lock()
            if not ours:
                raise IssueRefused("开票渠道不属于该纳税人", field="channel")
            if ready is None or number is None:  # the draft was refused before the lock
                raise cast(DomainError, before)
            if ready.draft.seller != seller_of(locked) or locked.kind != taxpayer.kind:
                ready = _restage(ready, staged(locked))
            check_channel(
                channel=channel,
                kind=ready.draft.kind,
                amount=ready.computed.totals.amount,
                issued_at=issued_at,
            )
            invoice = _store_staged(
                taxpayer=locked, channel=channel, staged=ready, numbered=number(locked),
                actor=actor,
            )  # fmt: skip
        # sent by the worker once this transaction commits, never if it rolls back
        if invoice.buyer_email:
            delivery_enqueue(locked, invoice, method="email", to=invoice.buyer_email, actor=actor)
        return invoice

    return with_numbers(
        channel, local_date(issued_at).year, actor,
        lambda: idempotent(taxpayer, request_id, content, run),
    )  # fmt: skip


def with_numbers(channel: Channel, year: int, actor: str, body: Callable[[], Invoice]) -> Invoice:
    """``body`` (which issues on ``channel``), once more after a block of 数电 numbers was
    received if the channel had none left for ``year`` (the worker keeps them ahead, so this
    happens to a new channel or after the authority was unreachable for long)."""
    try:
        return body()
    except NumbersUsedUp:
        digital_numbers_refill(channel, year, actor=actor)
        return body()


def invoice_preview(
    *, taxpayer: Taxpayer, channel: Channel, data: dict[str, Any], at: datetime | None = None
) -> tuple[Draft, Computed]:
    """What issuing ``data`` would give, checked by the same rules, without writing anything."""
    if channel.taxpayer_id != taxpayer.pk:
        raise IssueRefused("开票渠道不属于该纳税人", field="channel")
    draft = draft_from_data(data, taxpayer=taxpayer)
    contact_from_data(data)
    computed = validate_draft(draft, taxpayer_kind=TaxpayerKind(taxpayer.kind))
    check_channel(
        channel=channel, kind=draft.kind, amount=computed.totals.amount,
        issued_at=at or timezone.now(),
    )  # fmt: skip
    return draft, computed


def idempotent(
    taxpayer: Taxpayer,
    request_id: str | None,
    content: str,
    body: Callable[[], Invoice],
) -> Invoice:
    """Run ``body`` (which locks the taxpayer) in one transaction, once per ``request_id``: a
    replay returns the first invoice; the same id with other ``content`` is refused."""
    if request_id is not None and not 1 <= len(request_id) <= REQUEST_ID_MAX:
        raise BadRequestId(
            Text("请求号（request_id）应为1至{0}个字符", REQUEST_ID_MAX), field="request_id"
        )
    try:
        with transaction.atomic():
            return body()
    except IntegrityError:
        # the request was issued before (or by a concurrent replay): the unique request_id
        # refused the second invoice and the transaction rolled back; answer with the first
        if request_id is None:
            raise
        return _replay(taxpayer, request_id, content)
    except DomainError:
        # a replay of an issued request answers with its invoice, whatever changed since
        # (stock used up, lock date passed …)
        if request_id is not None and (
            replay := Invoice.objects.filter(taxpayer=taxpayer, request_id=request_id).first()
        ):
            return _replay(taxpayer, request_id, content, replay)
        raise


def _replay(
    taxpayer: Taxpayer, request_id: str, content: str, existing: Invoice | None = None
) -> Invoice:
    existing = existing or Invoice.objects.get(taxpayer=taxpayer, request_id=request_id)
    if existing.content_hash != content:
        raise IdempotencyConflict("该请求号已用于内容不同的开票请求", field="request_id")
    return existing


def invoice_store(**fields: Any) -> Invoice:
    """Number, sign and store a validated invoice with its event; the caller holds the lock
    of ``taxpayer`` and has checked the channel. On PostgreSQL the statements run pipelined:
    the invoice's key travels with its number and the writes go in one round trip (only
    fastsql statements run inside: an ORM update would miss its row count there)."""
    with fastsql.pipeline():
        return _store(**fields)


@dataclass
class Staged:
    """An invoice made before the taxpayer's lock: all of it but what the lock decides (code,
    number, check code, QR code, signature, ledger). Its lines may be written already."""

    draft: Draft
    computed: Computed
    invoice: Invoice
    lines: list[InvoiceLine]
    lines_written: bool = False


def _stage(
    *,
    channel: Channel,
    draft: Draft,
    computed: Computed,
    issued_at: datetime,
    content: str,
    request_id: str | None = None,
    blue: Invoice | None = None,
    red_reason: str = "",
    red_form: RedForm | None = None,
    blue_indices: list[int] | None = None,
    contact: tuple[str, str] = ("", ""),
) -> Staged:
    totals = computed.totals
    invoice = Invoice(
        taxpayer_id=channel.taxpayer_id,
        channel=channel,
        kind=draft.kind,
        issued_at=issued_at,
        issued_on=local_date(issued_at),
        red=blue is not None,
        blue=blue,
        red_reason=red_reason,
        red_form=red_form,
        mode=draft.mode,
        seller=asdict(draft.seller),
        buyer=asdict(draft.buyer),
        buyer_name=draft.buyer.name,
        buyer_email=contact[0],
        buyer_mobile=contact[1],
        remarks=draft.remarks,
        payee=draft.payee,
        reviewer=draft.reviewer,
        drawer=draft.drawer,
        amount=totals.amount,
        tax=totals.tax,
        total=totals.total,
        request_id=request_id,
        content_hash=content,
    )
    lines = [
        InvoiceLine(
            index=index,
            name=line.name,
            short_name=line.short_name,
            tax_code=line.tax_code,
            spec=line.spec,
            unit=line.unit,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            rate=line.rate.key,
            tax=line.tax,
            discount=line.discount,
            blue_index=None if blue_indices is None else blue_indices[index],
        )
        for index, line in enumerate(computed.lines)
    ]
    return Staged(draft, computed, invoice, lines)


def _lines_write_early(staged: Staged) -> None:
    """On PostgreSQL, take the invoice's key and write its lines now, in the transaction but
    before the taxpayer's lock is asked for: their foreign key is checked at commit, when the
    invoice row is there. Elsewhere nothing happens (the lines follow the invoice)."""
    key = fastsql.reserve_key(Invoice)()
    if key is None:
        return
    staged.invoice.pk = key
    for line in staged.lines:
        line.invoice_id = key
    fastsql.insert(staged.lines, keys=False)  # nothing refers to a line by its id
    staged.lines_written = True


def _restage(old: Staged, new: Staged) -> Staged:
    """``new`` (made again under the lock, the profile having changed) in place of ``old``:
    same key, and the lines ``old`` wrote early taken back."""
    if old.lines_written:
        table = connection.ops.quote_name(InvoiceLine._meta.db_table)
        fastsql.execute(f"DELETE FROM {table} WHERE invoice_id = %s", [old.invoice.pk])  # noqa: S608
    new.invoice.pk = old.invoice.pk
    return new


def _store(*, taxpayer: Taxpayer, actor: str, **fields: Any) -> Invoice:
    staged = _stage(**fields)
    key_of_invoice = fastsql.reserve_key(Invoice)  # read with the number: one round trip
    numbered = _allocate(
        taxpayer=taxpayer,
        channel=fields["channel"],
        kind=staged.draft.kind,
        issued_on=staged.invoice.issued_on,
    )
    staged.invoice.pk = key_of_invoice()
    return _store_staged(
        taxpayer=taxpayer, channel=fields["channel"], staged=staged, numbered=numbered,
        actor=actor,
    )  # fmt: skip


def _store_staged(
    *, taxpayer: Taxpayer, channel: Channel, staged: Staged, numbered: tuple[str, str], actor: str
) -> Invoice:
    """Number, sign and write ``staged``, with its event, upload row and credit use; the
    caller holds the lock of ``taxpayer`` and has checked the channel."""
    invoice, lines, totals = staged.invoice, staged.lines, staged.computed.totals
    invoice.taxpayer = taxpayer
    invoice.code, invoice.number = numbered
    item = spec(staged.draft.kind)
    if item.has_check_code:
        invoice.check_code = check_code(
            key=bytes(taxpayer.secret),
            code=invoice.code,
            number=invoice.number,
            issued_on=invoice.issued_on,
            seller_id=taxpayer.tax_id,
            total=totals.total,
        )
    invoice.qr = build_qr(
        kind=staged.draft.kind,
        code=invoice.code,
        number=invoice.number,
        amount=totals.total if item.qr_amount_includes_tax else totals.amount,
        issued_on=invoice.issued_on,
        check_code=invoice.check_code,
    )
    invoice.signing_key = key = active_key(taxpayer)
    content_digest = invoice_digest(invoice, lines)
    invoice.signature = sign(key, content_digest.encode())
    fastsql.insert([invoice])
    if not staged.lines_written:
        for line in lines:
            line.invoice = invoice
        fastsql.insert(lines, keys=False)  # nothing refers to a line by its id
    fastsql.remember(invoice, "lines", lines)
    blue = invoice.blue
    payload: dict[str, Any] = {
        "number": str(invoice),
        "total": str(totals.total),
        "status": invoice.status,
        "digest": content_digest,
    }
    if blue is not None:
        payload["blue"] = str(blue)
    event_append(
        taxpayer=taxpayer,
        type="invoice.red_issued" if blue is not None else "invoice.issued",
        actor=actor,
        at=invoice.issued_at,
        invoice=invoice,
        payload=payload,
    )
    upload_enqueue(taxpayer, invoice, at=invoice.issued_at, voided=False)
    if channel.type == ChannelType.DIGITAL:
        statements.credit_add(
            channel_id=channel.pk, month=invoice.issued_on.replace(day=1), amount=totals.amount
        )
    return invoice


DELIVERY_METHODS = {"email": "邮件", "sms": "短信"}


def delivery_enqueue(
    locked: Taxpayer, invoice: Invoice, *, method: str, to: str, actor: str, **extra: Any
) -> None:
    """Queue sending the invoice by ``method`` (email, sms) to ``to``, with its event, in the
    caller's transaction (the taxpayer is locked)."""
    job = job_enqueue(
        f"deliver.{method}", {"invoice": invoice.pk, "to": to, "actor": actor, **extra}
    )
    event_append(
        taxpayer=locked,
        type="delivery.queued",
        actor=actor,
        at=timezone.now(),
        invoice=invoice,
        payload={"number": str(invoice), "method": method, "to": to, "job": job.pk},
    )


def stock_request(*, channel: Channel, kind: InvoiceKind, count: int, actor: str) -> StockSegment:
    """领用: ask the authority for ``count`` numbers of ``kind`` and receive the segment."""
    if channel.type != ChannelType.DEVICE or spec(kind).channel is not ChannelType.DEVICE:
        raise IssueRefused(Text("{0}不能领入该渠道", spec(kind).name), field="kind")
    taxpayer = channel.taxpayer
    grant = authority_client().grant_stock(
        tax_id=taxpayer.tax_id,
        name=taxpayer.name,
        region=taxpayer.region,
        device_number=channel.device_number,
        kind=kind,
        count=count,
    )
    return stock_receive(
        channel=channel,
        kind=kind,
        code=grant["code"],
        first=int(grant["first"]),
        last=int(grant["last"]),
        received_from=f"税务机关发票领用#{grant['grant']}",
        actor=actor,
    )


def credit_request(*, channel: Channel, actor: str) -> Channel:
    """Take the monthly 授信额度 the authority has set for the taxpayer."""
    if channel.type != ChannelType.DIGITAL:
        raise IssueRefused("只有数电渠道有授信额度", field="channel")
    credit = authority_client().credit(tax_id=channel.taxpayer.tax_id)
    if credit is None:
        raise IssueRefused("税务机关尚未核定授信额度", field="monthly_credit")
    return credit_set(channel=channel, monthly_credit=credit, source="税务机关核定", actor=actor)
