from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from fapiao.cli.base import FapiaoCommand
from fapiao.closing.demo_history import demo_history
from fapiao.invoicing.demo import demo_load


class Command(FapiaoCommand):
    help = (
        "载入演示数据（已存在时不重复创建）：一家企业、各角色账号、近一年的发票与每月的抄报、"
        "申报、清卡，并列出演示账号"
    )
    taxpayer_scoped = False

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-history", action="store_true",
                            help="只建企业、账号和今天的几张发票，不生成近一年的历史")  # fmt: skip

    def run(self, **options: Any) -> tuple[Any, str]:
        result = demo_load(history=None if options["no_history"] else demo_history)
        taxpayer = result.taxpayer
        data = {
            "created": result.created,
            "taxpayer": {"name": taxpayer.name, "tax_id": taxpayer.tax_id},
            "password": result.password,
            "users": [{"username": u, "role": role} for u, role in result.users],
        }
        state = "已创建" if result.created else "已存在"
        lines = [f"演示企业{state}：{taxpayer}", "演示账号（密码均为 " + result.password + "）："]
        lines += [f"  {username:<10} {role}" for username, role in result.users]
        return data, "\n".join(lines)
