from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.cli.base import FapiaoCommand
from fapiao.receiving.deduction import deducted_tax, deduction_select, deduction_undo


def _month(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise CommandError(f"所属期“{text}”应为YYYY-MM", returncode=2) from None


class Command(FapiaoCommand):
    help = "勾选抵扣：select 为所属期勾选进项专票；undo 撤销勾选；show 本期勾选的进项税额"

    def arguments(self, parser: CommandParser) -> None:
        def select(sub: CommandParser) -> None:
            sub.add_argument("--period", required=True, help="所属期 YYYY-MM")
            sub.add_argument("invoices", nargs="+", type=int, help="进项发票编号")

        def undo(sub: CommandParser) -> None:
            sub.add_argument("invoices", nargs="+", type=int, help="进项发票编号")

        def show(sub: CommandParser) -> None:
            sub.add_argument("--period", required=True, help="所属期 YYYY-MM")

        self.subcommands(parser, select=select, undo=undo, show=show)

    def run(self, **options: Any) -> tuple[Any, str]:
        taxpayer, actor = self.taxpayer(options), self.actor(options)
        if options["action"] == "undo":
            count = deduction_undo(taxpayer=taxpayer, invoice_ids=options["invoices"], actor=actor)
            return {"undone": count}, f"已撤销{count}张发票的勾选"
        month = _month(options["period"])
        if options["action"] == "select":
            deduction_select(
                taxpayer=taxpayer, period_start=month, invoice_ids=options["invoices"], actor=actor
            )
        tax = deducted_tax(taxpayer, month)
        return {"period": f"{month:%Y-%m}", "input_tax": str(tax)}, (
            f"{month:%Y年%m月}勾选抵扣进项税额{tax}元"
        )
