"""Error pages: 400, 403, 404, 500 and a failed CSRF check, inside the console's layout with a way
back, in the user's language; the API's addresses get the API's JSON shape instead."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from fapiao.core.refusals import CSRF_MESSAGE, say

API_PREFIXES = ("/api/", "/authority/v1/")
log = logging.getLogger(__name__)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


def refusal(request: HttpRequest, code: str, message: str, status: int) -> HttpResponse:
    """``message`` as the API's ``{code, message, field}`` or as a page in the layout."""
    if is_api(request):
        body = {"code": code, "message": message, "field": None}
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    context = {"status": status, "title": TITLES.get(status, _("出错了")), "message": message}
    try:
        return render(request, "web/error.html", context, status=status)
    except Exception:  # the layout itself failed (e.g. the database is down): a bare page
        log.exception("error page could not be drawn")
        plain = "text/plain; charset=utf-8"
        return HttpResponse(message.encode(), status=status, content_type=plain)


TITLES = {400: "请求不正确", 403: "没有权限", 404: "页面不存在", 413: "内容过大", 500: "系统出错"}


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return refusal(request, "too_large", _("提交的内容过大，请删减后重试"), 400)
    return refusal(request, "invalid", _("请求不正确，请返回上一页重试"), 400)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    said = str(exception or "") if exception is not None and exception.args else ""
    return refusal(request, "forbidden", said or _("没有权限访问此页面"), 403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return refusal(request, "not_found", _("您访问的页面不存在或已被移除"), 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return refusal(request, "server_error", _("系统出错，已记录此问题；请稍后重试"), 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return refusal(request, "csrf", say(CSRF_MESSAGE), 403)
