from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from fapiao.cli.base import FapiaoCommand
from fapiao.domain.lifecycle import Action
from fapiao.invoicing.corrections import invoice_mark
from fapiao.invoicing.selectors import invoice_as_dict, invoice_find


class Command(FapiaoCommand):
    help = "标记发票已打印或已交付：mark 号码 printed|delivered"

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number")
        parser.add_argument("what", choices=["printed", "delivered"])
        parser.add_argument("--code", default="")
        parser.add_argument("--detail", default="", help="如 打印机名称、交付方式")

    def run(self, **options: Any) -> tuple[Any, str]:
        invoice = invoice_find(self.taxpayer(options), options["number"], options["code"])
        action = Action.PRINT if options["what"] == "printed" else Action.DELIVER
        invoice = invoice_mark(
            invoice=invoice, action=action, actor=self.actor(options), detail=options["detail"]
        )
        return invoice_as_dict(invoice, lines=False), f"{invoice}：{invoice.get_status_display()}"
