from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandParser
from django.utils import timezone

from fapiao.cli.base import FapiaoCommand, table
from fapiao.closing.certificate import certificate_pdf
from fapiao.closing.clearing import (
    clearing_apply,
    clearing_as_dict,
    clearing_refresh,
    clearing_state,
    state_as_dict,
)
from fapiao.closing.filing import period_declare, period_report
from fapiao.closing.models import Clearing
from fapiao.closing.services import CONFIRM_PURPOSE, period_from
from fapiao.core.clock import local_date
from fapiao.domain.closing import ClosingRefused
from fapiao.domain.money import optional_money, parse_money
from fapiao.domain.periods import ClearingType
from fapiao.invoicing.selectors import NotFound, channel_find
from fapiao.security.services import confirm_send


class Command(FapiaoCommand):
    help = (
        "申报与清卡：status 状态与不能清卡的原因；report 抄报；declare 申报；"
        "clear 清卡（先发送验证码，再以 --code 确认）；refresh 查询审核结果；certificate 清卡凭证"
    )

    def arguments(self, parser: CommandParser) -> None:
        def scoped(sub: CommandParser) -> None:
            sub.add_argument("--channel", help="设备渠道（只有一个设备时可省略）")
            sub.add_argument("--period", help="所属期 YYYY-MM（默认：上一期）")

        def declare(sub: CommandParser) -> None:
            sub.add_argument("--period")
            sub.add_argument("--sales", required=True, help="申报销售额（不含税）")
            sub.add_argument("--input-tax", help="进项税额（默认：本期勾选抵扣的税额）")
            sub.add_argument("--explain", default="", help="比对不通过时的说明")

        def clear(sub: CommandParser) -> None:
            scoped(sub)
            sub.add_argument("--type", choices=[t.value for t in ClearingType])
            sub.add_argument("--user", required=True, help="确认清卡的用户（接收验证码）")
            sub.add_argument("--code", help="收到的验证码")

        def number(sub: CommandParser) -> None:
            sub.add_argument("number", help="清卡申请编号")

        def certificate(sub: CommandParser) -> None:
            number(sub)
            sub.add_argument("--out", type=Path, required=True)

        self.subcommands(parser, status=scoped, report=scoped, declare=declare, clear=clear,
                         refresh=number, certificate=certificate)  # fmt: skip

    def run(self, **options: Any) -> tuple[Any, str]:
        taxpayer = self.taxpayer(options)
        actor = self.actor(options)
        now = timezone.now()
        today = local_date(now)
        action = options["action"]
        if action in ("refresh", "certificate"):
            clearing = Clearing.objects.filter(taxpayer=taxpayer, number=options["number"]).first()
            if clearing is None:
                raise NotFound(f"清卡申请{options['number']}不存在", field="number")
            if action == "refresh":
                clearing = clearing_refresh(clearing)
                return clearing_as_dict(
                    clearing
                ), f"{clearing.number}：{clearing.get_status_display()}"
            content = certificate_pdf(clearing)
            options["out"].write_bytes(content)
            return {"path": str(options["out"]), "bytes": len(content)}, (
                f"已保存 {options['out']}（{len(content)} 字节）"
            )
        period = period_from(taxpayer, options.get("period"), today)
        if action == "declare":
            declaration = period_declare(
                taxpayer=taxpayer, period=period, actor=actor,
                declared_sales=parse_money(options["sales"], field="sales", label="申报销售额"),
                input_tax=optional_money(options["input_tax"], field="input_tax", label="进项税额"),
                explanation=options["explain"],
            )  # fmt: skip
            result = declaration.result
            ok = "通过" if result["comparison_ok"] else "不通过"
            return result, (
                f"{period.label}申报：销项税额{result['output_tax']}，进项税额{result['input_tax']}，"
                f"应纳税额{result['payable']}；比对{ok}"
            )
        channel = channel_find(taxpayer, options.get("channel"), device=True)
        if action == "report":
            report = period_report(channel=channel, period=period, actor=actor)
            rows = [[row["name"], str(row["blue_count"]), str(row["red_count"]),
                     str(row["void_count"]), row["net_amount"], row["net_tax"]]
                    for row in report.summary["kinds"].values()]  # fmt: skip
            return report.summary, f"{channel.name}{period.label}已抄报\n" + table(rows)
        if action == "clear":
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise NotFound(f"用户{options['user']}不存在", field="user")
            kind = ClearingType(options["type"]) if options.get("type") else None
            if not options.get("code"):
                view = clearing_state(channel, period, today=today, clearing_type=kind)
                if view.blockers:
                    raise ClosingRefused("不能清卡：" + "；".join(view.blockers), field="period")
                where = confirm_send(user, purpose=CONFIRM_PURPOSE)
                return {"sent": where}, f"验证码已发送至{where}，请加 --code 再次执行以确认清卡"
            clearing = clearing_apply(
                channel=channel, period=period, user=user, code=options["code"], actor=actor,
                clearing_type=kind,
            )  # fmt: skip
            return clearing_as_dict(clearing), (
                f"{clearing.number}：{clearing.get_status_display()}"
                + (f"，开票截止日期 {clearing.lock_date}" if clearing.lock_date else "")
            )
        view = clearing_state(channel, period, today=today)
        data = state_as_dict(view)
        can = "可以清卡" if not view.blockers else "不能清卡：" + "；".join(view.blockers)
        text = (
            f"{channel.name} {period.label}（{view.clearing_type.value}，征期"
            f"{view.window.opens:%m-%d}至{view.window.closes:%m-%d}）：{can}"
        )
        return data, text
