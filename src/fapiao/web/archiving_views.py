"""电子档案: the taxpayer's archive packages by month and kind, their 四性检测 reports, making
one (in the background) and downloading one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fapiao.archiving.models import ArchivePackage
from fapiao.archiving.services import month_from, retention_years
from fapiao.core.roles import OVERSEE
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.jobs.services import job_enqueue
from fapiao.security.audit import audit_append
from fapiao.web.context import page
from fapiao.web.settings_views import flash_of, told_then


@page(*OVERSEE)
def archives(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    return render(request, "archiving/archives.html", {
        "packages": ArchivePackage.objects.filter(taxpayer=me.taxpayer)[:200],
        "kinds": [(kind.value, spec(kind).name) for kind in InvoiceKind],
        "month": f"{last_month:%Y-%m}", "years": retention_years(), "message": flash_of(request),
    })  # fmt: skip


@require_POST
@page(*OVERSEE)
def archive_make(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    kind = request.POST.get("kind", "")
    try:
        month = month_from(request.POST.get("period", ""))
        if kind and kind not in InvoiceKind.values:
            raise DomainError("发票种类不正确", field="kind")
    except DomainError as refused:
        return told_then(request, "/archives/", refused.message)
    job_enqueue("archive.make", {"taxpayer": me.taxpayer.pk, "month": month.isoformat(),
                                 "kind": kind, "actor": me.actor})  # fmt: skip
    return told_then(request, "/archives/", gettext("正在生成归档包，完成后列在下方"))


@page(*OVERSEE)
def archive_download(request: HttpRequest, package_id: int) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    package = ArchivePackage.objects.filter(taxpayer=me.taxpayer, pk=package_id).first()
    if package is None or not Path(package.path).is_file():
        raise Http404
    audit_append("archive.downloaded", actor=me.actor, taxpayer=me.taxpayer, request=request,
                 payload={"name": package.name})  # fmt: skip
    return FileResponse(Path(package.path).open("rb"), as_attachment=True,
                        filename=f"{package.name}.zip")  # fmt: skip
