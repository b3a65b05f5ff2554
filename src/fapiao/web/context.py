"""The signed-in user's current taxpayer and roles, for every page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.translation import gettext

from fapiao.core.caller import Caller
from fapiao.core.roles import Role
from fapiao.invoicing.accounts import caller_of_user, is_authority, taxpayers_of


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
                return HttpResponseForbidden(gettext("没有权限访问此页面").encode())
            request.caller = me  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return inner

    return wrap


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Template context: the current taxpayer, the user's others, the roles."""
    if not request.user.is_authenticated:
        return {}
    me = current(request)
    return {
        "me": me,
        "my_taxpayers": taxpayers_of(request.user),  # type: ignore[arg-type]
        "my_roles": sorted(role.label for role in me.roles) if me else [],
        "is_authority": is_authority(request.user),  # type: ignore[arg-type]
        "theme": getattr(getattr(request.user, "profile", None), "theme", "light"),
    }
