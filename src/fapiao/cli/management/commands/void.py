from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from fapiao.cli.base import FapiaoCommand
from fapiao.invoicing.corrections import invoice_void
from fapiao.invoicing.selectors import invoice_as_dict, invoice_find


class Command(FapiaoCommand):
    help = "作废一张纸质发票（本月开具、未抄报）：void 号码"

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number")
        parser.add_argument("--code", default="")
        parser.add_argument("--reason", default="")

    def run(self, **options: Any) -> tuple[Any, str]:
        invoice = invoice_find(self.taxpayer(options), options["number"], options["code"])
        invoice = invoice_void(invoice=invoice, actor=self.actor(options), reason=options["reason"])
        return invoice_as_dict(invoice, lines=False), f"已作废 {invoice}"
