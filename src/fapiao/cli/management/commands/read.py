from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.cli.base import EXIT_PROBLEMS, FapiaoCommand
from fapiao.documents.readers import UnreadableFile, file_size_check
from fapiao.domain.reading import LABELS
from fapiao.receiving.reading import read_in_time


class Command(FapiaoCommand):
    help = (
        "识别发票文件（PDF、OFD、XML、图片、二维码内容或ZIP），打印读到的各字段及其来源、"
        "置信度和警告；不保存任何内容"
    )
    taxpayer_scoped = False

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="发票文件")

    def run(self, **options: Any) -> tuple[Any, str]:
        invoices: list[dict[str, Any]] = []
        errors: list[dict[str, str]] = []
        for path in options["files"]:
            try:
                file_size_check(path.name, path.stat().st_size)
                content = path.read_bytes()
                readings = read_in_time(path.name, content)
            except OSError as error:
                errors.append({"file": str(path), "message": f"无法读取文件：{error.strerror}"})
                continue
            except UnreadableFile as error:
                errors.append({"file": str(path), "message": str(error.message)})
                continue
            invoices += [{"file": str(path), **reading.as_json()} for reading in readings]
        data = {"invoices": invoices, "errors": errors}
        text = "\n\n".join(_text(invoice) for invoice in invoices)
        text += "".join(f"\n{e['file']}：{e['message']}" for e in errors)
        if not invoices:
            self.emit(data, text.strip(), options["as_json"])
            raise CommandError("没有识别出发票", returncode=EXIT_PROBLEMS)
        return data, text.strip()


def _text(invoice: dict[str, Any]) -> str:
    page = f" 第{invoice['page']}页" if invoice["page"] else ""
    rows = [f"{invoice['file']}{page}"]
    rows += [
        f"  {label}：{invoice[name]}（{invoice['sources'][name]}）"
        for name, label in LABELS.items()
        if invoice.get(name) is not None
    ]
    rows += [
        f"  明细{n}：{line['name']} {line['amount']} {line['rate'] or ''}"
        for n, line in enumerate(invoice["lines"], 1)
    ]
    rows += [f"  警告：{warning}" for warning in invoice["warnings"]]
    return "\n".join(rows)
