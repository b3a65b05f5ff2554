from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.cli.base import EXIT_PROBLEMS, FapiaoCommand
from fapiao.documents.readers import file_size_check, inputs_from_file
from fapiao.invoicing.verification import verify


class Command(FapiaoCommand):
    help = (
        "发票查验：专票输入代码、号码、日期、不含税金额；普票输入代码、号码、日期、校验码后6位；"
        "数电输入号码、日期、价税合计；或 --qr 二维码内容，或 --file 本系统开具的PDF/OFD/XML"
    )
    taxpayer_scoped = False

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", default="", help="发票代码（数电发票不填）")
        parser.add_argument("--number", default="", help="发票号码")
        parser.add_argument("--date", dest="issued_on", default="", help="开票日期 YYYY-MM-DD")
        parser.add_argument("--amount", help="不含税金额（专票）")
        parser.add_argument("--check", dest="check6", help="校验码后6位（普票）")
        parser.add_argument("--total", help="价税合计（数电）")
        parser.add_argument("--qr", help="二维码内容")
        parser.add_argument("--file", type=Path, help="发票文件 PDF/OFD/XML")

    def run(self, **options: Any) -> tuple[Any, str]:
        if options["file"]:
            path = options["file"]
            try:
                file_size_check(path.name, path.stat().st_size)
                content = path.read_bytes()
            except OSError as error:
                raise CommandError(f"无法读取文件“{path}”：{error.strerror}") from None
            inputs = inputs_from_file(path.name, content)
        else:
            names = ("code", "number", "issued_on", "amount", "check6", "total", "qr")
            inputs = {name: options[name] for name in names}
        answer = verify(inputs, client="cli")
        text = answer["message"]
        if answer["outcome"] == "一致":
            invoice = answer["invoice"]
            signature = "有效" if answer["signature_valid"] else "无效"
            text = (
                f"查验结果：一致；发票状态：{answer['status']}；数字签名{signature}\n"
                f"销售方：{invoice['seller']['name']}；购买方：{invoice['buyer']['name']}；"
                f"价税合计：{invoice['total']}；今日第{answer['checks_today']}次查验"
            )
            return answer, text
        self.emit(answer, f"查验结果：{text}", options["as_json"])
        raise CommandError(answer["outcome"], returncode=EXIT_PROBLEMS)
