from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandParser

from fapiao.cli.base import FapiaoCommand, table
from fapiao.domain.errors import Text
from fapiao.domain.notices import KINDS, SEVERITY_LABELS
from fapiao.invoicing.selectors import NotFound
from fapiao.notices.selectors import notices_of, unread_count
from fapiao.notices.services import notices_read


class Command(FapiaoCommand):
    help = "通知中心：list 列出用户的通知（--unread 只看未读）；read 标为已读（不给编号则全部）"
    taxpayer_scoped = False

    def arguments(self, parser: CommandParser) -> None:
        def listing(sub: CommandParser) -> None:
            sub.add_argument("--user", required=True, help="用户名")
            sub.add_argument("--unread", action="store_true", help="只看未读")
            sub.add_argument("--kind", choices=sorted(KINDS), default="")
            sub.add_argument("--limit", type=int, default=50)

        def reading(sub: CommandParser) -> None:
            sub.add_argument("--user", required=True, help="用户名")
            sub.add_argument("ids", type=int, nargs="*", help="通知编号")

        self.subcommands(parser, list=listing, read=reading)

    def run(self, **options: Any) -> tuple[Any, str]:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise NotFound(Text("用户{0}不存在", options["user"]), field="user")
        if options["action"] == "read":
            count = notices_read(user, options["ids"] or None)
            return {"read": count}, f"已将{count}条通知标为已读"
        found = notices_of(user, unread=options["unread"], kind=options["kind"])
        rows = [
            {"id": n.pk, "created_at": n.created_at.isoformat(), "kind": n.kind,
             "severity": n.severity, "subject": n.subject, "read": n.read_at is not None,
             "link": n.link}
            for n in found[: max(options["limit"], 1)]
        ]  # fmt: skip
        header = ["编号", "时间", "类型", "级别", "通知", "已读"]
        lines = [
            [str(r["id"]), r["created_at"][:16], KINDS[r["kind"]],
             SEVERITY_LABELS.get(r["severity"], ""), r["subject"], "是" if r["read"] else "否"]
            for r in rows
        ]  # fmt: skip
        text = table([header, *lines]) if lines else table([])
        return {"unread": unread_count(user), "notices": rows}, text
