"""电子档案: the taxpayer's archive packages, their 四性检测 reports, making one (background work)
and downloading one — as on the page and ``fapiao archive``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import Router, Schema
from ninja import Status as Reply

from fapiao.api.v1.common import caller
from fapiao.api.v1.schemas import Error
from fapiao.archiving.models import ArchivePackage
from fapiao.archiving.services import month_from
from fapiao.core.roles import OVERSEE
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import InvoiceKind
from fapiao.invoicing.selectors import NotFound
from fapiao.jobs.services import job_enqueue
from fapiao.security.audit import audit_append

router = Router()
TAGS = ["电子档案"]


class ArchiveIn(Schema):
    period: str  # YYYY-MM
    kind: str = ""


def _as_dict(package: ArchivePackage, *, report: bool = False) -> dict[str, Any]:
    data = {
        "id": package.pk, "name": package.name, "month": f"{package.month:%Y-%m}",
        "kind": package.kind, "invoices": package.invoices, "size": package.size,
        "sha256": package.sha256, "checked_ok": package.checked_ok,
        "created_at": package.created_at.isoformat(),
        "retain_until": package.retain_until.isoformat(),
    }  # fmt: skip
    return {**data, "report": package.report} if report else data


def _package(request: HttpRequest, package_id: int) -> ArchivePackage:
    me = caller(request)
    me.need(OVERSEE)
    found = ArchivePackage.objects.filter(taxpayer=me.taxpayer, pk=package_id).first()
    if found is None:
        raise NotFound("归档包不存在", field="id")
    return found


@router.get("/archives", response=list[dict[str, Any]], tags=TAGS, summary="归档包列表")
def archives_list(request: HttpRequest) -> Any:
    me = caller(request)
    me.need(OVERSEE)
    return [_as_dict(p) for p in ArchivePackage.objects.filter(taxpayer=me.taxpayer)[:500]]


@router.post("/archives", response={202: dict[str, Any], 400: Error}, tags=TAGS,
             summary="生成归档包（后台进行，完成后出现在列表中）")  # fmt: skip
def archive_make(request: HttpRequest, payload: ArchiveIn) -> Any:
    me = caller(request)
    me.need(OVERSEE)
    month = month_from(payload.period)
    if payload.kind and payload.kind not in InvoiceKind.values:
        raise DomainError("发票种类不正确", field="kind")
    job = job_enqueue("archive.make", {"taxpayer": me.taxpayer.pk, "month": month.isoformat(),
                                       "kind": payload.kind, "actor": me.actor})  # fmt: skip
    return Reply(202, {"job": job.pk, "month": f"{month:%Y-%m}", "kind": payload.kind})


@router.get("/archives/{package_id}", response={200: dict[str, Any], 404: Error}, tags=TAGS,
            summary="归档包及其四性检测报告")  # fmt: skip
def archive_get(request: HttpRequest, package_id: int) -> Any:
    return _as_dict(_package(request, package_id), report=True)


@router.get("/archives/{package_id}/file", response={200: None, 404: Error}, tags=TAGS,
            summary="下载归档包（ZIP）")  # fmt: skip
def archive_file(request: HttpRequest, package_id: int) -> Any:
    package = _package(request, package_id)
    if not Path(package.path).is_file():
        raise NotFound("归档包文件不在原处", field="id")
    me = caller(request)
    audit_append("archive.downloaded", actor=me.actor, taxpayer=me.taxpayer, request=request,
                 payload={"name": package.name})  # fmt: skip
    return FileResponse(Path(package.path).open("rb"), as_attachment=True,
                        filename=f"{package.name}.zip")  # fmt: skip
