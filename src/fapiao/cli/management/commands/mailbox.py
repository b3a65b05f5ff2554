from __future__ import annotations

import os
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.cli.base import FapiaoCommand
from fapiao.receiving.mailbox import mailbox_import, mailbox_of


class Command(FapiaoCommand):
    help = (
        "从邮箱收取进项发票：读取未读邮件的发票附件（IMAP），邮箱地址取自环境变量"
        "（默认 FAPIAO_MAILBOX_URL，形如 imap://用户:密码@主机:端口/INBOX）"
    )

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url-env", default="FAPIAO_MAILBOX_URL", help="存放邮箱地址的环境变量名"
        )

    def run(self, **options: Any) -> tuple[Any, str]:
        url = os.environ.get(options["url_env"], "")
        if not url:
            raise CommandError(f"环境变量 {options['url_env']} 未设置邮箱地址", returncode=2)
        result = mailbox_import(taxpayer=self.taxpayer(options), mailbox=mailbox_of(url))
        text = (
            f"读取邮件{result['messages']}封：新收取发票{result['new']}张，已存在{result['known']}张，"
            f"待识别{result['waiting']}个文件"
            + (f"，过大未读{result['too_large']}封" if result["too_large"] else "")
        )
        text += "".join(f"\n{r['file']}：{r['message']}" for r in result["refused"])
        return result, text
