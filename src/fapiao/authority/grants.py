"""Stock handed to devices (发票领用) and the monthly credit lines (授信额度)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from fapiao.authority.models import (
    RegisteredTaxpayer,
    StockGrant,
)
from fapiao.authority.services import AuthorityRefused, registered
from fapiao.core.clock import SHANGHAI
from fapiao.domain.errors import Text
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.numbering import build_code


@transaction.atomic
def grant_stock(
    *,
    tax_id: str,
    name: str,
    region: str,
    device_number: str,
    kind: InvoiceKind,
    count: int,
    now: datetime | None = None,
) -> StockGrant:
    """Hand a device the next ``count`` numbers of this year's code for its region and kind."""
    now = now or timezone.now()
    if not 1 <= count <= 10_000:
        raise AuthorityRefused("领用份数应为1至10000", field="count")
    if spec(kind).digital:
        raise AuthorityRefused(Text("{0}没有发票库存", spec(kind).name), field="kind")
    taxpayer = registered(tax_id, name)
    code = build_code(kind, region=region, year=now.astimezone(SHANGHAI).year, batch=0)
    # the grants of one code are serialised by the taxpayer lock only within a taxpayer;
    # the unique range check below keeps two taxpayers of one region apart
    last = StockGrant.objects.select_for_update().filter(code=code).aggregate(m=Max("last"))["m"]
    first = (last or 0) + 1
    if first + count - 1 > 99_999_999:
        raise AuthorityRefused("该发票代码的号码已用完", field="count")
    return StockGrant.objects.create(
        taxpayer=taxpayer,
        device_number=device_number,
        kind=kind.value,
        code=code,
        first=first,
        last=first + count - 1,
        at=now,
    )


@transaction.atomic
def set_credit(*, tax_id: str, name: str, monthly_credit: Decimal) -> RegisteredTaxpayer:
    if monthly_credit < 0:
        raise AuthorityRefused("授信额度不能为负数", field="monthly_credit")
    taxpayer = registered(tax_id, name)
    taxpayer.monthly_credit = monthly_credit
    taxpayer.save(update_fields=["monthly_credit"])
    return taxpayer


def credit_of(tax_id: str) -> Decimal | None:
    taxpayer = RegisteredTaxpayer.objects.filter(tax_id=tax_id).first()
    return None if taxpayer is None else taxpayer.monthly_credit
