"""Taxpayers and their channels: profiles, devices and 数电 channels, monitoring data, stock
received or asked of the authority, credit lines. Each is one transaction with its event."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypedDict

from django.db import transaction
from django.utils import timezone

from fapiao.authority.client import authority_client
from fapiao.domain import channels as channel_rules
from fapiao.domain.errors import Text
from fapiao.domain.invoice import Party, check_party
from fapiao.domain.kinds import ChannelType, DeviceKind, InvoiceKind, spec
from fapiao.domain.numbering import parse_code
from fapiao.domain.periods import Cycle
from fapiao.domain.rates import TaxpayerKind
from fapiao.domain.regions import region_name
from fapiao.domain.taxpayer_id import validate_uscc
from fapiao.invoicing.errors import IssueRefused
from fapiao.invoicing.keys import key_create
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import (
    Channel,
    Monitoring,
    StockSegment,
    Taxpayer,
)

PROFILE_FIELDS = ("name", "address", "phone", "bank", "account", "kind", "cycle", "region")


class ProfileChanges(TypedDict, total=False):
    """The profile fields a change may name (the 统一社会信用代码 is not one of them)."""

    name: str
    address: str
    phone: str
    bank: str
    account: str
    kind: str
    cycle: str
    region: str


def profile_clean(values: dict[str, Any]) -> dict[str, Any]:
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
    values = profile_clean(
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
def taxpayer_update(*, taxpayer: Taxpayer, actor: str, changes: ProfileChanges) -> Taxpayer:
    """Change profile fields (not the 统一社会信用代码); the event lists what changed. A name
    that is no profile field (from a command line) is refused."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise IssueRefused(
            Text("不能修改：{0}", "、".join(sorted(unknown))), field=sorted(unknown)[0]
        )
    locked = taxpayer_lock(taxpayer.pk)
    values = profile_clean(
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
