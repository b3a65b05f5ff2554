"""批量开具 in the REST API: a detail file posted (multipart), checked and kept, confirmed (or
confirmed at once with ``confirm``), its status while the worker issues it, its result file,
error file and the invoices' ZIP: the same services as the pages and ``fapiao batch``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from fapiao.api.v1.common import caller
from fapiao.api.v1.schemas import Error
from fapiao.batches import selectors
from fapiao.batches.checking import options_of
from fapiao.batches.services import batch_cancel, batch_check, batch_confirm
from fapiao.core.roles import ISSUE
from fapiao.invoicing.selectors import channel_find
from fapiao.security.audit import audit_append

router = Router()
TAGS = ["批量开具"]
#: errors and invoices an answer lists (the files hold all of them)
LISTED = 1000


class BatchForm(Schema):
    channel: str = ""
    kind: str = ""
    split: bool = True
    merge: bool = False
    limit: str = ""
    confirm: bool = False


def _full(batch: Any) -> dict[str, Any]:
    data = selectors.batch_as_dict(batch, errors=LISTED)
    data["items"] = [
        {
            "seq": item.seq,
            "order": item.order,
            "part": item.part,
            "parts": item.parts,
            "rows": item.source_rows,
            "kind": item.kind,
            "amount": str(item.amount),
            "tax": str(item.tax),
            "total": str(item.total),
            "status": item.status,
            "invoice": None
            if item.invoice is None
            else {"id": item.invoice_id, "code": item.invoice.code, "number": item.invoice.number},
        }
        for item in selectors.batch_items(batch)[:LISTED]
    ]
    return data


@router.post(
    "/batches",
    response={201: dict[str, Any], 400: Error, 403: Error, 404: Error, 409: Error},
    tags=TAGS,
    summary="上传明细文件（校验，可同时确认开具）",
)
def batch_post(
    request: HttpRequest, file: File[UploadedFile], form: Form[BatchForm]
) -> Status[dict[str, Any]]:
    """The file (.xlsx, .xls or .csv) is checked and kept; with ``confirm`` and no bad row its
    issuing starts at once. The same file twice is refused (409) naming the first batch."""
    me = caller(request)
    me.need(ISSUE)
    batch = batch_check(
        taxpayer=me.taxpayer,
        channel=channel_find(me.taxpayer, form.channel or None),
        content=file.read(),
        filename=file.name or "",
        actor=me.actor,
        options=options_of(form.model_dump()),
    )
    if form.confirm and batch.error_count == 0:
        batch = batch_confirm(batch=batch, actor=me.actor)
    return Status(201, _full(batch))


@router.get("/batches", response={200: list[dict[str, Any]]}, tags=TAGS, summary="批次列表")
def batch_list(request: HttpRequest) -> list[dict[str, Any]]:
    me = caller(request)
    me.need(ISSUE)
    return [selectors.batch_as_dict(batch) for batch in selectors.batches_of(me.taxpayer)[:500]]


@router.get(
    "/batches/{batch_id}",
    response={200: dict[str, Any], 404: Error},
    tags=TAGS,
    summary="一个批次：状态、进度、错误、发票",
)
def batch_show(request: HttpRequest, batch_id: int) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    return _full(selectors.batch_get(me.taxpayer, batch_id))  # polled: the file stays unread


@router.post(
    "/batches/{batch_id}/confirm",
    response={202: dict[str, Any], 400: Error, 404: Error},
    tags=TAGS,
    summary="确认开具（或继续开具）",
)
def batch_confirm_post(request: HttpRequest, batch_id: int) -> Status[dict[str, Any]]:
    me = caller(request)
    me.need(ISSUE)
    batch = batch_confirm(batch=selectors.batch_get(me.taxpayer, batch_id), actor=me.actor)
    return Status(202, selectors.batch_as_dict(batch))


@router.post(
    "/batches/{batch_id}/cancel",
    response={200: dict[str, Any], 400: Error, 404: Error},
    tags=TAGS,
    summary="取消批次（未开具的删除）",
)
def batch_cancel_post(request: HttpRequest, batch_id: int) -> dict[str, Any]:
    me = caller(request)
    me.need(ISSUE)
    kept = batch_cancel(batch=selectors.batch_get(me.taxpayer, batch_id), actor=me.actor)
    return {
        "id": batch_id,
        "deleted": kept is None,
        "status": "deleted" if kept is None else kept.status,
    }


@router.get(
    "/batches/{batch_id}/{what}",
    response={200: None, 404: Error},
    tags=TAGS,
    summary="开具结果、错误报告或发票压缩包（result、errors、zip）",
)
def batch_download(request: HttpRequest, batch_id: int, what: str) -> HttpResponse:
    me = caller(request)
    me.need(ISSUE)
    batch = selectors.batch_get(me.taxpayer, batch_id, full=True)
    content, name, kind = selectors.batch_file(batch, what)
    payload = {"what": f"batch_{what}", "batch": batch.pk, "file": batch.filename}
    audit_append("export", actor=me.actor, taxpayer=me.taxpayer, request=request, payload=payload)
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
