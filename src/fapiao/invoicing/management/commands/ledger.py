from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.management.base import EXIT_PROBLEMS, FapiaoCommand
from fapiao.invoicing.models import Taxpayer


class Command(FapiaoCommand):
    help = "历史记录：verify 校验哈希链、发票内容和数字签名（不指定纳税人时校验全部）"
    taxpayer_scoped = False

    def arguments(self, parser: CommandParser) -> None:
        def verify(sub: CommandParser) -> None:
            sub.add_argument("--taxpayer")

        self.subcommands(parser, verify=verify)

    def run(self, **options: Any) -> tuple[Any, str]:
        taxpayers = Taxpayer.objects.order_by("pk")
        if options.get("taxpayer"):
            taxpayers = taxpayers.filter(pk=self.taxpayer(options).pk)
        problems = [problem for t in taxpayers for problem in ledger_verify(t)]
        data = {
            "ok": not problems,
            "taxpayers": taxpayers.count(),
            "problems": [vars(p) for p in problems],
        }
        if problems:
            self.emit(data, "\n".join(f"{p.taxpayer} {p.where}：{p.what}" for p in problems),
                      options["as_json"])  # fmt: skip
            raise CommandError(f"发现{len(problems)}处问题", returncode=EXIT_PROBLEMS)
        return data, f"历史记录完整：{data['taxpayers']}个纳税人，未发现问题"
