from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.approvals import selectors
from fapiao.approvals.services import (
    request_approve,
    request_reject,
    request_submit,
    request_withdraw,
    rule_set,
)
from fapiao.cli.base import FapiaoCommand, table
from fapiao.domain.approval import STATUS_LABELS, RequestStatus
from fapiao.domain.money import parse_money
from fapiao.invoicing.selectors import channel_find


class Command(FapiaoCommand):
    help = (
        "开票申请：list 列出（--status pending|issued|rejected|withdrawn）；show 查看；"
        "submit 提交草稿（--file，--request-id 为自己的请求号）；approve 通过并开具；"
        "reject 驳回（--reason 必填）；withdraw 撤回；"
        "rule 查看或设置审批规则（--mode off|all|over --over 金额 --kind 种类）"
    )

    def arguments(self, parser: CommandParser) -> None:
        def listing(sub: CommandParser) -> None:
            sub.add_argument("--status", default="")

        def one(sub: CommandParser) -> None:
            sub.add_argument("id", type=int)

        def reject(sub: CommandParser) -> None:
            one(sub)
            sub.add_argument("--reason", default="", help="驳回原因（必填）")

        def submit(sub: CommandParser) -> None:
            sub.add_argument("--file", required=True, help="JSON 草稿（同 fapiao issue）")
            sub.add_argument("--channel", default=None)
            sub.add_argument("--request-id", default=None)

        def rule(sub: CommandParser) -> None:
            sub.add_argument("--mode", choices=["off", "all", "over"], default=None)
            sub.add_argument("--over", default="", help="价税合计超过此金额时需要审批")
            sub.add_argument("--kind", action="append", default=[], help="总是需要审批的种类")

        self.subcommands(
            parser,
            list=listing,
            show=one,
            submit=submit,
            approve=one,
            reject=reject,
            withdraw=one,
            rule=rule,
        )

    def run(self, **options: Any) -> tuple[Any, str]:
        action = options["action"]
        taxpayer = self.taxpayer(options)
        actor = self.actor(options)
        if action == "list":
            found = [
                selectors.request_as_dict(r)
                for r in selectors.requests_of(taxpayer, status=options["status"])[:200]
            ]
            rows = [
                [
                    str(r["id"]),
                    r["submitted_at"][:16],
                    r["request_id"],
                    r["buyer"],
                    r["total"],
                    r["status_label"],
                ]
                for r in found
            ]
            header = ["编号", "提交时间", "请求号", "购买方", "价税合计", "状态"]
            return {"requests": found}, table([header, *rows]) if rows else table([])
        if action == "rule":
            if options["mode"] is None:
                rule = selectors.rule_as_dict(taxpayer)
                return rule, f"审批规则：{rule['mode_label']}"
            over: Decimal | None = (
                parse_money(options["over"], field="over", label="审批金额")
                if options["over"]
                else None
            )
            changed = rule_set(
                taxpayer=taxpayer,
                mode=options["mode"],
                over=over,
                kinds=options["kind"],
                actor=actor,
            )
            rule = selectors.rule_as_dict(changed)
            return rule, f"审批规则已保存：{rule['mode_label']}"
        if action == "submit":
            try:
                data = json.loads(Path(options["file"]).read_text("utf-8"))
            except (OSError, ValueError) as error:
                raise CommandError(f"无法读取草稿文件：{error}", returncode=2) from None
            if not isinstance(data, dict):
                raise CommandError("草稿应为JSON对象", returncode=2)
            channel = channel_find(taxpayer, options["channel"] or data.pop("channel", None))
            data.pop("request_id", None)
            made = request_submit(
                taxpayer=taxpayer,
                channel=channel,
                data=data,
                actor=actor,
                request_id=options["request_id"],
            )
            return selectors.request_as_dict(
                made
            ), f"已提交开票申请 {made.request_id}（编号{made.pk}）"
        found = selectors.request_get(taxpayer, options["id"])
        if action == "approve":
            found = request_approve(request=found, actor=actor)
        elif action == "reject":
            found = request_reject(request=found, reason=options["reason"], actor=actor)
        elif action == "withdraw":
            found = request_withdraw(request=found, actor=actor)
        data = selectors.request_as_dict(found)
        label = STATUS_LABELS[RequestStatus(found.status)]
        invoice = f"，发票 {found.invoice}" if found.invoice else ""
        return data, f"开票申请 {found.request_id}：{label}{invoice}"
