"""The public 查验 endpoint answered without Django's request machinery.

``POST /authority/v1/verify`` is the one call the public makes in volume; this WSGI wrapper
answers it straight from :func:`~fapiao.authority.services.verify_inputs` (the same service, the
same JSON in and out as the django-ninja endpoint) and hands every other request to Django.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db import close_old_connections

from fapiao.authority import checking
from fapiao.domain.errors import DomainError
from fapiao.domain.verification import INPUT_FIELDS

PATH = "/authority/v1/verify"
MAX_BODY = 64 * 1024

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _reply(start: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode()
    start(status, [("Content-Type", "application/json; charset=utf-8"),
                   ("Content-Length", str(len(data))),
                   ("X-Content-Type-Options", "nosniff")])  # fmt: skip
    return [data]


def _refusal(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "field": field}


def answer(environ: dict[str, Any], start: StartResponse) -> list[bytes]:
    """One 查验 over HTTP: 200 with the signed answer, 400 for bad input, 429 when refused."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if not 0 < length <= MAX_BODY:
        return _reply(start, "400 Bad Request", _refusal("invalid", "请求体应为JSON对象"))
    raw = environ["wsgi.input"].read(length)
    try:
        body = json.loads(raw)
    except ValueError:
        return _reply(start, "400 Bad Request", _refusal("invalid", "请求体不是有效的JSON"))
    if not isinstance(body, dict) or b"\x00" in raw or b"\\u0000" in raw:
        return _reply(start, "400 Bad Request", _refusal("invalid", "请求体应为JSON对象"))
    inputs = {name: body.get(name) for name in INPUT_FIELDS}
    if any(value is not None and not isinstance(value, str) for value in inputs.values()):
        return _reply(start, "422 Unprocessable Entity",
                      _refusal("invalid", "请求格式不正确：各项应为文字"))  # fmt: skip
    close_old_connections()
    try:
        result = checking.verify_inputs(inputs, client=str(environ.get("REMOTE_ADDR", "")))
    except checking.TooManyMisses as refused:
        return _reply(start, "429 Too Many Requests", refused.as_dict())
    except DomainError as refused:
        return _reply(start, "400 Bad Request", refused.as_dict())
    finally:
        close_old_connections()
    return _reply(start, "200 OK", result)


def lean(django: WsgiApp) -> WsgiApp:
    """``django`` with ``POST /authority/v1/verify`` answered directly."""

    def application(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == PATH and environ.get("REQUEST_METHOD") == "POST":
            return answer(environ, start)
        return django(environ, start)

    return application
