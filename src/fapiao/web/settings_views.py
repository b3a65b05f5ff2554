"""系统设置: taxpayer profile, users and roles, catalogs, channels, API keys (管理员 only), and
个人设置 (every user)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fapiao.api.keys import apikey_create, apikey_revoke
from fapiao.api.models import ApiKey
from fapiao.domain.errors import DomainError
from fapiao.domain.periods import Cycle
from fapiao.domain.rates import TaxpayerKind
from fapiao.invoicing.accounts import role_grant, role_revoke, user_create
from fapiao.invoicing.catalog import CATALOGS, ImportRefused, catalog_export, catalog_import
from fapiao.invoicing.models import Membership, Role
from fapiao.invoicing.selectors import channel_as_dict
from fapiao.invoicing.services import PROFILE_FIELDS, local_date, taxpayer_update
from fapiao.security.services import preferences_of, preferences_save, unlock
from fapiao.web.context import page

ADMIN = Role.ADMIN
TAXPAYER_ROLES = [role for role in Role if role != Role.AUTHORITY]


def _done(request: HttpRequest, path: str, message: str) -> HttpResponse:
    request.session["flash"] = message
    return redirect(path)


def _flash(request: HttpRequest) -> str:
    return str(request.session.pop("flash", ""))


@page(ADMIN)
def profile(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    error: DomainError | None = None
    if request.method == "POST":
        changes = {name: request.POST.get(name, "") for name in PROFILE_FIELDS}
        try:
            taxpayer_update(taxpayer=me.taxpayer, actor=me.actor, **changes)
        except DomainError as refused:
            error = refused
        else:
            return _done(request, "/settings/", gettext("已保存"))
    return render(request, "web/settings/profile.html", {
        "taxpayer": me.taxpayer, "error": error, "flash": _flash(request),
        "kinds": [(k.value, k.label) for k in TaxpayerKind],
        "cycles": [(c.value, c.label) for c in Cycle],
    })  # fmt: skip


@page(ADMIN)
def users(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    memberships = Membership.objects.filter(taxpayer=me.taxpayer).select_related("user")
    people: dict[str, list[str]] = {}
    for membership in memberships.order_by("user__username"):
        people.setdefault(membership.user.get_username(), []).append(membership.role)
    return render(request, "web/settings/users.html", {
        "people": people, "roles": [(r.value, r.label) for r in TAXPAYER_ROLES],
        "flash": _flash(request),
    })  # fmt: skip


@require_POST
@page(ADMIN)
def users_change(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    action = request.POST.get("action", "")
    username = request.POST.get("username", "").strip()
    try:
        role = Role(request.POST.get("role", "")) if action != "unlock" else None
        if role == Role.AUTHORITY:
            raise DomainError("不能在企业中授予税务机关角色", field="role")
        model = get_user_model()
        user = model.objects.filter(username=username).first()
        if action == "add":
            if user is None:
                user = user_create(username=username, password=request.POST.get("password", ""),
                                   email=request.POST.get("email", ""))  # fmt: skip
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
    return _done(request, "/settings/users/", message)


@page(ADMIN, Role.ISSUER)
def catalogs(request: HttpRequest, name: str) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    if name not in CATALOGS:
        return render(request, "web/missing.html", status=404)
    book = CATALOGS[name]
    errors: list[Any] = []
    message = _flash(request)
    if request.method == "POST" and request.FILES.get("file"):
        upload = request.FILES["file"]
        try:
            report = catalog_import(taxpayer=me.taxpayer, name=name, content=upload.read(),
                                    filename=upload.name or "", actor=me.actor)  # fmt: skip
        except ImportRefused as refused:
            errors, message = refused.errors, refused.message
        except DomainError as refused:
            message = refused.message
        else:
            return _done(request, f"/settings/catalogs/{name}/",
                         gettext("导入完成：新增%(created)d条，更新%(updated)d条")
                         % {"created": report.created, "updated": report.updated})  # fmt: skip
    items = book.model.objects.filter(taxpayer=me.taxpayer)  # type: ignore[attr-defined]
    columns = [(column, book.header(column)) for column in book.columns]
    rows = [[getattr(item, column) for column, _ in columns] for item in items]
    return render(request, "web/settings/catalog.html", {
        "book": book, "columns": columns, "rows": rows, "errors": errors, "message": message,
    })  # fmt: skip


@page(ADMIN, Role.ISSUER, Role.FINANCE, Role.AUDITOR)
def catalog_download(request: HttpRequest, name: str, format: str) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    if name not in CATALOGS or format not in ("csv", "xlsx"):
        return render(request, "web/missing.html", status=404)
    content = catalog_export(taxpayer=me.taxpayer, name=name, format=format)
    kind = (
        "text/csv"
        if format == "csv"
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f"attachment; filename={name}.{format}"
    return response


@page(ADMIN, Role.ISSUER, Role.FINANCE, Role.AUDITOR)
def channels(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    today = local_date(timezone.now())
    found = [channel_as_dict(c, today=today) for c in me.taxpayer.channels.all()]
    return render(request, "web/settings/channels.html", {"channels": found})


@page(ADMIN)
def keys(request: HttpRequest) -> HttpResponse:
    me = request.caller  # type: ignore[attr-defined]
    shown = ""
    message = _flash(request)
    if request.method == "POST":
        try:
            if request.POST.get("revoke"):
                key = ApiKey.objects.filter(taxpayer=me.taxpayer,
                                            pk=int(request.POST["revoke"])).first()  # fmt: skip
                if key is None:
                    raise DomainError("密钥不存在", field="revoke")
                apikey_revoke(key=key, actor=me.actor)
                message = gettext("已撤销 %(key)s") % {"key": key}
            else:
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
    })  # fmt: skip


@login_required
def personal(request: HttpRequest) -> HttpResponse:
    """个人设置 for every signed-in user: language, theme, notifications, quiet hours."""
    profile = preferences_of(request.user)  # type: ignore[arg-type]
    error = None
    if request.method == "POST":
        post = request.POST
        try:
            quiet = [_time(post.get(name, ""), name) for name in ("quiet_start", "quiet_end")]
            profile = preferences_save(
                request.user,  # type: ignore[arg-type]
                request=request,
                language=post.get("language", ""),
                theme=post.get("theme", "light"),
                notify_in_app=post.get("notify_in_app") == "1",
                notify_email=post.get("notify_email") == "1",
                notify_sms=post.get("notify_sms") == "1",
                quiet_start=quiet[0],
                quiet_end=quiet[1],
            )
        except DomainError as refused:
            error = refused
        else:
            with translation.override(profile.language or settings.LANGUAGE_CODE):
                saved = gettext("已保存")  # in the language just chosen
            response = _done(request, "/settings/me/", saved)
            if profile.language:
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, profile.language,
                                    max_age=365 * 86400, samesite="Lax")  # fmt: skip
            else:
                response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
            return response
    return render(request, "web/settings/personal.html", {
        "profile": profile, "error": error, "message": _flash(request),
        "languages": settings.LANGUAGES,
    })  # fmt: skip


def _time(text: str, field: str) -> Any:
    if not text.strip():
        return None
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()  # noqa: DTZ007 - a time of day
    except ValueError:
        raise DomainError("时间格式应为 HH:MM", field=field) from None
