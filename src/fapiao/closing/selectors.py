"""申报与清卡 reads that several interfaces make."""

from __future__ import annotations

from fapiao.closing.models import Clearing
from fapiao.invoicing.models import Taxpayer
from fapiao.invoicing.selectors import NotFound


def clearing_get(taxpayer: Taxpayer, number: str) -> Clearing:
    """The taxpayer's 清卡 application by its number, or :class:`NotFound`."""
    found = Clearing.objects.filter(taxpayer=taxpayer, number=number).first()
    if found is None:
        raise NotFound("清卡申请不存在", field="number")
    return found
