from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from fapiao.cli.base import FapiaoCommand, table
from fapiao.domain import risk as rules
from fapiao.domain.notices import SEVERITY_LABELS
from fapiao.risk import selectors
from fapiao.risk.selectors import alert_facts
from fapiao.risk.services import alert_move, risk_evaluate


class Command(FapiaoCommand):
    help = (
        "风险预警：list 列出预警（--status live|open|acknowledged|resolved|dismissed）；"
        "ack 确认；resolve 解决（--note 必填）；dismiss 忽略；run 立即按全部规则检查一次"
    )

    def arguments(self, parser: CommandParser) -> None:
        def listing(sub: CommandParser) -> None:
            sub.add_argument("--status", default="live")
            sub.add_argument("--rule", choices=sorted(rules.RULES), default="")
            sub.add_argument("--limit", type=int, default=100)

        def one(sub: CommandParser) -> None:
            sub.add_argument("id", type=int)
            sub.add_argument("--note", default="", help="处理说明（解决时必填）")

        self.subcommands(
            parser, list=listing, ack=one, resolve=one, dismiss=one, run=lambda sub: None
        )

    def run(self, **options: Any) -> tuple[Any, str]:
        action = options["action"]
        if action == "run":
            touched = risk_evaluate()
            return {"alerts": [alert_facts(a) for a in touched]}, f"检查完成：{len(touched)}条预警"
        taxpayer = self.taxpayer(options)
        if action == "list":
            found = selectors.alerts_of(taxpayer, status=options["status"], rule=options["rule"])
            shown = [alert_facts(a) for a in found[: max(options["limit"], 1)]]
            lines = [
                [
                    str(a["id"]),
                    a["first_seen"][:16],
                    SEVERITY_LABELS.get(a["severity"], ""),
                    a["title"],
                    str(a["count"]),
                    rules.ALERT_STATUS_LABELS.get(a["status"], ""),
                ]
                for a in shown
            ]
            header = ["编号", "发现时间", "级别", "规则", "次数", "状态"]
            return {"alerts": shown}, table([header, *lines]) if lines else table([])
        to = {
            "ack": rules.AlertStatus.ACKNOWLEDGED,
            "resolve": rules.AlertStatus.RESOLVED,
            "dismiss": rules.AlertStatus.DISMISSED,
        }[action]
        alert = alert_move(
            alert=selectors.alert_get(taxpayer, options["id"]),
            to=to,
            actor=self.actor(options),
            note=options["note"],
        )
        return alert_facts(alert), f"预警#{alert.pk}：{rules.ALERT_STATUS_LABELS[alert.status]}"
