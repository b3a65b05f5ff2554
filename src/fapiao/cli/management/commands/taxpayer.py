from __future__ import annotations

from typing import Any, cast

from django.core.management.base import CommandParser
from django.utils import timezone

from fapiao.cli.base import FapiaoCommand, key_values, table
from fapiao.core.clock import local_date
from fapiao.domain.periods import Cycle
from fapiao.domain.rates import TaxpayerKind
from fapiao.invoicing.models import Taxpayer
from fapiao.invoicing.selectors import channel_as_dict
from fapiao.invoicing.taxpayers import ProfileChanges, taxpayer_create, taxpayer_update


def _as_dict(taxpayer: Taxpayer) -> dict[str, Any]:
    return {
        "name": taxpayer.name,
        "tax_id": taxpayer.tax_id,
        "kind": taxpayer.kind,
        "cycle": taxpayer.cycle,
        "region": taxpayer.region,
        "address": taxpayer.address,
        "phone": taxpayer.phone,
        "bank": taxpayer.bank,
        "account": taxpayer.account,
    }


class Command(FapiaoCommand):
    help = "纳税人：list 列出，add 登记，show 查看（含开票渠道）"
    taxpayer_scoped = False

    def arguments(self, parser: CommandParser) -> None:
        def add(sub: CommandParser) -> None:
            sub.add_argument("--name", required=True)
            sub.add_argument("--tax-id", required=True, help="统一社会信用代码")
            sub.add_argument(
                "--kind", choices=[k.value for k in TaxpayerKind], default=TaxpayerKind.GENERAL
            )
            sub.add_argument("--cycle", choices=[c.value for c in Cycle], default=Cycle.MONTHLY)
            sub.add_argument("--region", required=True, help="地区代码，如 42 或 4201")
            for name in ("address", "phone", "bank", "account"):
                sub.add_argument(f"--{name}", default="")
            sub.add_argument("--actor")

        def show(sub: CommandParser) -> None:
            sub.add_argument("tax_id")

        def update(sub: CommandParser) -> None:
            sub.add_argument("tax_id")
            sub.add_argument(
                "fields",
                nargs="+",
                help="名称=值：name、address、phone、bank、account、kind、cycle、region",
            )
            sub.add_argument("--actor")

        self.subcommands(parser, list=lambda sub: None, add=add, show=show, update=update)

    def run(self, **options: Any) -> tuple[Any, str]:
        action = options["action"]
        if action == "add":
            taxpayer = taxpayer_create(
                name=options["name"],
                tax_id=options["tax_id"],
                kind=TaxpayerKind(options["kind"]),
                region=options["region"],
                address=options["address"],
                phone=options["phone"],
                bank=options["bank"],
                account=options["account"],
                cycle=Cycle(options["cycle"]),
                actor=self.actor(options),
            )
            return _as_dict(taxpayer), f"已登记纳税人：{taxpayer}"
        if action == "update":
            taxpayer = taxpayer_update(
                taxpayer=self.taxpayer({"taxpayer": options["tax_id"]}),
                actor=self.actor(options),
                changes=cast(ProfileChanges, key_values(options["fields"])),  # checked there
            )
            return _as_dict(taxpayer), f"已更新纳税人：{taxpayer}"
        if action == "show":
            taxpayer = self.taxpayer({"taxpayer": options["tax_id"]})
            today = local_date(timezone.now())
            data = _as_dict(taxpayer)
            data["channels"] = [channel_as_dict(c, today=today) for c in taxpayer.channels.all()]
            text = "\n".join(f"{key}: {value}" for key, value in data.items() if key != "channels")
            text += "\n开票渠道：" + "、".join(c["name"] for c in data["channels"])
            return data, text
        taxpayers = list(Taxpayer.objects.order_by("name"))
        rows = [[t.tax_id, t.name, TaxpayerKind(t.kind).label] for t in taxpayers]
        return [_as_dict(t) for t in taxpayers], table(rows)
