from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.cli.base import FapiaoCommand
from fapiao.documents.services import FORMATS, document_filename, document_render
from fapiao.invoicing.selectors import invoice_find


class Command(FapiaoCommand):
    help = "导出发票文件：document 号码 --format pdf|ofd|xml [--out 路径] [--offset 右,下(毫米)]"

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number")
        parser.add_argument("--code", default="")
        parser.add_argument("--format", choices=sorted(FORMATS), default="pdf")
        parser.add_argument("--out", help="文件或目录（默认当前目录，按发票命名）")
        parser.add_argument("--offset", default="0,0", help="套打偏移，毫米：右,下")

    def run(self, **options: Any) -> tuple[Any, str]:
        invoice = invoice_find(self.taxpayer(options), options["number"], options["code"])
        right, _, down = options["offset"].partition(",")
        try:
            offset = (float(right or 0), float(down or 0))
        except ValueError:
            raise CommandError("--offset 应为两个数字（毫米），如 2.5,-1", returncode=2) from None
        content = document_render(invoice, options["format"], offset=offset)
        target = Path(options["out"] or ".")
        if target.is_dir():
            target = target / document_filename(invoice, options["format"])
        target.write_bytes(content)
        return {
            "file": str(target),
            "bytes": len(content),
        }, f"已保存 {target}（{len(content)} 字节）"
