from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.cli.base import EXIT_PROBLEMS, FapiaoCommand, table
from fapiao.documents.readers import file_size_check
from fapiao.receiving.services import receive_files


class Command(FapiaoCommand):
    help = "收取进项发票：识别并保存文件中的每张发票（PDF、OFD、XML、图片、二维码内容或ZIP）"

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="发票文件")

    def run(self, **options: Any) -> tuple[Any, str]:
        files, unread = [], []
        for path in options["files"]:
            try:
                file_size_check(path.name, path.stat().st_size)
                files.append((path.name, path.read_bytes()))
            except OSError as error:
                unread.append((path.name, f"无法读取文件：{error.strerror}"))
        done = receive_files(
            taxpayer=self.taxpayer(options), files=files, actor=self.actor(options), via="cli"
        )
        done.refused += unread
        data = done.as_dict()
        rows = [
            [str(r["id"]), r["invoice_number"], r["seller_name"], r["total"] or "", "新收取"]
            for r in data["new"]
        ]
        rows += [
            [str(r["id"]), r["invoice_number"], r["seller_name"], r["total"] or "", "已存在"]
            for r in data["known"]
        ]
        text = table([["编号", "发票号码", "销售方", "价税合计", "结果"], *rows]) if rows else ""
        text += "".join(f"\n{name}：{why}" for name, why in done.refused)
        if not rows:
            self.emit(data, text.strip(), options["as_json"])
            raise CommandError("没有收取到发票", returncode=EXIT_PROBLEMS)
        return data, text.strip()
