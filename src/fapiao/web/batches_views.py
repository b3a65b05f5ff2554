"""批量开具's pages: the batches with the upload form and the template, one batch with its
preview (invoices, totals by kind and rate, the stock or credit it uses, every bad row), its
live progress while the worker issues it, and its files (errors, result, the invoices' ZIP)."""

from __future__ import annotations

from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from fapiao.batches import selectors
from fapiao.batches.checking import options_of
from fapiao.batches.files import template
from fapiao.batches.models import Batch, BatchStatus
from fapiao.batches.services import AlreadyUploaded, batch_cancel, batch_check, batch_confirm
from fapiao.core.roles import ISSUE
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import KINDS
from fapiao.invoicing.selectors import NotFound, channels_of
from fapiao.security.audit import audit_append
from fapiao.web.context import page
from fapiao.web.settings_views import flash_of, told_then
from fapiao.web.tables import BatchTable, listing

#: rows of errors and planned invoices a page shows (the files hold all of them)
SHOWN = 200
RUNNING = (BatchStatus.QUEUED, BatchStatus.ISSUING)


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@page(*ISSUE)
def batches(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    channels = channels_of(me.taxpayer)
    error: DomainError | None = None
    first: Batch | None = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        chosen = next((c for c in channels if str(c.pk) == request.POST.get("channel")), None)
        try:
            if upload is None:
                raise DomainError("请选择要上传的明细文件", field="file")
            if chosen is None:
                raise DomainError("请选择开票渠道", field="channel")
            batch = batch_check(
                taxpayer=me.taxpayer,
                channel=chosen,
                content=upload.read(),
                filename=upload.name or "",
                options=options_of(request.POST),
                actor=me.actor,
                drawer=request.user.get_full_name() or me.actor,
            )
        except AlreadyUploaded as refused:
            error, first = refused, refused.batch
        except DomainError as refused:
            error = refused
        else:
            return told_then(request, f"/batches/{batch.pk}/", _("已校验，请核对后确认开具"))
    table = BatchTable(selectors.batches_of(me.taxpayer))
    return render(
        request,
        "batches/list.html",
        {
            "table": listing(request, table),
            "channels": channels,
            "error": error,
            "first": first,
            "kinds": [(kind.value, item.short_name) for kind, item in KINDS.items()],
            "message": flash_of(request),
            "posted": request.POST,
        },
    )


@page(*ISSUE)
def batch_template(request: HttpRequest) -> HttpResponse:
    return _download(template(), "批量开具模板.xlsx", selectors.XLSX)


def _batch(request: HttpRequest, batch_id: int, *, full: bool = False) -> Batch:
    me = request.caller  # type: ignore[attr-defined]
    try:
        return selectors.batch_get(me.taxpayer, batch_id, full=full)
    except NotFound:
        raise Http404 from None


@page(*ISSUE)
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    batch = _batch(request, batch_id)  # polled every 2 s while it runs: the file stays unread
    error: DomainError | None = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "confirm":
                batch_confirm(batch=batch, actor=me.actor)
                return told_then(request, f"/batches/{batch.pk}/", _("已开始开具"))
            if action == "cancel":
                kept = batch_cancel(batch=batch, actor=me.actor)
                if kept is None:
                    return told_then(request, "/batches/", _("批次已删除"))
                return told_then(request, f"/batches/{batch.pk}/", _("批次已取消"))
            raise DomainError("未知的操作", field="action")
        except DomainError as refused:
            error = refused
    items = selectors.batch_items(batch)
    return render(
        request,
        "batches/detail.html",
        {
            "batch": batch,
            "data": selectors.batch_as_dict(batch),
            "error": error,
            "errors": batch.errors[:SHOWN],
            "items": items[:SHOWN],
            "shown": SHOWN,
            "running": batch.status in RUNNING,
            "message": flash_of(request),
            "can_confirm": batch.status in (BatchStatus.READY, BatchStatus.STOPPED),
            "can_cancel": batch.status not in (*RUNNING, BatchStatus.DONE, BatchStatus.CANCELLED),
        },
    )


@page(*ISSUE)
def batch_file(request: HttpRequest, batch_id: int, what: str) -> HttpResponse:
    """The batch's errors, its result, or its invoices' ZIP; each download audited."""
    me = request.caller  # type: ignore[attr-defined]
    batch = _batch(request, batch_id, full=True)
    try:
        content, name, content_type = selectors.batch_file(batch, what)
    except NotFound:
        raise Http404 from None
    except DomainError as refused:
        return told_then(request, f"/batches/{batch.pk}/", refused.message)
    payload = {"what": f"batch_{what}", "batch": batch.pk, "file": batch.filename}
    audit_append("export", actor=me.actor, taxpayer=me.taxpayer, request=request, payload=payload)
    return _download(content, name, content_type)
