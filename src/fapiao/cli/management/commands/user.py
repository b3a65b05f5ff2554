from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandParser

from fapiao.cli.base import FapiaoCommand
from fapiao.core.roles import OUTSIDE, Role
from fapiao.invoicing.accounts import role_grant, role_revoke, user_create
from fapiao.invoicing.selectors import NotFound
from fapiao.security import twofactor
from fapiao.security.identities import identities_of, identity_unlink
from fapiao.security.services import unlock


class Command(FapiaoCommand):
    help = (
        "用户：add 新建（密码取自 FAPIAO_PASSWORD 或提示输入）；grant/revoke 角色；"
        "unlock 解除锁定；security 查看登录方式；"
        "2fa-reset 移除身份验证器（手机丢失时）；unlink 解除第三方账号"
    )

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

        def one(sub: CommandParser) -> None:
            sub.add_argument("username")

        def unlink(sub: CommandParser) -> None:
            sub.add_argument("username")
            sub.add_argument("account", type=int, help="第三方账号编号（见 security）")

        self.subcommands(parser, add=add, grant=grant, revoke=grant, unlock=unlock,
                         security=one, **{"2fa-reset": one}, unlink=unlink)  # fmt: skip

    def run(self, **options: Any) -> tuple[Any, str]:
        actor = self.actor(options)
        action = options["action"]
        if action == "unlock":
            forgotten = unlock(options["username"], actor=actor)
            return {"unlocked": options["username"], "failures": forgotten}, (
                f"已解除 {options['username']} 的锁定"
            )
        if action in ("security", "2fa-reset", "unlink"):
            return self._security(action, options, actor)
        if action == "add":
            password = os.environ.get("FAPIAO_PASSWORD") or getpass.getpass("密码：")
            user = user_create(
                username=options["username"],
                password=password,
                email=options["email"],
                first_name=options["name"],
                actor=f"cli:{getpass.getuser()}",
            )
            roles = [Role(r) for r in options["role"]]
        else:
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise NotFound(f"用户{options['username']}不存在", field="username")
            roles = [Role(options["role"])]
        for role in roles:
            taxpayer = None if role in OUTSIDE else self.taxpayer(options)
            if action == "revoke":
                role_revoke(user=user, role=role, taxpayer=taxpayer, actor=actor)
            else:
                role_grant(user=user, role=role, taxpayer=taxpayer, actor=actor)
        names = "、".join(role.label for role in roles)
        verb = "撤销" if action == "revoke" else "授予"
        return {"username": user.get_username(), "roles": [r.value for r in roles]}, (
            f"用户 {user.get_username()}：已{verb}{names}" if roles else f"已创建用户 {user}"
        )

    def _security(self, action: str, options: dict[str, Any], actor: str) -> tuple[Any, str]:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise NotFound(f"用户{options['username']}不存在", field="username")
        name = user.get_username()
        if action == "2fa-reset":
            had = twofactor.reset(user, actor=actor)
            text = f"已移除 {name} 的身份验证器和恢复码" if had else f"{name} 未启用两步验证"
            return {"username": name, "removed": had}, text
        if action == "unlink":
            provider = identity_unlink(user, options["account"])
            return {"username": name, "unlinked": options["account"]}, (
                f"已解除 {name} 的第三方账号 {provider}"
            )
        linked = [
            {
                "id": a.pk,
                "provider": a.provider,
                "uid": a.uid,
                "linked_at": a.date_joined.isoformat(),
            }
            for a in identities_of(user)
        ]
        data = {
            "username": name,
            "password": user.has_usable_password(),
            "two_factor": twofactor.enabled(user),
            "recovery_codes": twofactor.recovery_left(user),
            "identities": linked,
        }
        state = (
            f"已启用（剩余恢复码 {data['recovery_codes']} 个）" if data["two_factor"] else "未启用"
        )
        password = "已设置" if data["password"] else "未设置"
        lines = [f"{name}：密码{password}，两步验证{state}"]
        lines += [f"  #{a['id']} {a['provider']} {a['uid']}" for a in linked]
        return data, "\n".join(lines)
