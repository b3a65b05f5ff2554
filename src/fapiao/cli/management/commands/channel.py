from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from fapiao.cli.base import FapiaoCommand, table
from fapiao.core.clock import local_date
from fapiao.domain.kinds import ChannelType, DeviceKind, InvoiceKind, parse_kind, spec
from fapiao.domain.money import parse_money
from fapiao.invoicing.selectors import channel_as_dict, channel_find
from fapiao.invoicing.taxpayers import (
    channel_create,
    credit_request,
    credit_set,
    monitoring_set,
    stock_receive,
    stock_request,
)


def _money(value: str, field: str, label: str) -> Any:
    return parse_money(value, field=field, label=label)


class Command(FapiaoCommand):
    help = (
        "开票渠道：list；add-device / add-digital 登记；stock-request 向税务机关领用发票；"
        "stock 登记已领入的发票；monitoring 写入监控数据；credit-request 取税务机关核定的授信额度；"
        "credit 设置授信额度"
    )

    def arguments(self, parser: CommandParser) -> None:
        def add_device(sub: CommandParser) -> None:
            sub.add_argument("--name", required=True)
            sub.add_argument("--number", required=True, help="12位设备编号")
            sub.add_argument("--device-kind", choices=[k.value for k in DeviceKind], required=True)

        def add_digital(sub: CommandParser) -> None:
            sub.add_argument("--name", required=True)
            sub.add_argument("--credit", help="月授信额度（不含税）")
            sub.add_argument("--channel-digit", default="0")

        def stock(sub: CommandParser) -> None:
            sub.add_argument("--channel")
            sub.add_argument("--kind", required=True)
            sub.add_argument("--code", required=True, help="发票代码")
            sub.add_argument("--first", type=int, required=True)
            sub.add_argument("--last", type=int, required=True)
            sub.add_argument("--from", dest="source", required=True, help="来源，如 领购单号")

        def stock_request(sub: CommandParser) -> None:
            sub.add_argument("--channel")
            sub.add_argument("--kind", required=True)
            sub.add_argument("--count", type=int, required=True, help="领用份数")

        def credit_request(sub: CommandParser) -> None:
            sub.add_argument("--channel")

        def monitoring(sub: CommandParser) -> None:
            sub.add_argument("--channel")
            sub.add_argument("--kind", required=True)
            sub.add_argument("--lock-date", type=date.fromisoformat, required=True)
            sub.add_argument("--single-limit", required=True)
            sub.add_argument("--offline-hours", type=int, required=True)
            sub.add_argument("--offline-amount", required=True)
            sub.add_argument("--from", dest="source", required=True)

        def credit(sub: CommandParser) -> None:
            sub.add_argument("--channel")
            sub.add_argument("--amount", required=True)
            sub.add_argument("--from", dest="source", required=True)

        self.subcommands(
            parser,
            list=lambda sub: None,
            add_device=add_device,
            add_digital=add_digital,
            stock=stock,
            stock_request=stock_request,
            monitoring=monitoring,
            credit_request=credit_request,
            credit=credit,
        )

    def run(self, **options: Any) -> tuple[Any, str]:
        taxpayer = self.taxpayer(options)
        actor = self.actor(options)
        today = local_date(timezone.now())
        action = options["action"]
        if action == "add-device":
            channel = channel_create(
                taxpayer=taxpayer,
                type=ChannelType.DEVICE,
                name=options["name"],
                device_number=options["number"],
                device_kind=DeviceKind(options["device_kind"]),
                actor=actor,
            )
        elif action == "add-digital":
            credit = options["credit"]
            channel = channel_create(
                taxpayer=taxpayer,
                type=ChannelType.DIGITAL,
                name=options["name"],
                channel_digit=options["channel_digit"],
                monthly_credit=_money(credit, "credit", "授信额度") if credit else None,
                actor=actor,
            )
        elif action == "stock":
            channel = channel_find(taxpayer, options["channel"])
            stock_receive(
                channel=channel,
                kind=parse_kind(options["kind"]),
                code=options["code"],
                first=options["first"],
                last=options["last"],
                received_from=options["source"],
                actor=actor,
            )
        elif action == "stock-request":
            channel = channel_find(taxpayer, options["channel"])
            stock_request(
                channel=channel,
                kind=parse_kind(options["kind"]),
                count=options["count"],
                actor=actor,
            )
        elif action == "credit-request":
            channel = channel_find(taxpayer, options["channel"])
            channel = credit_request(channel=channel, actor=actor)
        elif action == "monitoring":
            channel = channel_find(taxpayer, options["channel"])
            monitoring_set(
                channel=channel,
                kind=parse_kind(options["kind"]),
                lock_date=options["lock_date"],
                single_limit=_money(options["single_limit"], "single_limit", "单张发票限额"),
                offline_hours=options["offline_hours"],
                offline_amount=_money(options["offline_amount"], "offline_amount", "离线限额"),
                source=options["source"],
                actor=actor,
            )
        elif action == "credit":
            channel = channel_find(taxpayer, options["channel"])
            credit_set(
                channel=channel,
                monthly_credit=_money(options["amount"], "amount", "授信额度"),
                source=options["source"],
                actor=actor,
            )
        else:
            channels = [channel_as_dict(c, today=today) for c in taxpayer.channels.all()]
            rows = [[str(c["id"]), c["name"], _left(c)] for c in channels]
            return channels, table(rows)
        data = channel_as_dict(channel, today=today)
        return data, f"{channel.name}：{_left(data)}"


def _left(channel: dict[str, Any]) -> str:
    if channel["type"] == ChannelType.DIGITAL:
        left = channel["credit_left"]
        return "不限额度" if left is None else f"本月剩余授信 {left} 元"
    stock = "，".join(
        f"{spec(InvoiceKind(kind)).short_name} {count}张"
        for kind, count in channel["stock"].items()
    )
    return f"设备 {channel['device_number']}，库存：{stock or '无'}"
