from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from fapiao.authority import checking, grants, keyring, reviews
from fapiao.cli.base import FapiaoCommand, table
from fapiao.domain.money import parse_money


class Command(FapiaoCommand):
    help = (
        "税务机关端：credit 核定授信额度；risks 风险事件；key 税务机关公钥；"
        "clearings 待审核的清卡申请；approve / reject 审核"
    )
    taxpayer_scoped = False

    def arguments(self, parser: CommandParser) -> None:
        def credit(sub: CommandParser) -> None:
            sub.add_argument("--tax-id", required=True)
            sub.add_argument("--name", required=True)
            sub.add_argument("--amount", required=True, help="月授信额度（不含税）")

        def decide(sub: CommandParser) -> None:
            sub.add_argument("number", help="清卡申请编号")
            sub.add_argument("--reason", default="", help="原因（驳回时必填）")

        self.subcommands(
            parser, credit=credit, risks=lambda sub: None, key=lambda sub: None,
            clearings=lambda sub: None, approve=decide, reject=decide,
        )  # fmt: skip

    def run(self, **options: Any) -> tuple[Any, str]:
        action = options["action"]
        if action == "credit":
            amount = parse_money(options["amount"], field="amount", label="授信额度")
            taxpayer = grants.set_credit(
                tax_id=options["tax_id"], name=options["name"], monthly_credit=amount
            )
            data = {"tax_id": taxpayer.tax_id, "monthly_credit": str(amount)}
            return data, f"{taxpayer}的月授信额度为{amount}元"
        if action in ("approve", "reject"):
            application = reviews.clearing_decide(
                number=options["number"], approve=action == "approve",
                reason=options["reason"], actor=f"税务机关 {self.actor(options)}",
            )  # fmt: skip
            data = {"number": application.number, "status": application.status,
                    "reason": application.reason}  # fmt: skip
            return data, f"{application.number}：{application.get_status_display()}"
        if action == "clearings":
            pending = [
                {"number": a.number, "taxpayer": str(a.taxpayer), "device": a.device_number,
                 "period_start": a.period_start.isoformat(), "findings": a.findings}
                for a in reviews.clearings_pending()
            ]  # fmt: skip
            rows = [[p["number"], p["taxpayer"], p["period_start"][:7], "；".join(p["findings"])]
                    for p in pending]  # fmt: skip
            return pending, table(rows)
        if action == "key":
            key = keyring.public_key()
            return key, f"{key['algorithm']} {key['public_key']}"
        found = checking.risks()
        data = [
            {"at": r.at.isoformat(), "kind": r.kind, "taxpayer": str(r.taxpayer or ""),
             "detail": r.detail}
            for r in found
        ]  # fmt: skip
        rows = [[d["at"][:19], d["kind"], d["taxpayer"], str(d["detail"])] for d in data]
        return data, table(rows)
