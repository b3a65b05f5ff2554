from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.cli.base import EXIT_PROBLEMS, FapiaoCommand
from fapiao.security.audit import audit_verify
from fapiao.security.models import AuditEvent


class Command(FapiaoCommand):
    help = "审计日志：verify 校验哈希链"
    taxpayer_scoped = False

    def arguments(self, parser: CommandParser) -> None:
        self.subcommands(parser, verify=lambda sub: None)

    def run(self, **options: Any) -> tuple[Any, str]:
        problems = audit_verify()
        data = {
            "ok": not problems,
            "events": AuditEvent.objects.count(),
            "problems": [{"where": where, "what": what} for where, what in problems],
        }
        if problems:
            self.emit(data, "\n".join(f"{w}：{p}" for w, p in problems), options["as_json"])
            raise CommandError(f"发现{len(problems)}处问题", returncode=EXIT_PROBLEMS)
        return data, f"审计日志完整：{data['events']}条事件，未发现问题"
