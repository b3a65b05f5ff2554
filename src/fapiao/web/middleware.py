"""The page language: the signed-in user's choice, else the language cookie (set by the switch in
the header), else 简体中文. The browser's Accept-Language is not consulted: zh-CN comes first."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

from fapiao.core.clients import from_client
from fapiao.invoicing.accounts import holds_power
from fapiao.security import twofactor
from fapiao.web.errors import refusal

AVAILABLE = {code for code, _ in settings.LANGUAGES}


def language_of(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        chosen = getattr(getattr(user, "profile", None), "language", "")
        if chosen in AVAILABLE:
            return chosen
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return cookie if cookie in AVAILABLE else settings.LANGUAGE_CODE


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_of(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


def _refusal(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return refusal(request, "too_large" if status == 413 else "invalid", message, status)


class RequestSizeMiddleware:
    """Refuse a request body over ``FAPIAO_REQUEST_MAX_BYTES`` with 413 before any of it is
    read (uploads included: Django would otherwise spool a file of any size to disk)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refusal(request, "请求长度（Content-Length）不正确", 400)
        limit = settings.FAPIAO_REQUEST_MAX_BYTES
        if length > limit:
            message = f"上传内容过大（{-(-length // 2**20)}MB），上限为{limit // 2**20}MB"
            return _refusal(request, message, 413)
        return self.get_response(request)


NUL_MESSAGE = "请求中含有不允许的空字符（\\0）"


class RejectNulMiddleware:
    """Refuse a request carrying a NUL character in its query, form or JSON body with 400: no
    field of ours may hold one, and PostgreSQL cannot store it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return _refusal(request, NUL_MESSAGE, 400)
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    query = request.META.get("QUERY_STRING", "")
    if "\x00" in query or "%00" in query:
        return True
    if request.method in ("POST", "PUT", "PATCH"):
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith(("multipart/", "application/x-www-form-urlencoded")):
            return any("\x00" in value for value in request.POST.values())
        body = request.body
        return b"\x00" in body or b"\\u0000" in body
    return False


class ClientMiddleware:
    """Each request's address and user agent, for the history and audit entries its changes
    write."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        agent = request.META.get("HTTP_USER_AGENT", "")
        with from_client(request.META.get("REMOTE_ADDR") or "", agent):
            return self.get_response(request)


#: what a user who must set up two-factor may still open before doing so
TWO_FACTOR_OPEN = ("/settings/me/security/", "/accounts/", "/static/", "/i18n/", "/favicon")
TWO_FACTOR_NEEDED = "您的角色要求使用两步验证：请先在“登录与安全”中绑定身份验证器"


class TwoFactorMiddleware:
    """With ``FAPIAO_2FA_REQUIRED``, a signed-in 管理员 or 税务机关 without an authenticator
    is sent to set one up before anything else (the API answers 403)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.FAPIAO_2FA_REQUIRED and not request.path.startswith(TWO_FACTOR_OPEN):
            user = getattr(request, "user", None)
            if (
                user is not None
                and user.is_authenticated
                and twofactor.required_of(holds_power(user))
                and not twofactor.enabled(user)
            ):
                if request.path.startswith("/api/"):
                    return refusal(request, "forbidden", TWO_FACTOR_NEEDED, 403)
                return redirect("/settings/me/security/?required=1")
        return self.get_response(request)
