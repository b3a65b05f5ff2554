from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import CommandError, CommandParser

from fapiao.cli.base import FapiaoCommand, table
from fapiao.receiving import selectors
from fapiao.receiving.claims import claim_approve, claim_create, claim_reject, claim_submit


class Command(FapiaoCommand):
    help = (
        "报销单：create 由报销人（--user）以进项发票编号生成报销单；submit 提交；approve / "
        "reject 由财务审批；list 列出；show 查看；export 导出已批准报销单的记账凭证（CSV或Excel）"
    )

    def arguments(self, parser: CommandParser) -> None:
        def create(sub: CommandParser) -> None:
            sub.add_argument("--user", required=True, help="报销人用户名")
            sub.add_argument("--purpose", required=True, help="报销事由")
            sub.add_argument("invoices", nargs="+", type=int, help="进项发票编号")

        def decide(sub: CommandParser) -> None:
            sub.add_argument("id", type=int)
            sub.add_argument("--user", required=True, help="操作的用户名")
            sub.add_argument("--reason", default="", help="驳回原因或批准说明")

        def export(sub: CommandParser) -> None:
            sub.add_argument("--format", choices=("csv", "xlsx"), default="csv")
            sub.add_argument("--out", type=Path, required=True, help="写入的文件")

        self.subcommands(
            parser,
            create=create,
            submit=decide,
            approve=decide,
            reject=decide,
            list=lambda sub: None,
            show=lambda sub: sub.add_argument("id", type=int),
            export=export,
        )

    def run(self, **options: Any) -> tuple[Any, str]:
        action, taxpayer = options["action"], self.taxpayer(options)
        if action == "list":
            found = [selectors.claim_as_dict(c) for c in selectors.claims_of(taxpayer)[:200]]
            rows = [
                [str(c["id"]), c["claimant"], c["purpose"], c["amount"], c["status_label"]]
                for c in found
            ]
            return {"claims": found}, table([["编号", "报销人", "事由", "金额", "状态"], *rows])
        if action == "export":
            content = (
                selectors.vouchers_csv if options["format"] == "csv" else selectors.vouchers_xlsx
            )(taxpayer)
            try:
                options["out"].write_bytes(content)
            except OSError as error:
                raise CommandError(f"无法写入“{options['out']}”：{error.strerror}") from None
            lines = len(selectors.voucher_lines(taxpayer))
            return {"file": str(options["out"]), "lines": lines}, f"已导出{lines}行凭证"
        user = None
        if "user" in options:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"用户“{options['user']}”不存在", returncode=3)
        if action == "create":
            claim = claim_create(
                taxpayer=taxpayer,
                claimant=user,
                purpose=options["purpose"],
                invoice_ids=options["invoices"],
            )
        else:
            claim = selectors.claim_get(taxpayer, options["id"])
            if action == "submit":
                claim = claim_submit(claim=claim, actor=user)
            elif action == "approve":
                claim = claim_approve(claim=claim, actor=user, note=options["reason"])
            elif action == "reject":
                claim = claim_reject(claim=claim, actor=user, reason=options["reason"])
        data = selectors.claim_as_dict(claim)
        return data, f"报销单{claim.pk}：{data['status_label']}，金额{data['amount']}元"
