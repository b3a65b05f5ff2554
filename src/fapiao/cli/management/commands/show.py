from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from fapiao.cli.base import FapiaoCommand, table
from fapiao.invoicing.selectors import invoice_as_dict, invoice_find


def invoice_text(data: dict[str, Any]) -> str:
    head = [
        f"{data['kind_name']}  {data['status_name']}{'（红字）' if data['red'] else ''}",
        f"发票代码：{data['code'] or '—'}  发票号码：{data['number']}",
        f"开票日期：{data['issued_on']}",
        f"购买方：{data['buyer']['name']}  {data['buyer']['tax_id']}",
        f"销售方：{data['seller']['name']}  {data['seller']['tax_id']}",
    ]
    lines = [
        [
            line["name"],
            line["spec"],
            line["unit"],
            line["quantity"] or "",
            line["unit_price"] or "",
            line["amount"],
            line["rate"],
            line["tax"],
        ]
        for line in data["lines"]
    ]
    foot = [
        f"合计：金额 {data['amount']}  税额 {data['tax']}",
        f"价税合计：{data['total_in_words']}  ¥{data['total']}",
    ]
    if data["check_code"]:
        foot.append(f"校验码：{data['check_code']}")
    if data["remarks"]:
        foot.append(f"备注：{data['remarks']}")
    header = ["项目名称", "规格型号", "单位", "数量", "单价", "金额", "税率", "税额"]
    return "\n".join([*head, table([header, *lines]), *foot])


class Command(FapiaoCommand):
    help = "查看一张发票：show 号码（或 代码+号码）"

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number")
        parser.add_argument("--code", default="")

    def run(self, **options: Any) -> tuple[Any, str]:
        invoice = invoice_find(self.taxpayer(options), options["number"], options["code"])
        data = invoice_as_dict(invoice)
        return data, invoice_text(data)
