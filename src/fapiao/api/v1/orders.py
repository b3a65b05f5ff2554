"""扫码开票 in the REST API: a shop's system makes an order (its lines fixed) and gets the link
(and its token) once, to print as a QR code; the order's status and invoice; cancel, a new
link. The buyer's side is the page the link opens. The same services as the pages and
``fapiao order``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from fapiao.api.v1.common import caller
from fapiao.api.v1.schemas import Error
from fapiao.core.roles import ISSUE
from fapiao.invoicing.selectors import channel_find
from fapiao.orders import selectors
from fapiao.orders.services import Made, order_cancel, order_create, order_relink

router = Router()
TAGS = ["扫码开票"]


class OrderIn(Schema):
    order_no: str
    channel: str = ""
    kinds: list[str] = Field(default_factory=list)
    mode: str = "inclusive"
    lines: list[dict[str, Any]] = Field(default_factory=list)
    remarks: str = ""
    days: int = 30


def _made(made: Made) -> dict[str, Any]:
    return {**selectors.order_as_dict(made.order), "url": made.url, "token": made.token}


@router.post(
    "/orders",
    response={201: dict[str, Any], 400: Error},
    tags=TAGS,
    summary="生成扫码开票订单（链接只返回这一次）",
)
def order_post(request: HttpRequest, body: OrderIn) -> Status[dict[str, Any]]:
    me = caller(request)
    me.need(ISSUE)
    made = order_create(
        taxpayer=me.taxpayer,
        channel=channel_find(me.taxpayer, body.channel or None),
        order_no=body.order_no,
        lines=body.lines,
        kinds=body.kinds,
        mode=body.mode,
        remarks=body.remarks,
        days=body.days,
        actor=me.actor,
    )
    return Status(201, _made(made))


@router.get("/orders", response={200: list[dict[str, Any]]}, tags=TAGS, summary="订单列表")
def order_list(request: HttpRequest, status: str = "") -> list[dict[str, Any]]:
    me = caller(request)
    me.need(ISSUE)
    return [
        selectors.order_as_dict(o) for o in selectors.orders_of(me.taxpayer, status=status)[:500]
    ]


@router.get(
    "/orders/{order_id}", response={200: dict[str, Any], 404: Error}, tags=TAGS, summary="一个订单"
)
def order_show(request: HttpRequest, order_id: int) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    return selectors.order_as_dict(selectors.order_get(me.taxpayer, order_id))


@router.post(
    "/orders/{order_id}/cancel",
    response={200: dict[str, Any], 400: Error, 404: Error},
    tags=TAGS,
    summary="取消订单",
)
def order_cancel_post(request: HttpRequest, order_id: int) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    found = selectors.order_get(me.taxpayer, order_id)
    return selectors.order_as_dict(order_cancel(order=found, actor=me.actor))


@router.post(
    "/orders/{order_id}/link",
    response={200: dict[str, Any], 400: Error, 404: Error},
    tags=TAGS,
    summary="重新生成链接（旧链接失效）",
)
def order_relink_post(request: HttpRequest, order_id: int) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    found = selectors.order_get(me.taxpayer, order_id)
    return _made(order_relink(order=found, actor=me.actor))
