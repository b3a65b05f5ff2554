from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.cli.base import FapiaoCommand
from fapiao.domain.lifecycle import RedReason
from fapiao.domain.money import parse_money, parse_price
from fapiao.domain.red import Pick
from fapiao.invoicing.corrections import BUYER, SELLER
from fapiao.invoicing.red_forms import red_form_cancel, red_form_confirm, red_form_create
from fapiao.invoicing.red_invoices import invoice_issue_red
from fapiao.invoicing.selectors import (
    invoice_as_dict,
    invoice_find,
    red_form_as_dict,
    red_form_find,
)

REASONS = [reason.value for reason in RedReason]


def parse_pick(text: str) -> Pick:
    """``3`` (all of line 3), ``3:quantity=2`` or ``3:amount=100.00``; lines count from 1."""
    head, _, rest = text.partition(":")
    if not (head.isascii() and head.isdigit() and len(head) <= 6) or int(head) < 1:
        raise CommandError(
            f"--line 应为行号（从1开始），如 2 或 2:quantity=1：{text}", returncode=2
        )
    index = int(head) - 1
    if not rest:
        return Pick(index)
    name, _, value = rest.partition("=")
    if name == "quantity":
        return Pick(
            index, quantity=parse_price(value, field=f"lines.{index}.quantity", label="数量")
        )
    if name == "amount":
        return Pick(index, amount=parse_money(value, field=f"lines.{index}.amount", label="金额"))
    raise CommandError(f"--line 只能指定 quantity= 或 amount=：{text}", returncode=2)


class Command(FapiaoCommand):
    help = (
        "红字：form 提出信息表/确认单；confirm 对方确认；cancel 撤销；"
        "issue 开具红字发票（全额，或用 --line 部分红冲）"
    )

    def arguments(self, parser: CommandParser) -> None:
        def blue(sub: CommandParser) -> None:
            sub.add_argument("number", help="蓝字发票号码（或 代码+号码）")
            sub.add_argument("--code", default="")
            sub.add_argument(
                "--line",
                action="append",
                dest="picks",
                help="部分红冲的行：2、2:quantity=1、2:amount=100",
            )

        def form(sub: CommandParser) -> None:
            blue(sub)
            sub.add_argument("--reason", choices=REASONS, required=True)
            sub.add_argument("--raised-by", choices=[SELLER, BUYER], default=SELLER)
            sub.add_argument(
                "--buyer-booked", action="store_true", help="购买方已用途确认或入账，须对方确认"
            )

        def issue(sub: CommandParser) -> None:
            blue(sub)
            sub.add_argument("--reason", choices=REASONS)
            sub.add_argument("--form", help="信息表/确认单编号（专票、数电票必填）")
            sub.add_argument("--request-id")

        def confirm(sub: CommandParser) -> None:
            sub.add_argument("form")
            sub.add_argument("--party", choices=[SELLER, BUYER], required=True)
            sub.add_argument("--reject", action="store_true")

        def cancel(sub: CommandParser) -> None:
            sub.add_argument("form")

        self.subcommands(parser, form=form, confirm=confirm, cancel=cancel, issue=issue)

    def run(self, **options: Any) -> tuple[Any, str]:
        taxpayer = self.taxpayer(options)
        actor = self.actor(options)
        action = options["action"]
        if action in ("confirm", "cancel"):
            form = red_form_find(taxpayer, options["form"])
            if action == "cancel":
                form = red_form_cancel(form=form, actor=actor)
            else:
                form = red_form_confirm(
                    form=form, party=options["party"], accept=not options["reject"], actor=actor
                )
            return red_form_as_dict(form), f"{form.number}：{form.get_status_display()}"
        blue = invoice_find(taxpayer, options["number"], options["code"])
        picks = [parse_pick(p) for p in options["picks"]] if options["picks"] else None
        if action == "form":
            form = red_form_create(
                blue=blue,
                reason=RedReason(options["reason"]),
                raised_by=options["raised_by"],
                picks=picks,
                buyer_booked=options["buyer_booked"],
                actor=actor,
            )
            return red_form_as_dict(form), (
                f"已提出 {form.number}（{form.get_status_display()}），红字价税合计 {form.total} 元"
            )
        red = invoice_issue_red(
            blue=blue,
            actor=actor,
            reason=RedReason(options["reason"]) if options["reason"] else None,
            picks=picks,
            form=red_form_find(taxpayer, options["form"]) if options["form"] else None,
            request_id=options["request_id"],
        )
        return invoice_as_dict(red), f"已开具红字发票 {red}，价税合计 {red.total} 元"
