from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import CommandParser
from django.db.models import QuerySet

from fapiao.cli.base import FapiaoCommand, table
from fapiao.domain.kinds import parse_kind, spec
from fapiao.domain.lifecycle import Status
from fapiao.domain.money import parse_money
from fapiao.invoicing.models import Invoice, Taxpayer
from fapiao.invoicing.selectors import invoice_as_dict, invoice_list


def add_filters(parser: CommandParser) -> None:
    """The query filters of SPEC §7, shared by ``list`` and ``export``."""
    parser.add_argument("--kind")
    parser.add_argument("--status", choices=[s.value for s in Status])
    parser.add_argument("--from", dest="start", type=date.fromisoformat)
    parser.add_argument("--to", dest="end", type=date.fromisoformat)
    parser.add_argument("--buyer", default="", help="购买方名称的一部分或税号")
    parser.add_argument("--number", default="", help="号码的一部分或发票代码")
    parser.add_argument("--item", default="", help="商品名称的一部分")
    parser.add_argument("--min", dest="min_total", help="价税合计下限")
    parser.add_argument("--max", dest="max_total", help="价税合计上限")
    red = parser.add_mutually_exclusive_group()
    red.add_argument("--red", action="store_true", help="只列红字发票")
    red.add_argument("--blue", action="store_true", help="只列蓝字发票")


def filtered(taxpayer: Taxpayer, options: dict[str, Any]) -> QuerySet[Invoice]:
    def money(name: str) -> Any:
        value = options[name]
        return None if value is None else parse_money(value, field=name, label="金额")

    return invoice_list(
        taxpayer,
        kind=parse_kind(options["kind"]) if options["kind"] else None,
        status=Status(options["status"]) if options["status"] else None,
        start=options["start"],
        end=options["end"],
        buyer=options["buyer"],
        number=options["number"],
        item=options["item"],
        min_total=money("min_total"),
        max_total=money("max_total"),
        red=True if options["red"] else False if options["blue"] else None,
    )


class Command(FapiaoCommand):
    help = "查询发票：按种类、状态、日期、购买方、号码、商品、金额筛选"

    def arguments(self, parser: CommandParser) -> None:
        add_filters(parser)
        parser.add_argument("--limit", type=int, default=100)

    def run(self, **options: Any) -> tuple[Any, str]:
        invoices = filtered(self.taxpayer(options), options).select_related("signing_key")[
            : options["limit"]
        ]
        rows = [
            [
                i.issued_on.isoformat(),
                spec(i.kind).short_name,  # type: ignore[arg-type]
                str(i),
                i.buyer_name,
                str(i.total),
                Status(i.status).label,
            ]
            for i in invoices
        ]
        return [invoice_as_dict(i, lines=False) for i in invoices], table(rows)
