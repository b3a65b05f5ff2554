from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from fapiao.batches import selectors
from fapiao.batches.checking import options_of
from fapiao.batches.files import MAX_BYTES
from fapiao.batches.issuing import batch_issue_run
from fapiao.batches.models import Batch, BatchStatus
from fapiao.batches.services import BatchRefused, batch_check, batch_confirm
from fapiao.cli.base import FapiaoCommand, table
from fapiao.domain.errors import Text
from fapiao.invoicing.selectors import channel_find


class Command(FapiaoCommand):
    help = (
        "批量开具：validate 校验明细文件（不保存、不开具）；issue 校验后开具并显示进度"
        "（--background 交给后台任务）；list 列出批次；show 查看批次；resume 继续开具暂停的批次；"
        "result 保存开具结果（--zip 保存发票压缩包）"
    )

    def arguments(self, parser: CommandParser) -> None:
        def checking(sub: CommandParser) -> None:
            sub.add_argument("file", help="明细文件（.xlsx、.xls 或 .csv）")
            sub.add_argument("--channel", help="开票渠道名称或编号（只有一个时可省略）")
            sub.add_argument("--kind", default="", help="文件未填写发票种类时使用的种类")
            sub.add_argument("--no-split", action="store_true", help="超限额时报错而不拆分")
            sub.add_argument("--merge", action="store_true", help="合并相同明细")
            sub.add_argument("--limit", default="", help="拆分限额（元，低于渠道限额时使用）")

        def issuing(sub: CommandParser) -> None:
            checking(sub)
            sub.add_argument("--background", action="store_true", help="交给后台任务开具")

        def one(sub: CommandParser) -> None:
            sub.add_argument("id", type=int, help="批次编号")

        def result(sub: CommandParser) -> None:
            one(sub)
            sub.add_argument("--out", required=True, help="保存到的文件")
            sub.add_argument("--zip", action="store_true", help="保存发票压缩包而非开具结果")

        self.subcommands(
            parser,
            validate=checking,
            issue=issuing,
            list=lambda sub: None,
            show=one,
            resume=one,
            result=result,
        )

    def run(self, **options: Any) -> tuple[Any, str]:
        action = options["action"]
        taxpayer = self.taxpayer(options)
        actor = self.actor(options)
        if action in ("validate", "issue"):
            path = Path(options["file"])
            if not path.is_file():
                raise BatchRefused(Text("文件不存在：{0}", options["file"]), field="file")
            with path.open("rb") as handle:
                content = handle.read(MAX_BYTES + 1)
            batch = batch_check(
                taxpayer=taxpayer,
                channel=channel_find(taxpayer, options.get("channel")),
                content=content,
                filename=path.name,
                actor=actor,
                keep=action == "issue",
                options=options_of(
                    {
                        "kind": options["kind"],
                        "split": not options["no_split"],
                        "merge": options["merge"],
                        "limit": options["limit"],
                    }
                ),
            )
            self._refuse_errors(batch)
            if action == "validate":
                return selectors.batch_as_dict(batch), self._summary(batch, "校验通过")
            batch = batch_confirm(batch=batch, actor=actor)
            if options["background"] or options["as_json"]:
                if not options["background"]:
                    batch = batch_issue_run(batch.pk)
                return selectors.batch_as_dict(batch), self._summary(batch, "已交给后台开具")
            return self._issue(batch)
        if action == "list":
            found = [selectors.batch_as_dict(b) for b in selectors.batches_of(taxpayer)[:100]]
            rows = [
                [
                    str(b["id"]),
                    b["created_at"][:16],
                    b["file"],
                    b["status_label"],
                    str(b["invoices"]),
                    str(b["issued"]),
                ]
                for b in found
            ]
            header = ["编号", "上传时间", "文件", "状态", "发票", "已开具"]
            return {"batches": found}, table([header, *rows]) if rows else table([])
        batch = selectors.batch_get(taxpayer, options["id"], full=action == "result")
        if action == "show":
            return selectors.batch_as_dict(batch, errors=1000), self._summary(batch, "")
        if action == "resume":
            return self._issue(batch_confirm(batch=batch, actor=actor))
        if options["zip"]:
            content = selectors.batch_zip(batch)
        else:
            content, _ = selectors.batch_result_file(batch)
        Path(options["out"]).write_bytes(content)
        return {"file": options["out"]}, f"已保存到 {options['out']}"

    def _refuse_errors(self, batch: Batch) -> None:
        """A file with bad rows: each one on standard error, then the refusal (exit code 4)."""
        if not batch.error_count:
            return
        for row, column, message in batch.errors[:1000]:
            self.stderr.write(f"第{row}行 {column}：{message}")
        where = f"（批次{batch.pk}）" if batch.pk else ""
        raise BatchRefused(
            Text("文件有{0}处错误，未开具任何发票{1}", batch.error_count, where), field="file"
        )

    def _issue(self, batch: Batch) -> tuple[Any, str]:
        """Issue here with a progress bar on standard error."""
        from tqdm import tqdm  # loaded when a batch is issued here

        with tqdm(
            total=batch.invoice_count,
            initial=batch.issued,
            unit="张",
            file=self.stderr,
            desc=f"批次{batch.pk}",
            dynamic_ncols=True,
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.update(done - bar.n)

            batch = batch_issue_run(batch.pk, progress=progress)
        if batch.status == BatchStatus.STOPPED:
            raise BatchRefused(
                Text(
                    "批次{0}已暂停：已开具{1}张，共{2}张。{3}",
                    batch.pk,
                    batch.issued,
                    batch.invoice_count,
                    batch.message,
                ),
                field="status",
            )
        return selectors.batch_as_dict(batch), self._summary(batch, "开具完成")

    @staticmethod
    def _summary(batch: Batch, title: str) -> str:
        summary = batch.summary or {}
        lines = [
            f"{title}{'：' if title else ''}批次{batch.pk or '（未保存）'} {batch.filename}",
            f"明细{batch.rows}行，发票{summary.get('invoices', 0)}张（超限额拆分"
            f"{summary.get('split', 0)}张单据），已开具{batch.issued}张",
            f"金额{summary.get('amount', '0.00')} 税额{summary.get('tax', '0.00')} "
            f"价税合计{summary.get('total', '0.00')}",
            *summary.get("warnings", []),
        ]
        return "\n".join(lines)
