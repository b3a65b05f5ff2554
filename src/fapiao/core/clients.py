"""Where a change comes from: the address and user agent of the web or API request that made
it, for the taxpayer's history and the audit log ("who, when, from where, what"). Set for each
request by
``web.middleware.ClientMiddleware``; empty for the command line and background work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_CLIENT: ContextVar[str] = ContextVar("fapiao_client", default="")
_AGENT: ContextVar[str] = ContextVar("fapiao_agent", default="")


def client() -> str:
    """The address of the request being served ("" outside one)."""
    return _CLIENT.get()


def client_agent() -> str:
    """The user agent of the request being served ("" outside one)."""
    return _AGENT.get()


@contextmanager
def from_client(address: str, agent: str = "") -> Iterator[None]:
    token, agent_token = _CLIENT.set(address[:45]), _AGENT.set(agent[:300])
    try:
        yield
    finally:
        _CLIENT.reset(token)
        _AGENT.reset(agent_token)
