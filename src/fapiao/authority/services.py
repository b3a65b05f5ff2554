"""What the authority's services share: its refusal, the taxpayers it knows, its risk events.

The services themselves, by concern: ``keyring`` (its key), ``registry`` (uploads, receipts and
the registry), ``grants`` (stock and credit), ``numbers`` (赋码), ``checking`` (查验) and
``reviews`` (抄报 and the review of 清卡 applications).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fapiao.authority.models import (
    RegisteredTaxpayer,
    Risk,
)
from fapiao.domain.errors import DomainError


class AuthorityRefused(DomainError):
    code = "authority_refused"


# --- the authority's key ---------------------------------------------------------------------


# --- receiving uploads -----------------------------------------------------------------------


def registered(tax_id: str, name: str) -> RegisteredTaxpayer:
    taxpayer, _ = RegisteredTaxpayer.objects.get_or_create(tax_id=tax_id, defaults={"name": name})
    return RegisteredTaxpayer.objects.select_for_update().get(pk=taxpayer.pk)


def risk_add(taxpayer: RegisteredTaxpayer | None, kind: str, now: datetime, **detail: Any) -> None:
    Risk.objects.create(taxpayer=taxpayer, kind=kind, detail=detail, at=now)


# --- what the registry holds, for reconciliation ----------------------------------------------


# --- stock and credit --------------------------------------------------------------------------


# --- 查验 --------------------------------------------------------------------------------------


# --- 抄报 and 清卡 review -------------------------------------------------------------------------
