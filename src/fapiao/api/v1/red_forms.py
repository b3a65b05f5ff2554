"""红字信息表 and 确认单: list, raise, confirm, cancel."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja import Status as Reply

from fapiao.api.v1.common import caller, invoice_of, picks
from fapiao.api.v1.schemas import ConfirmIn, RedFormIn, RedFormOut
from fapiao.core.roles import ISSUE, READ
from fapiao.invoicing.models import RedForm
from fapiao.invoicing.red_forms import red_form_cancel, red_form_confirm, red_form_create
from fapiao.invoicing.selectors import (
    red_form_as_dict,
    red_form_get,
    red_forms_of,
)

router = Router()


# --- red-letter forms ---------------------------------------------------------------------


@router.get("/red-forms", response=list[RedFormOut], tags=["红字"], summary="红字信息表/确认单")
def red_forms(request: HttpRequest) -> list[dict[str, Any]]:
    me = caller(request)
    me.need(READ)
    return [red_form_as_dict(form) for form in red_forms_of(me.taxpayer)[:200]]


@router.post("/red-forms", response={201: RedFormOut}, tags=["红字"], summary="提出信息表/确认单")
def red_form_new(request: HttpRequest, payload: RedFormIn) -> Reply:
    me = caller(request)
    me.need(ISSUE)
    form = red_form_create(
        blue=invoice_of(request, payload.blue),
        reason=payload.reason,
        raised_by=payload.raised_by,
        picks=picks(payload.lines),
        buyer_booked=payload.buyer_booked,
        actor=me.actor,
    )
    return Reply(201, red_form_as_dict(form))


def _form(request: HttpRequest, number: str) -> RedForm:
    return red_form_get(caller(request).taxpayer, number)


@router.post("/red-forms/{number}/confirm", response=RedFormOut, tags=["红字"], summary="对方确认")
def red_form_confirm_(request: HttpRequest, number: str, payload: ConfirmIn) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    form = red_form_confirm(form=_form(request, number), party=payload.party,
                            accept=payload.accept, actor=me.actor)  # fmt: skip
    return red_form_as_dict(form)


@router.post("/red-forms/{number}/cancel", response=RedFormOut, tags=["红字"], summary="撤销")
def red_form_cancel_(request: HttpRequest, number: str) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    return red_form_as_dict(red_form_cancel(form=_form(request, number), actor=me.actor))
