"""系统设置: taxpayer profile, users and roles, catalogs, channels, API keys (管理员 only), and
个人设置 (every user)."""

from __future__ import annotations

import csv
import itertools
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fapiao.api.keys import apikey_create, apikey_revoke
from fapiao.api.models import ApiKey
from fapiao.core.clock import local_date
from fapiao.core.roles import ISSUE, OUTSIDE, READ, SETUP, TAXPAYER_ROLES, Role
from fapiao.documents.models import Paper, Printer
from fapiao.documents.printing import printer_save
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.periods import Cycle
from fapiao.domain.rates import TaxpayerKind
from fapiao.invoicing.accounts import (
    invitation_send,
    role_grant,
    role_revoke,
    user_create,
)
from fapiao.invoicing.catalog import CATALOGS, catalog_items
from fapiao.invoicing.catalog_files import (
    BACKGROUND_BYTES,
    ImportRefused,
    catalog_export,
    catalog_import,
    catalog_import_enqueue,
    catalog_rows,
)
from fapiao.invoicing.models import Membership
from fapiao.invoicing.selectors import channel_as_dict, parse_id
from fapiao.invoicing.taxpayers import (
    PROFILE_FIELDS,
    ProfileChanges,
    credit_request,
    stock_request,
    taxpayer_update,
)
from fapiao.invoicing.templates import OPTIONAL_FIELDS, template_save, templates_of
from fapiao.jobs.models import Job, JobStatus
from fapiao.security import twofactor
from fapiao.security.services import (
    unlock,
)
from fapiao.web.context import page


def told_then(request: HttpRequest, path: str, message: str) -> HttpResponse:
    request.session["flash"] = message
    return redirect(path)


def flash_of(request: HttpRequest) -> str:
    return str(request.session.pop("flash", ""))


@page(*SETUP)
def profile(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    error: DomainError | None = None
    if request.method == "POST":
        changes = cast(
            ProfileChanges, {name: request.POST.get(name, "") for name in PROFILE_FIELDS}
        )
        try:
            taxpayer_update(taxpayer=me.taxpayer, actor=me.actor, changes=changes)
        except DomainError as refused:
            error = refused
        else:
            return told_then(request, "/settings/", gettext("已保存"))
    return render(request, "web/settings/profile.html", {
        "taxpayer": me.taxpayer, "error": error, "flash": flash_of(request),
        "kinds": [(k.value, k.label) for k in TaxpayerKind],
        "cycles": [(c.value, c.label) for c in Cycle],
    })  # fmt: skip


#: catalog rows a page shows (the export has them all)
SHOWN = 500


@page(*SETUP)
def users(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    memberships = Membership.objects.filter(taxpayer=me.taxpayer).select_related("user")
    people: dict[str, list[str]] = {}
    for membership in memberships.order_by("user__username"):
        people.setdefault(membership.user.get_username(), []).append(membership.role)
    return render(request, "web/settings/users.html", {
        "people": people, "roles": [(r.value, r.label) for r in TAXPAYER_ROLES],
        "flash": flash_of(request), "otp_on": twofactor.enabled(request.user),
    })  # fmt: skip


@require_POST
@page(*SETUP)
def users_change(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    action = request.POST.get("action", "")
    username = request.POST.get("username", "").strip()
    try:
        role = Role(request.POST.get("role", "")) if action != "unlock" else None
        if role in OUTSIDE:
            raise DomainError("不能在企业中授予税务机关或客服角色", field="role")
        if action in ("add", "revoke"):
            twofactor.step_up(request.user, request.POST.get("otp", ""), purpose="role",
                              request=request)  # fmt: skip
        model = get_user_model()
        user = model.objects.filter(username=username).first()
        member = (
            user is not None and Membership.objects.filter(user=user, taxpayer=me.taxpayer).exists()
        )
        if action == "add" and not member and not request.POST.get("password"):
            # someone outside the enterprise joins only by accepting an invitation, and the
            # answer is the same whether or not the name exists
            message = invitation_send(taxpayer=me.taxpayer, username=username, role=role,  # type: ignore[arg-type]
                                      actor=me.actor)  # fmt: skip
        elif action == "add":
            if not member:  # a new user: made here (a taken name is refused, as on sign-up)
                user = user_create(username=username, password=request.POST.get("password", ""),
                                   email=request.POST.get("email", ""), actor=me.actor)  # fmt: skip
            role_grant(user=user, role=role, taxpayer=me.taxpayer, actor=me.actor)  # type: ignore[arg-type]
            message = gettext("已授予 %(user)s %(role)s") % {"user": username, "role": role.label}  # type: ignore[union-attr]
        elif action == "revoke" and user is not None:
            if not Membership.objects.filter(user=user, taxpayer=me.taxpayer).exists():
                raise DomainError("该用户不属于本企业", field="username")
            role_revoke(user=user, role=role, taxpayer=me.taxpayer, actor=me.actor)  # type: ignore[arg-type]
            message = gettext("已撤销 %(user)s 的%(role)s") % {"user": username, "role": role.label}  # type: ignore[union-attr]
        elif (
            action == "unlock"
            and user is not None
            and Membership.objects.filter(user=user, taxpayer=me.taxpayer).exists()
        ):
            for identifier in {
                username,
                user.email,
                getattr(getattr(user, "profile", None), "mobile", None),
            }:
                if identifier:
                    unlock(identifier, actor=me.actor)
            message = gettext("已解除 %(user)s 的锁定") % {"user": username}
        else:
            raise DomainError("用户不存在或操作不正确", field="username")
    except (DomainError, ValueError) as error:
        message = getattr(error, "message", "请选择角色")
    return told_then(request, "/settings/users/", message)


@page(*ISSUE)
def catalogs(request: HttpRequest, name: str) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    if name not in CATALOGS:
        return render(request, "web/missing.html", status=404)
    book = CATALOGS[name]
    errors: list[Any] = []
    message = flash_of(request)
    if request.method == "POST" and request.FILES.get("file"):
        upload = request.FILES["file"]
        try:
            if (upload.size or 0) > BACKGROUND_BYTES:  # a large file: background work
                job = catalog_import_enqueue(
                    taxpayer=me.taxpayer, name=name, content=upload.read(),
                    filename=upload.name or "", actor=me.actor,
                )  # fmt: skip
                return redirect(f"/settings/catalogs/{name}/imports/{job.pk}/")
            report = catalog_import(taxpayer=me.taxpayer, name=name, content=upload.read(),
                                    filename=upload.name or "", actor=me.actor)  # fmt: skip
        except ImportRefused as refused:
            errors, message = refused.errors, refused.message
        except DomainError as refused:
            message = refused.message
        else:
            return told_then(request, f"/settings/catalogs/{name}/",
                         gettext("导入完成：新增%(created)d条，更新%(updated)d条")
                         % {"created": report.created, "updated": report.updated})  # fmt: skip
    items = catalog_items(taxpayer=me.taxpayer, name=name)
    columns = [(column, book.header(column)) for column in book.columns]
    rows = [[getattr(item, column) for column, _ in columns] for item in items[:SHOWN]]
    return render(request, "web/settings/catalog.html", {
        "book": book, "columns": columns, "rows": rows, "errors": errors, "message": message,
        "count": items.count(), "shown": SHOWN,
    })  # fmt: skip


@page(*ISSUE)
def catalog_import_status(request: HttpRequest, name: str, job_id: int) -> HttpResponse:
    """A background import: its progress while it runs (the page refreshes itself), then what
    it did or the rows it refused."""
    me = request.caller  # type: ignore[attr-defined]
    job = Job.objects.filter(pk=job_id, kind="catalog.import", taxpayer_id=me.taxpayer.pk).first()
    if name not in CATALOGS or job is None or job.payload.get("catalog") != name:
        return render(request, "web/missing.html", status=404)
    running = job.status in (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING)
    return render(request, "web/settings/catalog_import.html", {
        "book": CATALOGS[name], "job": job, "running": running, "result": job.result or {},
    })  # fmt: skip


class _Echo:
    """A file that hands back what is written to it, for a streamed CSV."""

    def write(self, value: str) -> str:
        return value


@page(*READ)
def catalog_download(request: HttpRequest, name: str, format: str) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    if name not in CATALOGS or format not in ("csv", "xlsx"):
        return render(request, "web/missing.html", status=404)
    response: HttpResponse | StreamingHttpResponse
    if format == "csv":  # streamed: a large catalog never sits in memory whole
        writer = csv.writer(_Echo())
        lines = (writer.writerow(row) for row in catalog_rows(taxpayer=me.taxpayer, name=name))
        body = itertools.chain(["\ufeff"], lines)
        response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    else:
        content = catalog_export(taxpayer=me.taxpayer, name=name, format=format)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f"attachment; filename={name}.{format}"
    return response


@page(*READ)
def channels(request: HttpRequest) -> HttpResponse:
    """开票渠道: each channel's 库存 per kind with 补领 (a stock request to the authority), the
    数电 channel's 授信额度 (taken from the authority), and the devices' monitoring data."""
    me = request.caller  # type: ignore[attr-defined]
    if request.method == "POST":
        if not me.roles & ISSUE:
            return told_then(request, "/settings/channels/", gettext("没有权限修改开票渠道"))
        return told_then(request, "/settings/channels/", _channel_change(request, me))
    today = local_date(timezone.now())
    found = [channel_as_dict(c, today=today) for c in me.taxpayer.channels.all()]
    return render(request, "web/settings/channels.html", {
        "channels": found, "message": flash_of(request), "can_change": bool(me.roles & ISSUE),
    })  # fmt: skip


def _channel_change(request: HttpRequest, me: Any) -> str:
    post = request.POST
    channel = me.taxpayer.channels.filter(pk=parse_id(post.get("channel", ""))).first()
    if channel is None:
        return gettext("开票渠道不存在")
    try:
        if post.get("action") == "credit":
            credit_request(channel=channel, actor=me.actor)
            return gettext("已从税务机关获取本月授信额度")
        count = parse_id(post.get("count", ""))
        if not count or count > STOCK_REQUEST_MAX:
            return gettext("领用张数应为1至%(max)s") % {"max": STOCK_REQUEST_MAX}
        segment = stock_request(channel=channel, kind=InvoiceKind(post.get("kind", "")),
                                count=count, actor=me.actor)  # fmt: skip
    except ValueError:
        return gettext("请选择票种")
    except DomainError as refused:
        return str(refused.message)
    count = segment.last - segment.first + 1
    return gettext("已领用%(kind)s %(count)s 张（%(first)s 至 %(last)s）") % {
        "kind": spec(InvoiceKind(segment.kind)).short_name, "count": count,
        "first": segment.first, "last": segment.last,
    }  # fmt: skip


#: the most numbers one 补领 asks for
STOCK_REQUEST_MAX = 1000


def _saved(request: HttpRequest, path: str, save: Any, done: str) -> tuple[Any, Any]:
    """A settings form posted: (the redirect after ``save(post)`` succeeds, None), or (None,
    the refusal, shown beside its field with what was typed kept); (None, None) on a GET."""
    if request.method != "POST":
        return None, None
    try:
        saved = save(request.POST)
    except DomainError as refused:
        return None, refused
    return told_then(request, path, done % {"name": saved.name}), None


@page(*ISSUE)
def printers(request: HttpRequest) -> HttpResponse:
    """打印设置: the taxpayer's printers and how far each one's paper feed is off."""
    me = request.caller  # type: ignore[attr-defined]
    done, error = _saved(request, "/settings/printers/", lambda post: printer_save(
        taxpayer=me.taxpayer, name=post.get("name", ""),
        offset_right=_mm(post.get("offset_right", ""), "offset_right"),
        offset_down=_mm(post.get("offset_down", ""), "offset_down"),
        paper=post.get("paper", Paper.INVOICE), actor=me.actor,
    ), gettext("已保存打印机 %(name)s"))  # fmt: skip
    return done or render(request, "web/settings/printers.html", {
        "printers": Printer.objects.filter(taxpayer=me.taxpayer).order_by("name"),
        "papers": Paper.choices,
        "error": error, "message": flash_of(request), "post": request.POST,
    })  # fmt: skip


@page(*SETUP)
def templates(request: HttpRequest) -> HttpResponse:
    """发票模板: what the issuing form starts with and which optional fields it shows."""
    me = request.caller  # type: ignore[attr-defined]
    done, error = _saved(request, "/settings/templates/", lambda post: template_save(
        taxpayer=me.taxpayer, name=post.get("name", ""), remarks=post.get("remarks", ""),
        payee=post.get("payee", ""), reviewer=post.get("reviewer", ""),
        fields=post.getlist("fields"), default=post.get("default") == "1", actor=me.actor,
    ), gettext("已保存模板 %(name)s"))  # fmt: skip
    return done or render(request, "web/settings/templates.html", {
        "templates": templates_of(me.taxpayer), "optional": OPTIONAL_FIELDS.items(),
        "error": error, "message": flash_of(request), "post": request.POST,
        "chosen": request.POST.getlist("fields") if request.method == "POST"
        else list(OPTIONAL_FIELDS),
    })  # fmt: skip


def _mm(text: str, field: str) -> Decimal:
    try:
        return Decimal(text.strip() or "0")
    except InvalidOperation:
        raise DomainError("偏移应为数字（毫米），如 2.5 或 -1", field=field) from None


@page(*SETUP)
def keys(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    shown = ""
    message = flash_of(request)
    if request.method == "POST":
        try:
            if request.POST.get("revoke"):
                chosen = parse_id(request.POST["revoke"])
                key = ApiKey.objects.filter(taxpayer=me.taxpayer, pk=chosen).first()
                if key is None:
                    raise DomainError("密钥不存在", field="revoke")
                apikey_revoke(key=key, actor=me.actor)
                message = gettext("已撤销 %(key)s") % {"key": key}
            else:
                twofactor.step_up(request.user, request.POST.get("otp", ""), purpose="apikey",
                                  request=request)  # fmt: skip
                issued = apikey_create(
                    taxpayer=me.taxpayer,
                    name=request.POST.get("name", ""),
                    role=Role(request.POST.get("role", "")),
                    actor=me.actor,
                )
                shown, message = issued.plaintext, gettext("密钥只显示这一次，请立即保存")
        except (DomainError, ValueError) as error:
            message = getattr(error, "message", "请选择角色")
    return render(request, "web/settings/keys.html", {
        "keys": ApiKey.objects.filter(taxpayer=me.taxpayer).order_by("-pk"), "shown": shown,
        "message": message, "roles": [(r.value, r.label) for r in TAXPAYER_ROLES],
        "otp_on": twofactor.enabled(request.user),
    })  # fmt: skip
