"""风险预警 in the REST API: the caller's taxpayer's alerts (管理员, 审计员) and their handling
(管理员): the same selectors and services as the page and ``fapiao risk``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from fapiao.api.v1.common import caller
from fapiao.api.v1.schemas import Error
from fapiao.core.roles import AUDIT, SETUP
from fapiao.risk import selectors
from fapiao.risk.selectors import alert_facts
from fapiao.risk.services import alert_move

router = Router()
TAGS = ["风险预警"]


@router.get(
    "/risk/alerts",
    response={200: list[dict[str, Any]], 403: Error},
    tags=TAGS,
    summary="风险预警列表",
)
def risk_alerts(
    request: HttpRequest, status: str = "live", rule: str = "", severity: str = ""
) -> Any:
    """``status``: live (待处理和已确认, the default), open, acknowledged, resolved, dismissed or
    empty for all."""
    me = caller(request)
    me.need(AUDIT)
    found = selectors.alerts_of(me.taxpayer, status=status, rule=rule, severity=severity)
    return [alert_facts(alert) for alert in found[:500]]


@router.get(
    "/risk/alerts/{alert_id}",
    response={200: dict[str, Any], 404: Error},
    tags=TAGS,
    summary="一条风险预警",
)
def risk_alert(request: HttpRequest, alert_id: int) -> Any:
    me = caller(request)
    me.need(AUDIT)
    return alert_facts(selectors.alert_get(me.taxpayer, alert_id))


class MoveIn(Schema):
    status: str
    note: str = ""


@router.post(
    "/risk/alerts/{alert_id}/status",
    response={200: dict[str, Any], 400: Error, 403: Error, 404: Error},
    tags=TAGS,
    summary="确认、解决或忽略预警",
)
def risk_alert_move(request: HttpRequest, alert_id: int, body: MoveIn) -> Any:
    me = caller(request)
    me.need(SETUP)
    alert = selectors.alert_get(me.taxpayer, alert_id)
    return alert_facts(
        alert_move(alert=alert, to=body.status, actor=me.actor, note=body.note, request=request)
    )
