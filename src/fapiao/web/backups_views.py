"""系统设置 → 数据备份: the backups made, their size, duration and verification. A backup holds
every taxpayer of the installation, so only its operator (a superuser) may make one now or
download one; a 管理员 sees that they are made and checked."""

from __future__ import annotations

from pathlib import Path

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fapiao.backups.models import Backup
from fapiao.backups.rounds import keep_counts
from fapiao.backups.selectors import backup_file
from fapiao.backups.services import recipients_default
from fapiao.core.roles import SETUP
from fapiao.jobs.services import job_enqueue
from fapiao.security.audit import audit_append
from fapiao.web.context import page
from fapiao.web.settings_views import flash_of, told_then


@page(*SETUP)
def backups(request: HttpRequest) -> HttpResponse:
    daily, weekly, monthly = keep_counts()
    return render(request, "backups/backups.html", {
        "backups": Backup.objects.all()[:100], "operator": request.user.is_superuser,
        "configured": bool(recipients_default()), "message": flash_of(request),
        "keep": {"daily": daily, "weekly": weekly, "monthly": monthly},
    })  # fmt: skip


@require_POST
@page(*SETUP)
def backup_now(request: HttpRequest) -> HttpResponse:
    if not request.user.is_superuser:
        raise Http404
    job_enqueue("backup.create", {"actor": request.user.get_username()})
    return told_then(request, "/settings/backups/", gettext("已开始备份，完成后列在下方"))


@page(*SETUP)
def backup_download(request: HttpRequest, backup_id: int) -> HttpResponse:
    if not request.user.is_superuser:
        raise Http404
    found = Backup.objects.filter(pk=backup_id, deleted_at__isnull=True).first()
    path = backup_file(found) if found else None
    if found is None or path is None:
        raise Http404
    audit_append("backup.downloaded", actor=request.user.get_username(), request=request,
                 payload={"name": found.name})  # fmt: skip
    return FileResponse(Path(path).open("rb"), as_attachment=True, filename=found.name)
