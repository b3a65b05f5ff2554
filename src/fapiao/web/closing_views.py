"""申报与清卡 (taxpayer side) and the authority's review of 清卡 applications."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from fapiao.authority import reviews
from fapiao.closing.certificate import certificate_pdf
from fapiao.closing.clearing import clearing_apply, clearing_refresh, clearing_state
from fapiao.closing.filing import period_declare, period_report
from fapiao.closing.models import Clearing
from fapiao.closing.reminders import reminders_of
from fapiao.closing.selectors import clearing_get
from fapiao.closing.services import CONFIRM_PURPOSE, digital_summary, period_from
from fapiao.core.clock import local_date
from fapiao.core.refusals import say
from fapiao.core.roles import OVERSEE, Role
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import ChannelType
from fapiao.domain.money import optional_money, parse_money
from fapiao.domain.periods import Cycle, period_of
from fapiao.invoicing.accounts import is_authority
from fapiao.invoicing.models import Invoice
from fapiao.invoicing.selectors import NotFound
from fapiao.security import twofactor
from fapiao.security.services import confirm_send
from fapiao.web.context import page
from fapiao.web.sync_views import send_now

WRITE = {Role.ADMIN, Role.FINANCE}


@page(*OVERSEE)
def closing(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    taxpayer = me.taxpayer
    today = local_date(timezone.now())
    channels = list(taxpayer.channels.order_by("pk"))
    chosen = request.GET.get("channel") or request.POST.get("channel")
    channel = next((c for c in channels if str(c.pk) == chosen), None) or (
        channels[0] if channels else None
    )
    context: dict[str, Any] = {
        "channels": channels, "channel": channel, "today": today,
        "message": request.session.pop("closing_message", ""),
        "reminders": reminders_of(taxpayer), "can_write": bool(me.roles & WRITE),
        "otp_on": twofactor.enabled(request.user),
    }  # fmt: skip
    if channel is None:
        return render(request, "closing/closing.html", context)
    try:
        period = period_from(taxpayer, request.GET.get("period") or request.POST.get("period"),
                             today)  # fmt: skip
    except DomainError as error:
        context["message"] = error.message
        period = period_from(taxpayer, None, today)
    context["period"] = period
    if request.method == "POST":
        if not me.roles & WRITE:
            return HttpResponseForbidden(_("只有管理员和财务可以办理").encode())
        request.session["closing_message"] = _act(request, channel, period, me)
        return redirect(f"/closing/?channel={channel.pk}&period={period.start:%Y-%m}")
    if channel.type == ChannelType.DIGITAL:
        month = period_of(today, Cycle.MONTHLY)
        context["digital"] = digital_summary(channel, month)
        context["month"] = month
        return render(request, "closing/closing.html", context)
    view = clearing_state(channel, period, today=today)
    invoices = Invoice.objects.filter(
        channel=channel, issued_on__gte=period.start, issued_on__lt=period.end
    ).order_by("issued_at")
    context.update(
        view=view,
        invoices=invoices[:200],
        invoice_count=invoices.count(),
        suggested_sales=(view.declaration.declared_sales if view.declaration else None),
        steps=_steps(view),
    )
    return render(request, "closing/closing.html", context)


def _steps(view: Any) -> list[tuple[str, str]]:
    """The progress of the period: each step with 完成 / 进行中 / 未开始."""
    clearing = view.clearing
    decided = clearing is not None and clearing.status in ("approved", "rejected")
    done, waiting = _("完成"), _("未开始")
    return [
        (_("发票上传"), done if not view.waiting else
         _("还有%(count)d张") % {"count": len(view.waiting)}),
        (_("抄报"), done if view.report else waiting),
        (_("申报"), done if view.declaration else waiting),
        (_("提交清卡申请"), done if clearing else waiting),
        (_("税务机关审核"), _(clearing.get_status_display()) if decided else
         (_("审核中") if clearing else waiting)),
        (_("开票截止日期更新"), _("至%(date)s") % {"date": clearing.lock_date}
         if clearing and clearing.lock_date else waiting),
    ]  # fmt: skip


def _act(request: HttpRequest, channel: Any, period: Any, me: Any) -> str:
    action = request.POST.get("action", "")
    try:
        if action == "upload":
            return send_now(me.taxpayer)
        if action == "report":
            period_report(channel=channel, period=period, actor=me.actor)
            return _("%(period)s抄报完成") % {"period": say(period.label)}
        if action == "declare":
            declaration = period_declare(
                taxpayer=me.taxpayer, period=period, actor=me.actor,
                declared_sales=parse_money(request.POST.get("declared_sales", ""),
                                           field="declared_sales", label="申报销售额"),
                input_tax=optional_money(request.POST.get("input_tax"), field="input_tax",
                                         label="进项税额"),
                explanation=request.POST.get("explanation", ""),
            )  # fmt: skip
            ok = _("比对通过") if declaration.comparison_ok else _("比对不通过")
            return _("%(period)s申报完成，应纳税额%(payable)s元，%(ok)s") % {
                "period": say(period.label), "payable": declaration.result["payable"], "ok": ok,
            }  # fmt: skip
        if action == "send_code":
            where = confirm_send(request.user, purpose=CONFIRM_PURPOSE)  # type: ignore[arg-type]
            return _("验证码已发送至%(where)s") % {"where": where}
        if action == "clear":
            twofactor.step_up(request.user, request.POST.get("otp", ""), purpose="clear",
                              request=request)  # fmt: skip
            clearing = clearing_apply(
                channel=channel, period=period, user=request.user,  # type: ignore[arg-type]
                code=request.POST.get("code", ""), actor=me.actor,
            )  # fmt: skip
            return _("清卡申请%(number)s：%(status)s") % {
                "number": clearing.number, "status": _(clearing.get_status_display()),
            }  # fmt: skip
        if action == "refresh":
            for clearing in Clearing.objects.filter(channel=channel, status="pending"):
                clearing_refresh(clearing)
            return _("已刷新审核结果")
    except DomainError as error:
        return error.message
    return _("未知的操作")


@page(*OVERSEE)
def certificate(request: HttpRequest, number: str) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    try:
        clearing = clearing_get(me.taxpayer, number)
    except NotFound:
        raise Http404 from None
    try:
        content = certificate_pdf(clearing)
    except DomainError as error:
        return HttpResponse(say(error.message).encode(), status=409)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="qingka-{clearing.number}.pdf"'
    return response


@login_required
def review(request: HttpRequest) -> HttpResponse:
    """The authority's queue of 清卡 applications waiting for a person."""
    if not is_authority(request.user):  # type: ignore[arg-type]
        return HttpResponseForbidden(_("只有税务机关用户可以审核").encode())
    message = ""
    if request.method == "POST":
        try:
            decided = reviews.clearing_decide(
                number=request.POST.get("number", ""),
                approve=request.POST.get("decision") == "approve",
                reason=request.POST.get("reason", ""),
                actor=f"税务机关 {request.user.get_username()}",
            )
            message = f"{decided.number}：{decided.get_status_display()}"
        except DomainError as error:
            message = error.message
    return render(request, "closing/review.html", {
        "pending": reviews.clearings_pending(), "message": message,
    })  # fmt: skip
