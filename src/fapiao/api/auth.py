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
from fapiao.domain.errors import DomainError
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
            raise Forbidden(f"没有权限：需要{names}角色", field=None)


class KeyAuth(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        found = apikey_check(key or "")
        if found is None:
            return None
        return Caller(found.taxpayer, frozenset({Role(found.role)}), f"api:{found.prefix}")


class SessionCaller(SessionAuth):
    """A logged-in user (CSRF is checked on writes, as for any cookie)."""

    def authenticate(self, request: HttpRequest, key: Any) -> Caller | None:
        user = super().authenticate(request, key)
        if not user:
            return None
        memberships = Membership.objects.filter(user=user, taxpayer__isnull=False)
        wanted = request.headers.get("X-Taxpayer", "").strip().upper()
        if wanted:
            memberships = memberships.filter(taxpayer__tax_id=wanted)
        taxpayers = {m.taxpayer_id for m in memberships}
        if len(taxpayers) != 1:
            return None
        taxpayer = Taxpayer.objects.get(pk=taxpayers.pop())
        roles = frozenset(Role(m.role) for m in memberships)
        return Caller(taxpayer, roles, user.get_username())


AUTH = [KeyAuth(), SessionCaller()]
