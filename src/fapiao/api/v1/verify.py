"""查验 through the taxpayer's API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja import Status as Reply

from fapiao.api.v1.schemas import Error, VerifyOut
from fapiao.authority.api import VerifyIn
from fapiao.authority.client import Unreachable
from fapiao.invoicing.verification import verify as verify_answer

router = Router()


@router.post(
    "/verify",
    auth=None,
    response={200: VerifyOut, 400: Error, 429: Error, 503: Error},
    tags=["查验"],
    summary="发票查验（公开，无需登录）",
)
def verify(request: HttpRequest, payload: VerifyIn) -> Any:
    try:
        return verify_answer(payload.dict(), client=str(request.META.get("REMOTE_ADDR", "")))
    except Unreachable:
        body = {"code": "unreachable", "message": "税务机关服务暂时无法连接", "field": None}
        return Reply(503, body)
