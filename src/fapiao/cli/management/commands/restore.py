from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.backups.archive import BackupRefused
from fapiao.backups.services import restore
from fapiao.cli.base import EXIT_PROBLEMS, FapiaoCommand


class Command(FapiaoCommand):
    help = (
        "从备份恢复到空的系统（SQLite 与 PostgreSQL 可互相恢复）：恢复后校验历史记录和审计日志，"
        "核对行数和末端，并向税务机关核对备份之后开具的号码"
    )
    taxpayer_scoped = False

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive")
        parser.add_argument("--identity", help="私钥文件（默认 FAPIAO_BACKUP_IDENTITY_FILE）")
        parser.add_argument("--force", action="store_true", help="目标数据库已有数据时仍覆盖")
        parser.add_argument("--no-renumber", action="store_true",
                            help="不向税务机关核对号码（仅用于试恢复）")  # fmt: skip

    def run(self, **options: Any) -> tuple[Any, str]:
        identity = options.get("identity") or os.environ.get("FAPIAO_BACKUP_IDENTITY_FILE", "")
        if not identity:
            raise BackupRefused("请用 --identity 指定备份私钥文件", field="identity")
        try:
            text = Path(identity).read_text("utf-8")
        except OSError:
            raise BackupRefused(f"无法读取私钥文件 {identity}", field="identity") from None
        result = restore(Path(options["archive"]), identity=text, force=options["force"],
                         renumbering=not options["no_renumber"])  # fmt: skip
        manifest = result.manifest
        data = {"ok": result.ok, "problems": result.problems, "numbering": result.numbering,
                "seconds": result.seconds,
                "manifest": {k: manifest[k] for k in ("created_at", "engine", "versions", "counts",
                                                      "heads")}}  # fmt: skip
        rows = sum(manifest["counts"].values())
        lines = [
            f"已恢复 {manifest['created_at']} 的备份（{manifest['engine']}，{rows} 行）",
            "历史记录、审计日志校验通过，行数与末端与清单一致" if result.ok else "发现问题：",
        ]
        lines += result.problems
        if result.numbering:
            n = result.numbering
            lines.append(
                f"税务机关登记而备份中没有的发票 {n['after_snapshot']} 张；已移动号码段 "
                f"{n['segments_moved']} 个，关闭数电号码块 {n['digital_blocks_closed']} 个"
            )
            lines += [
                f"  {i['code']}{i['number']} {i['issued_on']} {i['total']}" for i in n["invoices"]
            ]
        if not result.ok:
            self.emit(data, "\n".join(lines), options["as_json"])
            raise CommandError("恢复后的校验未通过", returncode=EXIT_PROBLEMS)
        return data, "\n".join(lines)
