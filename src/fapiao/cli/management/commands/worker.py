from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fapiao.jobs.services import worker_loop, worker_round


class Command(BaseCommand):
    help = "后台任务执行器（邮件、短信、发票上传……）：持续运行；--once 只执行一轮"
    requires_system_checks: list[str] = []  # noqa: RUF012 - the pages are not its business

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--idle", type=float, default=1.0, help="空闲时的等待秒数")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(f"完成了{worker_round()}项工作")
            return
        self.stdout.write("后台任务执行器已启动（Ctrl-C 停止）")
        try:
            worker_loop(idle=options["idle"])
        except KeyboardInterrupt:
            self.stdout.write("已停止")
