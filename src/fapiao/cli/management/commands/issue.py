from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.approvals.selectors import request_as_dict
from fapiao.approvals.services import needs_approval, request_submit
from fapiao.cli.base import FapiaoCommand
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.selectors import channel_find, invoice_as_dict
from fapiao.invoicing.services import invoice_issue


class Command(FapiaoCommand):
    help = "按JSON草稿开具发票：issue --file draft.json（- 表示标准输入）"

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", required=True)
        parser.add_argument("--channel", help="渠道名称或编号（只有一个渠道时可省略）")
        parser.add_argument("--request-id", help="请求号：同一请求号重复提交只开一张")

    def run(self, **options: Any) -> tuple[Any, str]:
        source = options["file"]
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text("utf-8")
            data = json.loads(text)
        except (OSError, ValueError) as error:
            raise CommandError(f"无法读取草稿文件：{error}", returncode=2) from None
        if not isinstance(data, dict):
            raise CommandError("草稿应为JSON对象", returncode=2)
        taxpayer = self.taxpayer(options)
        channel_name = options["channel"] or data.pop("channel", None)
        channel = channel_find(taxpayer, channel_name)
        request_id = options["request_id"] or data.pop("request_id", None)
        if needs_approval(taxpayer, channel, data):  # the taxpayer's rule: an approver decides
            made = request_submit(
                taxpayer=taxpayer,
                channel=channel,
                data=data,
                request_id=request_id,
                actor=self.actor(options),
            )
            return {"request": request_as_dict(made)}, (
                f"该发票需要审批：已提交开票申请 {made.request_id}（编号{made.pk}），"
                f"价税合计 {made.total} 元"
            )
        invoice = invoice_issue(
            taxpayer=taxpayer,
            channel=channel,
            draft=parse_draft(data),
            request_id=request_id,
            actor=self.actor(options),
        )
        return invoice_as_dict(invoice), (
            f"已开具 {invoice}，价税合计 {invoice.total} 元，开票日期 {invoice.issued_on}"
        )
