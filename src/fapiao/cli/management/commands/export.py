from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.cli.base import FapiaoCommand
from fapiao.cli.management.commands.list import add_filters, filtered
from fapiao.documents.exports import invoices_csv, invoices_xlsx, invoices_zip
from fapiao.security.audit import audit_append


class Command(FapiaoCommand):
    help = "导出查询结果：--out 文件.csv|.xlsx|.zip（ZIP 含各发票文件和清单，--files pdf,ofd,xml）"

    def arguments(self, parser: CommandParser) -> None:
        add_filters(parser)
        parser.add_argument("--out", required=True, help="以 .csv、.xlsx 或 .zip 结尾")
        parser.add_argument("--files", default="pdf", help="ZIP 中的文件格式，逗号分隔")

    def run(self, **options: Any) -> tuple[Any, str]:
        target = Path(options["out"])
        invoices = filtered(self.taxpayer(options), options).select_related(
            "taxpayer", "channel", "signing_key"
        )
        suffix = target.suffix.lower()
        if suffix == ".csv":
            content = invoices_csv(invoices)
        elif suffix == ".xlsx":
            content = invoices_xlsx(invoices)
        elif suffix == ".zip":
            formats = [f.strip() for f in options["files"].split(",") if f.strip()]
            content = invoices_zip(invoices.prefetch_related("lines"), formats)
        else:
            raise CommandError("--out 应以 .csv、.xlsx 或 .zip 结尾", returncode=2)
        target.write_bytes(content)
        count = invoices.count()
        audit_append("export", actor=self.actor(options), taxpayer=self.taxpayer(options),
                     payload={"file": target.name, "invoices": count})  # fmt: skip
        return {"file": str(target), "invoices": count, "bytes": len(content)}, (
            f"已导出{count}张发票到 {target}"
        )
