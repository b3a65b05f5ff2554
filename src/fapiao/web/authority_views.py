"""The authority's pages beside 清卡审核: 查验统计 and 风险事件."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from fapiao.authority.statistics import RISK_LABELS, check_statistics, risks_recent
from fapiao.core.clock import local_date
from fapiao.invoicing.accounts import is_authority


def authority_page(view: Any) -> Any:
    @login_required
    @wraps(view)
    def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_authority(request.user):  # type: ignore[arg-type]
            raise PermissionDenied(_("只有税务机关用户可以访问"))
        return view(request, *args, **kwargs)

    return inner


@authority_page
def verifications(request: HttpRequest) -> HttpResponse:
    found = check_statistics(today=local_date(timezone.now()))
    peak = max((n for _, n in found.days), default=0)
    return render(request, "authority/verifications.html", {"stats": found, "peak": peak})


@authority_page
def risks(request: HttpRequest) -> HttpResponse:
    return render(request, "authority/risks.html", {"risks": risks_recent(), "labels": RISK_LABELS})
