"""What every resource of the API needs: the caller, the caller's invoice, picked lines."""

from __future__ import annotations

from django.http import HttpRequest

from fapiao.api.v1.schemas import PickIn
from fapiao.core.caller import Caller
from fapiao.domain.red import Pick, pick_of
from fapiao.invoicing.models import Invoice
from fapiao.invoicing.selectors import (
    invoice_get,
)


def caller(request: HttpRequest) -> Caller:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def invoice_of(request: HttpRequest, invoice_id: int) -> Invoice:
    """The caller's invoice, or 404 — another taxpayer's id is as unknown as a missing one."""
    return invoice_get(caller(request).taxpayer, invoice_id)


def picks(lines: list[PickIn] | None) -> list[Pick] | None:
    if lines is None:
        return None
    return [pick_of(item.line, item.quantity, item.amount) for item in lines]
