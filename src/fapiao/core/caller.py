"""Who is acting: a taxpayer, the roles held there and the name the history records. Made by
the interfaces (an API key, a signed-in session) and checked with :meth:`Caller.need`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fapiao.core.roles import Role
from fapiao.domain.errors import DomainError, Text

if TYPE_CHECKING:
    from fapiao.invoicing.models import Taxpayer


class Forbidden(DomainError):
    code = "forbidden"


@dataclass(frozen=True)
class Caller:
    taxpayer: Taxpayer
    roles: frozenset[Role]
    actor: str

    def need(self, allowed: frozenset[Role]) -> None:
        if not self.roles & allowed:
            names = "、".join(sorted(role.label for role in allowed))
            raise Forbidden(Text("没有权限：需要{0}角色", names), field=None)
