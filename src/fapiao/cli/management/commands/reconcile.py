from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.cli.base import EXIT_PROBLEMS, FapiaoCommand, table
from fapiao.invoicing.reconciliation import reconcile, reconcile_repair


class Command(FapiaoCommand):
    help = "对账：列出本地与税务机关登记不一致的发票（发票未同步）；--repair 重新上传可修复的"

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="重新上传可以修复的发票")

    def run(self, **options: Any) -> tuple[Any, str]:
        taxpayer = self.taxpayer(options)
        found = reconcile(taxpayer)
        queued = 0
        if options["repair"] and found:
            queued = reconcile_repair(taxpayer, found, actor=self.actor(options))
        data = {"ok": not found, "disagreements": [asdict(d) for d in found], "resent": queued}
        if not found:
            return data, "对账一致：所有发票均已同步"
        rows = [[d.invoice, d.what, d.detail, "可重传" if d.repairable else "需人工处理"]
                for d in found]  # fmt: skip
        text = table(rows) + (f"\n已重新排队上传{queued}张" if queued else "")
        self.emit(data, text, options["as_json"])
        raise CommandError(f"{len(found)}张发票未同步", returncode=EXIT_PROBLEMS)
