from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from fapiao.cli.base import FapiaoCommand
from fapiao.documents.delivery import delivery_email, delivery_sms, link_create
from fapiao.invoicing.selectors import invoice_find


class Command(FapiaoCommand):
    help = "交付发票：--email 地址（附文件）、--sms 手机号（发下载链接）或 --link（生成下载链接）"

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number")
        parser.add_argument("--code", default="")
        how = parser.add_mutually_exclusive_group(required=True)
        how.add_argument("--email")
        how.add_argument("--sms", metavar="MOBILE")
        how.add_argument("--link", action="store_true")
        parser.add_argument("--days", type=int, default=30, help="下载链接有效天数")

    def run(self, **options: Any) -> tuple[Any, str]:
        invoice = invoice_find(self.taxpayer(options), options["number"], options["code"])
        actor = self.actor(options)
        if options["email"]:
            delivery_email(invoice=invoice, to=options["email"], actor=actor)
            return {"queued": "email", "to": options["email"]}, (
                f"已排队：邮件发送 {invoice} 到 {options['email']}（由后台任务执行器发送）"
            )
        if options["sms"]:
            issued = delivery_sms(invoice=invoice, mobile=options["sms"], actor=actor)
        else:
            issued = link_create(invoice=invoice, actor=actor, days=options["days"])
        data = {"url": issued.url, "qr": f"{issued.url}qr.png", "expires": issued.link.expires_at}
        return data, f"下载链接（{issued.link.expires_at:%Y-%m-%d} 前有效）：{issued.url}"
