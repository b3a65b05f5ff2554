from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandParser

from fapiao.cli.base import FapiaoCommand
from fapiao.core.roles import Role
from fapiao.invoicing.accounts import role_grant, role_revoke, user_create
from fapiao.invoicing.selectors import NotFound
from fapiao.security.services import unlock


class Command(FapiaoCommand):
    help = "用户：add 新建（密码取自 FAPIAO_PASSWORD 或提示输入）；grant/revoke 角色"

    def arguments(self, parser: CommandParser) -> None:
        roles = [role.value for role in Role]

        def add(sub: CommandParser) -> None:
            sub.add_argument("username")
            sub.add_argument("--email", default="")
            sub.add_argument("--name", default="")
            sub.add_argument("--role", choices=roles, action="append", default=[])

        def grant(sub: CommandParser) -> None:
            sub.add_argument("username")
            sub.add_argument("--role", choices=roles, required=True)

        def unlock(sub: CommandParser) -> None:
            sub.add_argument("username", help="用户名、邮箱或手机号")

        self.subcommands(parser, add=add, grant=grant, revoke=grant, unlock=unlock)

    def run(self, **options: Any) -> tuple[Any, str]:
        actor = self.actor(options)
        action = options["action"]
        if action == "unlock":
            forgotten = unlock(options["username"], actor=actor)
            return {"unlocked": options["username"], "failures": forgotten}, (
                f"已解除 {options['username']} 的锁定"
            )
        if action == "add":
            password = os.environ.get("FAPIAO_PASSWORD") or getpass.getpass("密码：")
            user = user_create(
                username=options["username"],
                password=password,
                email=options["email"],
                first_name=options["name"],
            )
            roles = [Role(r) for r in options["role"]]
        else:
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise NotFound(f"用户{options['username']}不存在", field="username")
            roles = [Role(options["role"])]
        for role in roles:
            taxpayer = None if role == Role.AUTHORITY else self.taxpayer(options)
            if action == "revoke":
                role_revoke(user=user, role=role, taxpayer=taxpayer, actor=actor)
            else:
                role_grant(user=user, role=role, taxpayer=taxpayer, actor=actor)
        names = "、".join(role.label for role in roles)
        verb = "撤销" if action == "revoke" else "授予"
        return {"username": user.get_username(), "roles": [r.value for r in roles]}, (
            f"用户 {user.get_username()}：已{verb}{names}" if roles else f"已创建用户 {user}"
        )
