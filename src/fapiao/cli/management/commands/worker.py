from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fapiao.jobs.services import worker_round, worker_start


class Command(BaseCommand):
    help = (
        "后台任务执行器（邮件、短信、发票上传……）：持续运行（任务引擎 django-q2，"
        "每分钟执行定期工作）；--once 在本进程中执行一轮后退出"
    )
    requires_system_checks: list[str] = []  # noqa: RUF012 - the pages are not its business

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="执行到期任务与定期工作各一次")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(f"完成了{worker_round()}项工作")
            return
        self.stdout.write("后台任务执行器已启动（Ctrl-C 停止）")
        worker_start()
        self.stdout.write("已停止")
