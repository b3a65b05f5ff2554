from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.cli.base import FapiaoCommand, table
from fapiao.documents.models import Paper, Printer
from fapiao.documents.printing import invoice_print, printer_save
from fapiao.documents.services import document_filename
from fapiao.invoicing.selectors import NotFound, invoice_find


def _mm(value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise CommandError(f"偏移应为毫米数：{value}", returncode=2) from None


class Command(FapiaoCommand):
    help = "打印：invoice 号码 [--printer 名称] 生成打印用PDF并标记已打印；printer 设置套打偏移"

    def arguments(self, parser: CommandParser) -> None:
        def invoice(sub: CommandParser) -> None:
            sub.add_argument("number")
            sub.add_argument("--code", default="")
            sub.add_argument("--printer")
            sub.add_argument("--out", default=".")

        def printer(sub: CommandParser) -> None:
            sub.add_argument("name", nargs="?")
            sub.add_argument("--right", default="0", help="右移毫米（负数左移）")
            sub.add_argument("--down", default="0", help="下移毫米（负数上移）")
            sub.add_argument(
                "--paper", choices=Paper.values, default=Paper.INVOICE,
                help="纸张：invoice 按票面大小，a4 或 a5 普通纸（印在顶部）",
            )  # fmt: skip

        self.subcommands(parser, invoice=invoice, printer=printer)

    def run(self, **options: Any) -> tuple[Any, str]:
        taxpayer = self.taxpayer(options)
        if options["action"] == "printer":
            if options["name"]:
                printer_save(
                    taxpayer=taxpayer,
                    name=options["name"],
                    offset_right=_mm(options["right"]),
                    offset_down=_mm(options["down"]),
                    paper=options["paper"],
                    actor=self.actor(options),
                )
            printers = list(Printer.objects.filter(taxpayer=taxpayer).order_by("name"))
            data = [
                {"name": p.name, "right": str(p.offset_right), "down": str(p.offset_down),
                 "paper": p.paper}
                for p in printers
            ]  # fmt: skip
            rows = [[p.name, f"右 {p.offset_right} mm", f"下 {p.offset_down} mm",
                     p.get_paper_display()] for p in printers]  # fmt: skip
            return data, table(rows)
        invoice = invoice_find(taxpayer, options["number"], options["code"])
        printer = None
        if options["printer"]:
            printer = Printer.objects.filter(taxpayer=taxpayer, name=options["printer"]).first()
            if printer is None:
                raise NotFound(f"打印机“{options['printer']}”不存在", field="printer")
        content = invoice_print(invoice=invoice, printer=printer, actor=self.actor(options))
        target = Path(options["out"])
        if target.is_dir():
            target = target / document_filename(invoice, "pdf")
        target.write_bytes(content)
        return {"file": str(target), "printer": str(printer or "")}, f"打印文件：{target}"
