from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from fapiao.backups.archive import BackupRefused, keypair
from fapiao.backups.models import Backup
from fapiao.backups.renumber import renumber
from fapiao.backups.services import backup_create, backup_verify
from fapiao.cli.base import EXIT_PROBLEMS, FapiaoCommand, table


class Command(FapiaoCommand):
    help = (
        "数据备份：create 备份数据库和签名密钥（加密，写入 FAPIAO_BACKUP_DIRS 或 --to 目录）；"
        "verify 在临时数据库中试恢复并核对；keygen 生成备份密钥对；list 列出备份；"
        "renumber 恢复后向税务机关核对号码"
    )
    taxpayer_scoped = False

    def arguments(self, parser: CommandParser) -> None:
        def create(sub: CommandParser) -> None:
            sub.add_argument("--to", action="append", default=[], help="写入的目录（可多次）")
            sub.add_argument("--recipient", action="append", default=[],
                             help="age 公钥（默认 FAPIAO_BACKUP_RECIPIENTS）")  # fmt: skip

        def verify(sub: CommandParser) -> None:
            sub.add_argument("archive")
            sub.add_argument("--identity", help="私钥文件（默认 FAPIAO_BACKUP_IDENTITY_FILE）")

        def keygen(sub: CommandParser) -> None:
            sub.add_argument("--out", required=True, help="私钥写入的文件（不能已存在）")

        def nothing(sub: CommandParser) -> None:
            pass

        self.subcommands(parser, create=create, verify=verify, keygen=keygen, list=nothing,
                         renumber=nothing)  # fmt: skip

    def run(self, **options: Any) -> tuple[Any, str]:
        action = options["action"]
        if action == "keygen":
            return self._keygen(Path(options["out"]))
        if action == "create":
            backup = backup_create(
                destinations=[Path(p) for p in options["to"]] or None,
                recipients=options["recipient"] or None, actor=self.actor(options),
            )  # fmt: skip
            data = {"name": backup.name, "size": backup.size, "seconds": round(backup.seconds, 1),
                    "sha256": backup.sha256, "destinations": backup.destinations}  # fmt: skip
            return data, (
                f"已备份 {backup.name}（{backup.size / 2**20:.1f} MB，{backup.seconds:.1f} 秒）"
                f"至 {'、'.join(backup.destinations)}"
            )
        if action == "verify":
            identity = options.get("identity") or os.environ.get("FAPIAO_BACKUP_IDENTITY_FILE", "")
            if not identity:
                raise BackupRefused("请用 --identity 指定备份私钥文件", field="identity")
            archive = Path(options["archive"])
            backup = Backup.objects.filter(name=archive.name).first()
            result = backup_verify(archive, identity_file=Path(identity), backup=backup)
            data = {"ok": result.ok, "problems": result.problems}
            if not result.ok:
                self.emit(
                    data, "试恢复发现问题：\n" + "\n".join(result.problems), options["as_json"]
                )
                raise CommandError("备份校验未通过", returncode=EXIT_PROBLEMS)
            return data, f"{archive.name}：试恢复成功，数据行数、历史记录和审计日志的末端与清单一致"
        if action == "renumber":
            report = renumber()
            text = (f"税务机关登记而本地没有的发票 {report['after_snapshot']} 张；"
                    f"移动号码段 {report['segments_moved']} 个，关闭数电号码块 "
                    f"{report['digital_blocks_closed']} 个")  # fmt: skip
            if report["problems"]:
                self.emit(report, "\n".join(report["problems"]), options["as_json"])
                raise CommandError("未能与税务机关核对号码", returncode=EXIT_PROBLEMS)
            return report, text
        rows = [[b.name, b.trigger, f"{b.size / 2**20:.1f} MB", f"{b.seconds:.1f}s",
                 {None: "未校验", True: "校验通过", False: "校验失败"}[b.verified],
                 "已轮换删除" if b.deleted_at else "、".join(b.destinations)]
                for b in Backup.objects.all()]  # fmt: skip
        keys = ("name", "trigger", "size", "seconds", "verified", "where")
        data = [dict(zip(keys, row, strict=True)) for row in rows]
        return data, table(rows)

    def _keygen(self, out: Path) -> tuple[Any, str]:
        identity, recipient = keypair()
        try:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise BackupRefused(f"{out} 已存在，不会覆盖", field="out") from None
        with os.fdopen(fd, "w") as handle:
            handle.write(
                f"# Fapiao 备份私钥：恢复备份时需要，请离线保存\n# 公钥：{recipient}\n{identity}\n"
            )
        return {"recipient": recipient, "identity_file": str(out)}, (
            f"私钥已写入 {out}（请移出服务器妥善保存）\n"
            f"公钥：{recipient}\n请设置 FAPIAO_BACKUP_RECIPIENTS={recipient}"
        )
