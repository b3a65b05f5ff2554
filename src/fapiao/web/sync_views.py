"""上传与对账: what waits for upload, what the authority refused, and where the two sides
disagree (发票未同步), with the buttons to send now and to send again what can be repaired."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from fapiao.authority.client import Unreachable
from fapiao.domain.errors import DomainError
from fapiao.invoicing.models import Role, Upload
from fapiao.invoicing.uploads import reconcile, reconcile_repair, upload_flush, upload_state
from fapiao.web.context import page


@page(Role.ADMIN, Role.FINANCE, Role.AUDITOR)
def sync(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    taxpayer = me.taxpayer
    message = request.session.pop("sync_message", "")
    if request.method == "POST":
        if Role.AUDITOR in me.roles and not me.roles & {Role.ADMIN, Role.FINANCE}:
            return HttpResponse("审计员只能查看".encode(), status=403)
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


def _act(action: str, taxpayer: Any, me: Any) -> str:
    try:
        if action == "send":
            flushed = upload_flush(taxpayer=taxpayer, force=True)
            if flushed.unreachable:
                return "税务机关暂时无法连接，后台任务会继续重试"
            return f"已发送{flushed.sent}条：接受{flushed.accepted}条，拒绝{flushed.refused}条"
        if action == "repair":
            queued = reconcile_repair(taxpayer, reconcile(taxpayer), actor=me.actor)
            return f"已重新排队上传{queued}张发票"
    except Unreachable:
        return "税务机关暂时无法连接，请稍后再试"
    return "未知的操作"
