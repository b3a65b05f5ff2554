"""What every ``fapiao`` command shares: ``--json`` output, ``--taxpayer`` and exit codes.

Exit codes: 0 done; 2 wrong usage; 3 not found; 4 refused by a rule (the message names the
field); 5 ``ledger verify`` found problems.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fapiao.authority.client import Unreachable
from fapiao.domain.errors import DomainError, Text
from fapiao.invoicing.models import Taxpayer
from fapiao.invoicing.selectors import NotFound, taxpayer_find

EXIT_NOT_FOUND = 3
EXIT_REFUSED = 4
EXIT_PROBLEMS = 5
EXIT_INTERNAL = 70  # EX_SOFTWARE
log = logging.getLogger("fapiao.cli")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value))


class FapiaoCommand(BaseCommand):
    """A command whose ``run`` returns (data for ``--json``, text for people)."""

    # Django's system checks load every page and the API (the URL configuration); ``migrate``,
    # ``runserver`` and ``check`` run them, the project's own commands need none
    requires_system_checks: list[str] = []  # noqa: RUF012 - Django's attribute

    taxpayer_scoped = True

    def add_arguments(self, parser: CommandParser) -> None:
        self._common(parser, default=None)
        self.arguments(parser)

    def _common(self, parser: CommandParser, *, default: Any) -> None:
        """The shared options; on a subcommand they default to SUPPRESS so that the value given
        before the subcommand stands."""
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="JSON 输出",
            **({} if default is None else {"default": default}),
        )
        if self.taxpayer_scoped:
            parser.add_argument(
                "--taxpayer", help="纳税人识别号（只有一个纳税人时可省略）", default=default
            )
            parser.add_argument(
                "--actor", help="记录在历史中的操作人（默认当前系统用户）", default=default
            )

    def subcommands(
        self, parser: CommandParser, **commands: Callable[[CommandParser], None]
    ) -> None:
        """Required subcommands named after the keyword arguments, each set up by its value."""
        sub = parser.add_subparsers(dest="action", required=True)
        for name, setup in commands.items():
            child = sub.add_parser(name.replace("_", "-"))
            self._common(child, default=argparse.SUPPRESS)
            setup(child)

    def arguments(self, parser: CommandParser) -> None:
        """Arguments of the command itself."""

    def run(self, **options: Any) -> tuple[Any, str]:
        raise NotImplementedError

    def taxpayer(self, options: dict[str, Any]) -> Taxpayer:
        return taxpayer_find(options.get("taxpayer"))

    @staticmethod
    def actor(options: dict[str, Any]) -> str:
        return options.get("actor") or f"cli:{getpass.getuser()}"

    def handle(self, *args: Any, **options: Any) -> None:
        as_json = options["as_json"]
        try:
            data, text = self.run(**options)
        except NotFound as error:
            self._fail(error, as_json, EXIT_NOT_FOUND)
        except Unreachable as error:
            unreachable = DomainError(Text("无法连接税务机关：{0}；请稍后再试", error))
            unreachable.code = "unreachable"
            self._fail(unreachable, as_json, EXIT_PROBLEMS)
        except DomainError as error:
            self._fail(error, as_json, EXIT_REFUSED)
        except (CommandError, KeyboardInterrupt):
            raise
        except Exception:  # a fault of ours: the details go to the log, not to the caller
            log.exception("command %s failed", type(self).__module__)
            fault = DomainError("命令执行出错（程序内部错误，详情已记入日志），请联系管理员")
            fault.code = "internal"
            self._fail(fault, as_json, EXIT_INTERNAL)
        self.emit(data, text, as_json)

    def emit(self, data: Any, text: str, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_plain))
        elif text:
            self.stdout.write(text)

    def _fail(self, error: DomainError, as_json: bool, code: int) -> None:
        if as_json:
            self.stdout.write(
                json.dumps({"ok": False, **error.as_dict()}, ensure_ascii=False, indent=2)
            )
        where = f"（{error.field}）" if error.field else ""
        raise CommandError(f"{error.message}{where}", returncode=code)


def key_values(pairs: list[str]) -> dict[str, str]:
    """``name=value`` arguments as a dict."""
    data = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals:
            raise CommandError(f"参数应为 名称=值 的形式：{pair}", returncode=2)
        data[name.strip()] = value
    return data


def table(rows: list[list[str]]) -> str:
    """Rows as aligned text columns (CJK characters count double)."""
    if not rows:
        return "（无记录）"

    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)

    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    )
