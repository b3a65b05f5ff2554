from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.cli.base import FapiaoCommand, table
from fapiao.invoicing.selectors import channel_find
from fapiao.orders import selectors
from fapiao.orders.services import order_cancel, order_create, order_relink


class Command(FapiaoCommand):
    help = (
        "扫码开票：create 从JSON文件生成订单（order_no、kinds、lines、mode、remarks、days），"
        "显示一次开票链接；list 列出订单；show 查看；cancel 取消；relink 重新生成链接"
    )

    def arguments(self, parser: CommandParser) -> None:
        def create(sub: CommandParser) -> None:
            sub.add_argument("--file", required=True, help="订单的JSON文件")
            sub.add_argument("--channel", default=None)

        def one(sub: CommandParser) -> None:
            sub.add_argument("id", type=int)

        self.subcommands(
            parser, create=create, list=lambda sub: None, show=one, cancel=one, relink=one
        )

    def run(self, **options: Any) -> tuple[Any, str]:
        action = options["action"]
        taxpayer = self.taxpayer(options)
        actor = self.actor(options)
        if action == "create":
            try:
                data = json.loads(Path(options["file"]).read_text("utf-8"))
            except (OSError, ValueError) as error:
                raise CommandError(f"无法读取订单文件：{error}", returncode=2) from None
            if not isinstance(data, dict):
                raise CommandError("订单应为JSON对象", returncode=2)
            made = order_create(
                taxpayer=taxpayer,
                channel=channel_find(taxpayer, options["channel"]),
                order_no=str(data.get("order_no", "")),
                lines=list(data.get("lines") or []),
                kinds=list(data.get("kinds") or []),
                mode=str(data.get("mode", "inclusive")),
                remarks=str(data.get("remarks", "")),
                days=int(data.get("days", 30)),
                actor=actor,
            )
            shown = {**selectors.order_as_dict(made.order), "url": made.url}
            return shown, f"订单 {made.order.order_no}：开票链接（只显示这一次）{made.url}"
        if action == "list":
            found = [selectors.order_as_dict(o) for o in selectors.orders_of(taxpayer)[:200]]
            rows = [
                [str(o["id"]), o["created_at"][:16], o["order_no"], o["total"], o["status_label"]]
                for o in found
            ]
            header = ["编号", "创建时间", "订单号", "价税合计", "状态"]
            return {"orders": found}, table([header, *rows]) if rows else table([])
        order = selectors.order_get(taxpayer, options["id"])
        if action == "cancel":
            order = order_cancel(order=order, actor=actor)
        elif action == "relink":
            made = order_relink(order=order, actor=actor)
            return {
                **selectors.order_as_dict(made.order),
                "url": made.url,
            }, f"新的开票链接：{made.url}"
        data = selectors.order_as_dict(order)
        return data, f"订单 {order.order_no}：{data['status_label']}，价税合计 {data['total']}"
