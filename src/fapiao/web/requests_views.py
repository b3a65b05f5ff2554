"""开票申请's pages: the requests (待审批 first) with the taxpayer's approval rule (管理员 sets
it), one request with its draft and its decision: 管理员 and 财务 approve (the invoice is
issued) or reject with a reason; the submitter may withdraw it while it waits."""

from __future__ import annotations

from decimal import Decimal

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from fapiao.approvals import selectors
from fapiao.approvals.services import (
    APPROVERS,
    request_approve,
    request_reject,
    request_withdraw,
    rule_set,
)
from fapiao.core.roles import ISSUE, SETUP
from fapiao.domain.approval import MODE_LABELS, STATUS_LABELS
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import KINDS
from fapiao.domain.money import parse_money
from fapiao.invoicing.selectors import NotFound
from fapiao.web.context import page
from fapiao.web.settings_views import flash_of, told_then

SEE = tuple(ISSUE | frozenset(APPROVERS))
PER_PAGE = 50


@page(*SEE)
def requests(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    error: DomainError | None = None
    if request.method == "POST":
        if not me.roles & SETUP:
            raise Http404
        try:
            text = request.POST.get("over", "").strip()
            over: Decimal | None = (
                parse_money(text, field="over", label="审批金额") if text else None
            )
            rule_set(
                taxpayer=me.taxpayer,
                mode=request.POST.get("mode", ""),
                over=over,
                kinds=request.POST.getlist("kinds"),
                actor=me.actor,
            )
        except DomainError as refused:
            error = refused
        else:
            return told_then(request, "/requests/", _("审批规则已保存"))
    status = request.GET.get("status", "pending")
    if status not in (*STATUS_LABELS, ""):
        status = "pending"
    found = selectors.requests_of(me.taxpayer, status=status)
    return render(
        request,
        "requests/list.html",
        {
            "page_obj": Paginator(found, PER_PAGE).get_page(request.GET.get("page")),
            "status": status,
            "statuses": STATUS_LABELS,
            "rule": selectors.rule_as_dict(me.taxpayer),
            "modes": MODE_LABELS,
            "kinds": [(k.value, item.short_name) for k, item in KINDS.items()],
            "can_set": bool(me.roles & SETUP),
            "error": error,
            "message": flash_of(request),
        },
    )


@page(*SEE)
def request_detail(request: HttpRequest, request_pk: int) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    try:
        found = selectors.request_get(me.taxpayer, request_pk)
    except NotFound:
        raise Http404 from None
    can_decide = bool(me.roles & set(APPROVERS))
    error: DomainError | None = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in ("approve", "reject") and not can_decide:
                raise Http404
            if action == "approve":
                request_approve(request=found, actor=me.actor)
                return told_then(request, f"/requests/{found.pk}/", _("已通过并开具发票"))
            if action == "reject":
                request_reject(request=found, reason=request.POST.get("reason", ""), actor=me.actor)
                return told_then(request, f"/requests/{found.pk}/", _("已驳回"))
            if action == "withdraw":
                request_withdraw(request=found, actor=me.actor)
                return told_then(request, f"/requests/{found.pk}/", _("已撤回"))
            raise DomainError("未知的操作", field="action")
        except DomainError as refused:
            error = refused
            found = selectors.request_get(me.taxpayer, request_pk)
    return render(
        request,
        "requests/detail.html",
        {
            "item": found,
            "data": selectors.request_as_dict(found),
            "error": error,
            "statuses": STATUS_LABELS,
            "message": flash_of(request),
            "can_decide": can_decide and found.status == "pending",
            "can_withdraw": found.status == "pending" and found.submitted_by == me.actor,
        },
    )
