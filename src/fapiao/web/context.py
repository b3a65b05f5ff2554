"""The signed-in user's current taxpayer and roles, for every page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from fapiao.closing.reminders import reminders_of
from fapiao.core.caller import Caller
from fapiao.core.roles import OVERSEE, READ, Role
from fapiao.domain.tickets import Status
from fapiao.invoicing.accounts import caller_of_user, is_authority, support_role, taxpayers_of
from fapiao.invoicing.uploads import upload_state
from fapiao.notices.selectors import notices_of as notice_list
from fapiao.notices.selectors import unread_count
from fapiao.support.articles import article_for_page
from fapiao.support.models import Ticket
from fapiao.web.menu import breadcrumbs, menu_for


def current(request: HttpRequest) -> Caller | None:
    chosen = request.session.get("taxpayer_id")
    found = caller_of_user(request.user, taxpayer_id=chosen) if chosen else None
    if found is None:
        mine = taxpayers_of(request.user)  # type: ignore[arg-type]
        found = caller_of_user(request.user, taxpayer_id=mine[0].pk) if mine else None
        if found is not None:
            request.session["taxpayer_id"] = found.taxpayer.pk
    return found


def page(*roles: Role) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A signed-in page for a user with one of ``roles`` at the current taxpayer."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            me = current(request)
            if me is None or (roles and not me.roles & set(roles)):
                raise PermissionDenied(gettext("没有权限访问此页面"))
            request.caller = me  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return inner

    return wrap


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Template context: the current taxpayer, the user's others, the roles."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    me = current(request)
    authority = is_authority(request.user)  # type: ignore[arg-type]
    staff = support_role(request.user)  # type: ignore[arg-type]
    roles = frozenset(me.roles) if me else frozenset()
    menu = menu_for(roles | ({staff} if staff else set()), authority=authority, path=request.path)
    labels = [str(role.label) for role in sorted(roles)]
    if authority:
        labels.append(str(Role.AUTHORITY.label))
    if staff:
        labels.append(str(staff.label))
    notices = [
        *(notices_of(me) if me and roles & READ and in_app(request) else []),
        *(tickets_notice(request) if in_app(request) else []),
    ]
    unread = unread_count(request.user)  # type: ignore[arg-type]
    return {
        "me": me,
        "my_taxpayers": taxpayers_of(request.user),  # type: ignore[arg-type]
        "my_roles": [gettext(label) for label in labels],
        "is_authority": authority,
        "theme": getattr(getattr(request.user, "profile", None), "theme", "light"),
        "menu": menu,
        "crumbs": breadcrumbs(menu),
        "notices": notices,
        # 通知中心: the newest unread notices and how many there are
        "unread": list(notice_list(request.user, unread=True)[:5]) if unread else [],  # type: ignore[arg-type]
        "unread_count": unread,
        "bell_count": unread + len(notices),
        "help_page": article_for_page(request.path),
    }


def in_app(request: HttpRequest) -> bool:
    """Whether the user reads notices in the app (their 个人设置; on unless turned off)."""
    return bool(getattr(getattr(request.user, "profile", None), "notify_in_app", True))


def notices_of(me: Caller) -> list[dict[str, str]]:
    """The header's notices for a clerk: 清卡 reminders and uploads the authority refused."""
    found = [
        {"text": reminder.message, "url": f"/closing/?channel={reminder.channel_id}"}
        for reminder in reminders_of(me.taxpayer)[:5]
    ]
    if me.roles & OVERSEE:
        uploads = upload_state(me.taxpayer)
        if uploads["refused"]:
            found.append({
                "text": gettext("%(n)s 条上传被税务机关拒绝") % {"n": uploads["refused"]},
                "url": "/sync/",
            })  # fmt: skip
    return found


def tickets_notice(request: HttpRequest) -> list[dict[str, str]]:
    """The user's tickets that support answered and that wait for them."""
    waiting = Ticket.objects.filter(filed_by=request.user, status=Status.AWAITING_USER).count()
    if not waiting:
        return []
    return [{"text": gettext("%(n)s 个工单等待您回复") % {"n": waiting}, "url": "/help/tickets/"}]
