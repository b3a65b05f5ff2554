from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.authority.client import authority_client
from fapiao.cli.base import EXIT_PROBLEMS, FapiaoCommand
from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.models import Taxpayer


class Command(FapiaoCommand):
    help = (
        "历史记录：verify 校验哈希链、发票内容、数字签名、号码段的连续性，并与税务机关已收到的"
        "记录核对（--local 不核对；不指定纳税人时校验全部）"
    )
    taxpayer_scoped = False

    def arguments(self, parser: CommandParser) -> None:
        def verify(sub: CommandParser) -> None:
            sub.add_argument("--taxpayer")
            sub.add_argument("--local", action="store_true", help="不与税务机关核对")

        self.subcommands(parser, verify=verify)

    def run(self, **options: Any) -> tuple[Any, str]:
        taxpayers = Taxpayer.objects.order_by("pk")
        if options.get("taxpayer"):
            taxpayers = taxpayers.filter(pk=self.taxpayer(options).pk)
        authority = None if options.get("local") else authority_client()
        problems = [p for t in taxpayers for p in ledger_verify(t, authority=authority)]
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
