"""Who is calling the API: an API key (``X-API-Key``) or a logged-in session, for one taxpayer.

A session user with several taxpayers names one with the ``X-Taxpayer`` header (its tax id).
Every endpoint works on ``request.auth.taxpayer`` only, so another taxpayer's records are
simply not found.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyHeader, SessionAuth

from fapiao.api.keys import apikey_check
from fapiao.core.caller import Caller
from fapiao.core.roles import Role
from fapiao.invoicing.accounts import caller_of_user


class KeyAuth(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        found = apikey_check(key or "")
        if found is None:
            return None
        return Caller(found.taxpayer, frozenset({Role(found.role)}), f"api:{found.prefix}")


class SessionCaller(SessionAuth):
    """A logged-in user (CSRF is checked on writes, as for any cookie)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        # without a session cookie there is nothing to forge: "not signed in", not a CSRF failure
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

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
