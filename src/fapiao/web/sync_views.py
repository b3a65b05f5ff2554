"""上传与对账: what waits for upload, what the authority refused, and where the two sides
disagree (发票未同步), with the buttons to send now and to send again what can be repaired."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fapiao.authority.client import Unreachable
from fapiao.core.roles import OVERSEE, Role
from fapiao.domain.errors import DomainError
from fapiao.invoicing.models import Upload
from fapiao.invoicing.reconciliation import reconcile, reconcile_repair
from fapiao.invoicing.uploads import upload_flush, upload_state
from fapiao.web.context import page


@page(*OVERSEE)
def sync(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    taxpayer = me.taxpayer
    message = request.session.pop("sync_message", "")
    if request.method == "POST":
        if Role.AUDITOR in me.roles and not me.roles & {Role.ADMIN, Role.FINANCE}:
            return HttpResponse(_("审计员只能查看").encode(), status=403)
        request.session["sync_message"] = _act(request.POST.get("action", ""), taxpayer, me)
        return redirect("web:sync")
    context: dict[str, Any] = {"message": message, "state": upload_state(taxpayer)}
    try:
        context["found"] = reconcile(taxpayer)
    except (Unreachable, DomainError) as error:
        context["found"], context["unreachable"] = None, str(error)
    context["waiting"] = (
        Upload.objects.filter(taxpayer=taxpayer, answered_at__isnull=True)
        .select_related("invoice")
        .order_by("sequence")[:100]
    )
    context["refused"] = (
        Upload.objects.filter(taxpayer=taxpayer, accepted=False)
        .select_related("invoice")
        .order_by("-sequence")[:100]
    )
    return render(request, "web/sync.html", context)


def send_now(taxpayer: Any) -> str:
    """Send the taxpayer's waiting uploads now (立即上传); what happened, for the page."""
    flushed = upload_flush(taxpayer=taxpayer, force=True)
    if flushed.unreachable:
        return _("税务机关暂时无法连接，后台任务会继续重试")
    return _("已发送%(sent)d条：接受%(accepted)d条，拒绝%(refused)d条") % vars(flushed)


def _act(action: str, taxpayer: Any, me: Any) -> str:
    try:
        if action == "send":
            return send_now(taxpayer)
        if action == "repair":
            queued = reconcile_repair(taxpayer, reconcile(taxpayer), actor=me.actor)
            return _("已重新排队上传%(count)d张发票") % {"count": queued}
    except Unreachable:
        return _("税务机关暂时无法连接，请稍后再试")
    return _("未知的操作")
