"""申报与清卡: the period's state, 抄报, 申报, 清卡 and its certificate."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router

from fapiao.api.v1.common import caller
from fapiao.api.v1.schemas import ClearIn, DeclareIn, Error, PeriodIn
from fapiao.closing.certificate import certificate_pdf
from fapiao.closing.clearing import (
    clearing_apply,
    clearing_as_dict,
    clearing_refresh,
    clearing_state,
    state_as_dict,
)
from fapiao.closing.filing import period_declare, period_report
from fapiao.closing.models import Clearing
from fapiao.closing.selectors import clearing_get as clearing_of_number
from fapiao.closing.services import CONFIRM_PURPOSE, period_from
from fapiao.core.caller import Forbidden
from fapiao.core.clock import local_date
from fapiao.core.roles import CLOSE, READ
from fapiao.domain.errors import DomainError
from fapiao.domain.money import optional_money, parse_money
from fapiao.domain.periods import ClearingType
from fapiao.invoicing.selectors import (
    channel_find,
)
from fapiao.security.services import confirm_send
from fapiao.security.twofactor import step_up

router = Router()


# --- 申报与清卡 -----------------------------------------------------------------------------------


def _device_period(request: HttpRequest, payload: PeriodIn) -> tuple[Any, Any]:
    me = caller(request)
    today = local_date(timezone.now())
    channel = channel_find(me.taxpayer, payload.channel, device=True)
    return channel, period_from(me.taxpayer, payload.period, today)


def _session_user(request: HttpRequest) -> Any:
    if not request.user.is_authenticated:
        raise Forbidden("清卡须由登录用户以验证码确认，不能只用API密钥", field=None)
    return request.user


@router.get("/periods/status", response=dict[str, Any], tags=["申报与清卡"], summary="本期状态")
def period_status(request: HttpRequest, payload: Query[PeriodIn]) -> dict[str, Any]:
    caller(request).need(READ)
    channel, period = _device_period(request, payload)
    return state_as_dict(clearing_state(channel, period, today=local_date(timezone.now())))


@router.post("/periods/report", response=dict[str, Any], tags=["申报与清卡"], summary="抄报")
def period_report_(request: HttpRequest, payload: PeriodIn) -> dict[str, Any]:
    me = caller(request)
    me.need(CLOSE)
    channel, period = _device_period(request, payload)
    return dict(period_report(channel=channel, period=period, actor=me.actor).summary)


@router.post("/periods/declare", response=dict[str, Any], tags=["申报与清卡"], summary="申报")
def period_declare_(request: HttpRequest, payload: DeclareIn) -> dict[str, Any]:
    me = caller(request)
    me.need(CLOSE)
    declaration = period_declare(
        taxpayer=me.taxpayer, actor=me.actor,
        period=period_from(me.taxpayer, payload.period, local_date(timezone.now())),
        declared_sales=parse_money(payload.declared_sales, field="declared_sales",
                                   label="申报销售额"),
        input_tax=optional_money(payload.input_tax, field="input_tax", label="进项税额"),
        explanation=payload.explanation,
    )  # fmt: skip
    return dict(declaration.result)


@router.post("/periods/clear/code", response=dict[str, str], tags=["申报与清卡"],
          summary="发送清卡验证码")  # fmt: skip
def period_code(request: HttpRequest) -> dict[str, str]:
    caller(request).need(CLOSE)
    return {"sent_to": confirm_send(_session_user(request), purpose=CONFIRM_PURPOSE)}


@router.post(
    "/periods/clear", response=dict[str, Any], tags=["申报与清卡"], summary="清卡（不可撤销）"
)
def period_clear(request: HttpRequest, payload: ClearIn) -> dict[str, Any]:
    me = caller(request)
    me.need(CLOSE)
    channel, period = _device_period(request, payload)
    user = _session_user(request)
    step_up(user, payload.otp, purpose="clear", request=request)
    clearing = clearing_apply(
        channel=channel, period=period, user=user, code=payload.code,
        actor=me.actor, clearing_type=_clearing_type(payload.type),
    )  # fmt: skip
    return clearing_as_dict(clearing)


def _clearing_type(text: str | None) -> ClearingType | None:
    if not text:
        return None
    try:
        return ClearingType(text)
    except ValueError:
        raise DomainError("清卡类型应为月度、季度、年度或特殊", field="type") from None


def _clearing_of(request: HttpRequest, number: str) -> Clearing:
    return clearing_of_number(caller(request).taxpayer, number)


@router.get("/periods/clearings/{number}", response=dict[str, Any], tags=["申报与清卡"],
         summary="清卡申请与审核结果")  # fmt: skip
def clearing_get(request: HttpRequest, number: str) -> dict[str, Any]:
    caller(request).need(READ)
    return clearing_as_dict(clearing_refresh(_clearing_of(request, number)))


@router.get("/periods/clearings/{number}/certificate", tags=["申报与清卡"], summary="清卡凭证 PDF",
         response={200: None, 400: Error, 404: Error})  # fmt: skip
def clearing_certificate(request: HttpRequest, number: str) -> HttpResponse:
    caller(request).need(READ)
    response = HttpResponse(certificate_pdf(_clearing_of(request, number)),
                            content_type="application/pdf")  # fmt: skip
    response["Content-Disposition"] = f'attachment; filename="qingka-{number}.pdf"'
    return response
