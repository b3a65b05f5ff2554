from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.archiving.checks import package_check
from fapiao.archiving.models import ArchivePackage
from fapiao.archiving.services import ArchiveRefused, month_from, package_delete, package_make
from fapiao.cli.base import EXIT_PROBLEMS, FapiaoCommand, table
from fapiao.invoicing.selectors import NotFound


def _summary(report: dict[str, Any]) -> str:
    lines = []
    for prop in report["properties"].values():
        state = "通过" if prop["ok"] else "未通过"
        lines.append(f"{prop['label']}：{state}（检查 {prop['checked']} 项）")
        lines += [f"  {problem}" for problem in prop["problems"]]
    return "\n".join(lines)


class Command(FapiaoCommand):
    help = (
        "电子档案归档：make 按月份（和发票种类）生成归档包并做四性检测；check 检测一个归档包；"
        "list 列出归档包；delete 删除保管期限已满的归档包"
    )

    def arguments(self, parser: CommandParser) -> None:
        def make(sub: CommandParser) -> None:
            sub.add_argument("--period", required=True, help="月份，如 2026-11")
            sub.add_argument("--kind", default="", help="发票种类（默认全部）")

        def check(sub: CommandParser) -> None:
            sub.add_argument("file")

        def delete(sub: CommandParser) -> None:
            sub.add_argument("id", type=int)

        self.subcommands(parser, make=make, check=check, list=lambda sub: None, delete=delete)

    def run(self, **options: Any) -> tuple[Any, str]:
        action = options["action"]
        if action == "check":
            path = Path(options["file"])
            if not path.is_file():
                raise ArchiveRefused(f"文件不存在：{path}", field="file")
            report = package_check(path.read_bytes())
            if not report["ok"]:
                self.emit(report, _summary(report), options["as_json"])
                raise CommandError("四性检测未通过", returncode=EXIT_PROBLEMS)
            return report, _summary(report)
        taxpayer = self.taxpayer(options)
        if action == "make":
            package = package_make(taxpayer=taxpayer, month=month_from(options["period"]),
                                   kind=options["kind"], actor=self.actor(options))  # fmt: skip
            data = {"id": package.pk, "name": package.name, "path": package.path,
                    "invoices": package.invoices, "ok": package.checked_ok,
                    "retain_until": package.retain_until, "report": package.report}  # fmt: skip
            text = (f"已生成 {package.name}（{package.invoices} 张发票）：{package.path}\n"
                    f"保管至 {package.retain_until}\n{_summary(package.report)}")  # fmt: skip
            return data, text
        packages = ArchivePackage.objects.filter(taxpayer=taxpayer)
        if action == "delete":
            package = packages.filter(pk=options["id"]).first()
            if package is None:
                raise NotFound(f"归档包{options['id']}不存在", field="id")
            package_delete(package, actor=self.actor(options))
            return {"deleted": options["id"]}, f"已删除归档包 {package.name}"
        rows = [[str(p.pk), p.name, str(p.invoices), "通过" if p.checked_ok else "未通过",
                 str(p.retain_until), p.path] for p in packages]  # fmt: skip
        keys = ("id", "name", "invoices", "check", "retain_until", "path")
        return [dict(zip(keys, row, strict=True)) for row in rows], table(rows)
