"""Who is calling the API: an API key (``X-API-Key``) or a logged-in session, for one taxpayer.

A session user with several taxpayers names one with the ``X-Taxpayer`` header (its tax id).
Every endpoint works on ``request.auth.taxpayer`` only, so another taxpayer's records are
simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyHeader, SessionAuth

from fapiao.api.keys import apikey_check
from fapiao.domain.errors import DomainError, Text
from fapiao.invoicing.models import Membership, Role, Taxpayer

READ = frozenset({Role.ADMIN, Role.ISSUER, Role.FINANCE, Role.AUDITOR})
ISSUE = frozenset({Role.ADMIN, Role.ISSUER})
SETUP = frozenset({Role.ADMIN})


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


class KeyAuth(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        found = apikey_check(key or "")
        if found is None:
            return None
        return Caller(found.taxpayer, frozenset({Role(found.role)}), f"api:{found.prefix}")


def caller_of_user(user: Any, tax_id: str = "", taxpayer_id: int | None = None) -> Caller | None:
    """The caller a signed-in user is at one taxpayer: the one named (by tax id or id), else
    the only one; None when that is not one of the user's taxpayers."""
    memberships = Membership.objects.filter(user=user, taxpayer__isnull=False)
    if tax_id:
        memberships = memberships.filter(taxpayer__tax_id=tax_id.strip().upper())
    elif taxpayer_id is not None:
        memberships = memberships.filter(taxpayer_id=taxpayer_id)
    taxpayers = {m.taxpayer_id for m in memberships}
    if len(taxpayers) != 1:
        return None
    taxpayer = Taxpayer.objects.get(pk=taxpayers.pop())
    return Caller(taxpayer, frozenset(Role(m.role) for m in memberships), user.get_username())


class SessionCaller(SessionAuth):
    """A logged-in user (CSRF is checked on writes, as for any cookie)."""

    def authenticate(self, request: HttpRequest, key: Any) -> Caller | None:
        user = super().authenticate(request, key)
        if not user:
            return None
        wanted = request.headers.get("X-Taxpayer", "")
        chosen = None if wanted else request.session.get("taxpayer_id")
        return caller_of_user(user, tax_id=wanted, taxpayer_id=chosen) or (
            caller_of_user(user) if not wanted else None
        )


AUTH = [KeyAuth(), SessionCaller()]
