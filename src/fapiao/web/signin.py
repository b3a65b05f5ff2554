"""What every way of signing in ends with: the second factor when the user has one, then the
session; the sign-in page with its third-party buttons."""

from __future__ import annotations

import time
from typing import Any

from allauth.socialaccount.adapter import get_adapter
from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from fapiao.security import twofactor
from fapiao.web.forms import CodeLoginForm, LoginForm

BACKEND = "django.contrib.auth.backends.ModelBackend"
PENDING = "fapiao.second_factor"
PENDING_SECONDS = 300  # the second step must follow the first within five minutes
#: the providers' names on their buttons; an OpenID Connect provider is named by its settings
LABELS = {"weixin": _("微信"), "dingtalk": _("钉钉"), "feishu": _("飞书")}


def safe_next(request: HttpRequest, target: str | None) -> str:
    """``target`` when it is a page of this site, else home (an address elsewhere would make
    the sign-in an open redirect)."""
    target = target or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else "/"


def finish_sign_in(
    request: HttpRequest, user: Any, *, method: str, identifier: str, next_url: str
) -> HttpResponse:
    """The first factor passed: with two-factor on, on to the second step (the user is not
    signed in yet); else signed in and on to ``next_url``."""
    if twofactor.enabled(user):
        request.session.cycle_key()
        request.session[PENDING] = {
            "user": user.pk, "method": method, "identifier": identifier,
            "next": next_url, "at": time.time(),
        }  # fmt: skip
        return redirect(reverse("security:second-factor"))
    login(request, user, backend=BACKEND)
    return redirect(next_url)


def pending_of(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    """The user waiting for their second factor in this session, and how they got here."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    return (user, pending) if user is not None else None


def finish_second_factor(request: HttpRequest, user: Any, device: Any, next_url: str) -> Any:
    request.session.pop(PENDING, None)
    user.otp_device = device  # django-otp marks the session as verified
    login(request, user, backend=BACKEND)
    return redirect(next_url)


def providers_for(request: HttpRequest, *, process: str = "login") -> list[dict[str, str]]:
    """The configured third-party providers, each with its button's label and the address its
    form posts to."""
    shown = []
    for provider in get_adapter().list_providers(request):
        label = LABELS.get(provider.id) or provider.app.name or provider.name
        button = _("绑定%(name)s") if process == "connect" else _("使用%(name)s登录")
        shown.append({
            "id": provider.sub_id, "label": str(label), "button": str(button) % {"name": label},
            "url": provider.get_login_url(request, process=process),
        })  # fmt: skip
    return shown


def login_page(
    request: HttpRequest, message: str = "", *, status: int = 200, form: Any = None,
    code_form: Any = None,
) -> HttpResponse:  # fmt: skip
    return render(request, "security/login.html", {
        "form": form or LoginForm(), "code_form": code_form or CodeLoginForm(),
        "message": message, "providers": providers_for(request),
        "next": safe_next(request, request.POST.get("next") or request.GET.get("next")),
    }, status=status)  # fmt: skip
