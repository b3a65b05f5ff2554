"""REST API ``/api/v1``: thin endpoints over the same services as the CLI and the web pages.

Errors are ``{code, message, field}`` with a Chinese message; money travels as strings so no
amount passes through a float.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from fapiao.api.auth import AUTH
from fapiao.batches.services import AlreadyUploaded
from fapiao.core.caller import Forbidden
from fapiao.core.refusals import CSRF_MESSAGE, say
from fapiao.core.signing import SealBroken
from fapiao.domain.errors import DomainError
from fapiao.domain.fields import field_name, missing_message
from fapiao.invoicing.errors import BadRequestId, IdempotencyConflict
from fapiao.invoicing.selectors import NotFound


class Api(NinjaAPI):
    """The API, whose operation ids stay those of one module (the committed schema's)."""

    def get_openapi_operation_id(self, operation: Any) -> str:
        return f"fapiao_api_v1_{operation.view_func.__name__}"


api = Api(
    title="Fapiao 开票系统 API",
    version="1",
    urls_namespace="api-v1",
    auth=AUTH,
    description="发票开具、作废、红字、目录、渠道、查询与文件。"
    "认证：X-API-Key 或登录会话（写操作需 CSRF）。",
)

STATUS_OF = {
    NotFound: 404, Forbidden: 403, IdempotencyConflict: 409, AlreadyUploaded: 409,
    BadRequestId: 422, SealBroken: 503,
}  # fmt: skip
PYDANTIC_MESSAGES = {
    "missing": "必须填写",
    "string_type": "应为文字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "enum": "不是允许的取值",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "json_invalid": "不是有效的JSON",
    "string_too_long": "不能超过{max_length}个字符",
    "string_too_short": "不能少于{min_length}个字符",
    "greater_than_equal": "不能小于{ge}",
    "less_than_equal": "不能大于{le}",
    "int_from_float": "应为整数",
}


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    status = next((code for kind, code in STATUS_OF.items() if isinstance(error, kind)), 400)
    if error.code == "too_many_misses":  # 查验 that look like enumeration
        status = 429
    # Chinese, unless the caller is a signed-in user who chose another language
    return api.create_response(request, {**error.as_dict(), "message": say(error.message)},
                               status=status)  # fmt: skip


def _field_of(error: dict[str, Any]) -> str | None:
    location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query")]
    return ".".join(location[1:] if location[:1] == ["payload"] else location) or None


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    """A request the schema refuses, in plain Chinese: every missing field named at once
    (``请填写购买方名称、第1行税率``), else the first wrong one with what is wrong with it."""
    errors = list(error.errors)
    missing = [_field_of(e) or "" for e in errors if e.get("type") == "missing"]
    first = next((e for e in errors if e.get("type") == "missing"), errors[0] if errors else {})
    field = _field_of(first)
    if missing:
        message = say(missing_message(missing))
    else:
        reason = PYDANTIC_MESSAGES.get(str(first.get("type", "")), "格式不正确")
        try:
            reason = reason.format(**first.get("ctx", {}))
        except (KeyError, IndexError, ValueError):
            reason = "格式不正确"
        message = f"{field_name(field) if field else '请求体'}{reason}"
    return api.create_response(
        request, {"code": "invalid", "message": message, "field": field}, status=422
    )


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    body = {"code": "unauthorized", "message": "请先登录或提供有效的API密钥", "field": None}
    return api.create_response(request, body, status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    """Ninja's own refusals (a failed CSRF check of a session's write) in our shape."""
    if error.status_code == 403:
        body = {"code": "csrf", "message": say(CSRF_MESSAGE), "field": None}
    else:
        body = {"code": "invalid", "message": say("请求不正确"), "field": None}
    return api.create_response(request, body, status=error.status_code)


from fapiao.api.v1 import (  # noqa: E402
    archives,
    batches,
    catalogs,
    invoices,
    notices,
    orders,
    periods,
    received,
    red_forms,
    reports,
    requests,
    risk,
    tickets,
    verify,
)

for _resource in (
    invoices,
    requests,
    batches,
    orders,
    received,
    red_forms,
    catalogs,
    verify,
    periods,
    reports,
    archives,
    tickets,
    notices,
    risk,
):  # the schema's order
    api.add_router("", _resource.router)
api.add_router("", tickets.desk_router)  # support staff's own sign-in
