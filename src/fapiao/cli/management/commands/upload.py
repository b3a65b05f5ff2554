from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.cli.base import EXIT_PROBLEMS, FapiaoCommand
from fapiao.invoicing.uploads import upload_flush, upload_state


class Command(FapiaoCommand):
    help = "发票上传（报送）：把等待上传的发票、作废和红冲立即发送给税务机关；status 查看待上传数量"
    taxpayer_scoped = False

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", nargs="?", choices=["send", "status"], default="send")

    def run(self, **options: Any) -> tuple[Any, str]:
        if options["action"] == "status":
            state = upload_state()
            return state, (
                f"等待上传{state['waiting']}条，被拒绝{state['refused']}条"
                + (f"；最近一次失败：{state['last_error']}" if state["last_error"] else "")
            )
        flushed = upload_flush(force=True)
        data = vars(flushed)
        text = f"已发送{flushed.sent}条：接受{flushed.accepted}条，拒绝{flushed.refused}条"
        if flushed.unreachable:
            self.emit(data, text + "\n" + "\n".join(flushed.unreachable), options["as_json"])
            raise CommandError("税务机关暂时无法连接，稍后由后台任务重试", returncode=EXIT_PROBLEMS)
        return data, text
