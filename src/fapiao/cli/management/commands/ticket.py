from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandParser

from fapiao.cli.base import FapiaoCommand, table
from fapiao.domain.errors import Text
from fapiao.domain.tickets import ATTACHMENT_MAX, CATEGORIES, STATUS_LABELS, Status, TicketRefused
from fapiao.invoicing.accounts import caller_of_user, support_role
from fapiao.invoicing.selectors import NotFound
from fapiao.support import selectors, tickets
from fapiao.support.models import Ticket


def _reads(paths: list[str]) -> list[tickets.Upload]:
    found = []
    for name in paths:
        path = Path(name)
        if not path.is_file():
            raise TicketRefused(Text("文件不存在：{0}", name), field="file")
        with path.open("rb") as handle:
            content = handle.read(ATTACHMENT_MAX + 1)
        found.append(tickets.Upload(path.name, content, path.stat().st_size))
    return found


class Command(FapiaoCommand):
    help = (
        "工单（在线客服）：list 列出工单（客服看到队列，其他用户看到自己的）；show 查看对话；"
        "reply 回复；file 提交工单；status 更改状态（客服）。--user 为操作的用户"
    )
    taxpayer_scoped = False

    def arguments(self, parser: CommandParser) -> None:
        def who(sub: CommandParser) -> None:
            sub.add_argument("--user", required=True, help="操作的用户名")

        def listing(sub: CommandParser) -> None:
            who(sub)
            sub.add_argument("--status", default="open", help="open（默认，未结束）或状态值")

        def one(sub: CommandParser) -> None:
            who(sub)
            sub.add_argument("id", type=int)

        def reply(sub: CommandParser) -> None:
            one(sub)
            sub.add_argument("--text", required=True, help="回复内容")
            sub.add_argument("--attach", action="append", default=[], help="附件（可多次）")

        def filing(sub: CommandParser) -> None:
            who(sub)
            sub.add_argument("--category", required=True, choices=sorted(CATEGORIES))
            sub.add_argument("--subject", required=True)
            sub.add_argument("--text", required=True, help="问题描述")
            sub.add_argument("--attach", action="append", default=[], help="附件（可多次）")

        def status(sub: CommandParser) -> None:
            one(sub)
            sub.add_argument("--set", required=True, choices=[s.value for s in Status])

        self.subcommands(parser, list=listing, show=one, reply=reply, file=filing, status=status)

    def run(self, **options: Any) -> tuple[Any, str]:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise NotFound(Text("用户{0}不存在", options["user"]), field="user")
        staff = support_role(user) is not None
        me = caller_of_user(user)
        action, name = options["action"], user.get_username()
        if action == "file":
            ticket = tickets.ticket_file(
                user=user,
                taxpayer=me.taxpayer if me else None,
                actor=name,
                category=options["category"],
                subject=options["subject"],
                description=options["text"],
                page="cli",
                uploads=_reads(options["attach"]),
            )
            return _as_dict(ticket), f"已提交工单 #{ticket.pk}"
        if action == "list":
            found = (
                selectors.desk_tickets(status=options["status"])
                if staff
                else selectors.tickets_of(user, me)
            )
            rows = [
                [
                    f"#{t.pk}",
                    STATUS_LABELS[Status(t.status)],
                    CATEGORIES.get(t.category, ""),
                    t.filer_name,
                    t.subject,
                ]
                for t in found[:200]
            ]
            return [_as_dict(t) for t in found[:200]], table(rows)
        ticket = (
            selectors.desk_ticket(options["id"])
            if staff
            else selectors.ticket_of(user, me, options["id"])
        )
        if action == "reply":
            tickets.ticket_reply(
                ticket=ticket,
                user=user,
                actor=name,
                body=options["text"],
                staff=staff,
                uploads=_reads(options["attach"]),
            )
            ticket.refresh_from_db()
            return _as_dict(
                ticket
            ), f"已回复工单 #{ticket.pk}（{STATUS_LABELS[Status(ticket.status)]}）"
        if action == "status":
            if not staff:
                raise TicketRefused("只有客服人员可以更改工单状态", field="user")
            ticket = tickets.ticket_move(ticket=ticket, status=options["set"], actor=name)
            return _as_dict(ticket), f"工单 #{ticket.pk}：{STATUS_LABELS[Status(ticket.status)]}"
        lines = [f"#{ticket.pk} {ticket.subject}（{STATUS_LABELS[Status(ticket.status)]}）"]
        for message in ticket.messages.prefetch_related("attachments"):
            who = f"客服 {message.author_name}" if message.by_staff else message.author_name
            lines.append(f"\n{message.at:%Y-%m-%d %H:%M} {who}：\n{message.body}")
            lines += [f"  附件：{a.name}（{a.size} 字节）" for a in message.attachments.all()]
        data = _as_dict(ticket)
        data["messages"] = [
            {"author": m.author_name, "staff": m.by_staff, "body": m.body, "at": m.at.isoformat()}
            for m in ticket.messages.all()
        ]
        return data, "\n".join(lines)


def _as_dict(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "subject": ticket.subject,
        "category": ticket.category,
        "status": ticket.status,
        "filer": ticket.filer_name,
        "assignee": ticket.assignee.get_username() if ticket.assignee else None,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
    }
