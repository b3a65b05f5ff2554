"""Where a change comes from: the address of the web or API request that made it, for the
taxpayer's history and the audit log ("who, when, from where, what"). Set for each request by
``web.middleware.ClientMiddleware``; empty for the command line and background work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_CLIENT: ContextVar[str] = ContextVar("fapiao_client", default="")


def client() -> str:
    """The address of the request being served ("" outside one)."""
    return _CLIENT.get()


@contextmanager
def from_client(address: str) -> Iterator[None]:
    token = _CLIENT.set(address[:45])
    try:
        yield
    finally:
        _CLIENT.reset(token)
