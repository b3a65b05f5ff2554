"""个人设置, every user's own: language, theme, notices, quiet hours, the mobile number, and
the invitations waiting for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fapiao.domain.errors import DomainError
from fapiao.domain.notices import CHANNEL_LABELS, CHANNELS, KINDS
from fapiao.invoicing.accounts import (
    invitation_answer,
    invitations_open,
)
from fapiao.security.preferences import preferences_of, preferences_save
from fapiao.security.services import mobile_code_send, mobile_confirm
from fapiao.web.settings_views import flash_of, told_then


@login_required
def personal(request: HttpRequest) -> HttpResponse:
    """个人设置 for every signed-in user: language, theme, notifications, quiet hours."""
    profile = preferences_of(request.user)  # type: ignore[arg-type]
    error = None
    if request.method == "POST" and request.POST.get("action") in ("mobile_send", "mobile_confirm"):
        return _mobile(request)
    if request.method == "POST":
        post = request.POST
        try:
            quiet = [_time(post.get(name, ""), name) for name in ("quiet_start", "quiet_end")]
            by_kind = {}
            if post.get("notice_kinds") == "1":  # the table of kinds was on the form
                by_kind["notice_off"] = {
                    kind: [c for c in CHANNELS if post.get(f"notice_{kind}_{c}") != "1"]
                    for kind in KINDS
                }
            profile = preferences_save(
                request.user,  # type: ignore[arg-type]
                request=request,
                **by_kind,
                language=post.get("language", ""),
                theme=post.get("theme", "light"),
                notify_in_app=post.get("notify_in_app") == "1",
                notify_email=post.get("notify_email") == "1",
                notify_sms=post.get("notify_sms") == "1",
                monthly_report=post.get("monthly_report") == "1",
                quiet_start=quiet[0],
                quiet_end=quiet[1],
            )
        except DomainError as refused:
            error = refused
        else:
            with translation.override(profile.language or settings.LANGUAGE_CODE):
                saved = gettext("已保存")  # in the language just chosen
            response = told_then(request, "/settings/me/", saved)
            if profile.language:
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, profile.language,
                                    max_age=365 * 86400, samesite="Lax")  # fmt: skip
            else:
                response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
            return response
    return render(request, "web/settings/personal.html", {
        "profile": profile, "error": error, "message": flash_of(request),
        "languages": settings.LANGUAGES,
        "invitations": invitations_open(request.user),  # type: ignore[arg-type]
        "mobile_pending": request.session.get("mobile_pending", ""),
        "notice_channels": CHANNEL_LABELS, "notice_kinds": _kinds(profile.notice_off or {}),
    })  # fmt: skip


def _kinds(off: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Each kind of notice with each channel, on unless turned off for the kind."""
    return [
        {"key": kind, "label": label, "channels": [
            {"key": c, "label": CHANNEL_LABELS[c], "on": c not in off.get(kind, ())}
            for c in CHANNELS
        ]}
        for kind, label in KINDS.items()
    ]  # fmt: skip


def _mobile(request: HttpRequest) -> HttpResponse:
    """个人设置's mobile number: a code texted to it, then typed back, binds it."""
    post, user = request.POST, request.user
    try:
        if post.get("action") == "mobile_send":
            sent = mobile_code_send(user=user, mobile=post.get("mobile", ""), request=request)
            request.session["mobile_pending"] = sent
            return told_then(
                request, "/settings/me/#mobile", gettext("验证码已发送，请在5分钟内填写")
            )
        pending = str(request.session.get("mobile_pending", ""))
        mobile_confirm(user=user, mobile=pending or post.get("mobile", ""),
                       code=post.get("code", ""), request=request)  # fmt: skip
    except DomainError as refused:
        return told_then(request, "/settings/me/#mobile", str(refused.message))
    request.session.pop("mobile_pending", None)
    return told_then(request, "/settings/me/#mobile", gettext("手机号已绑定"))


@require_POST
@login_required
def invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """The signed-in user accepts or declines an invitation to join a taxpayer."""
    accept = request.POST.get("answer") == "accept"
    try:
        answered = invitation_answer(user=request.user, invitation_id=invitation_id,  # type: ignore[arg-type]
                                     accept=accept)  # fmt: skip
    except DomainError as refused:
        return told_then(request, "/settings/me/", refused.message)
    done = gettext("已加入 %(name)s") if accept else gettext("已拒绝 %(name)s 的邀请")
    return told_then(request, "/settings/me/", done % {"name": answered.taxpayer.name})


def _time(text: str, field: str) -> Any:
    if not text.strip():
        return None
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()  # noqa: DTZ007 - a time of day
    except ValueError:
        raise DomainError("时间格式应为 HH:MM", field=field) from None
