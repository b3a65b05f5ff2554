"""个人设置 → 登录与安全: the authenticator app (two-factor) and the third-party identities
linked to the account."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from fapiao.domain.errors import DomainError
from fapiao.invoicing.accounts import holds_power
from fapiao.invoicing.selectors import parse_id
from fapiao.security import twofactor
from fapiao.security.identities import identities_of, identity_unlink
from fapiao.web.settings_views import flash_of, told_then
from fapiao.web.signin import LABELS, providers_for

PAGE = "/settings/me/security/"


@login_required
def security(request: HttpRequest) -> HttpResponse:
    user = request.user
    must = twofactor.required_of(holds_power(user))  # type: ignore[arg-type]
    codes: list[str] = []
    message = flash_of(request)
    if request.method == "POST":
        action, code = request.POST.get("action", ""), request.POST.get("code", "")
        try:
            if action == "begin":
                twofactor.enrol_begin(user)
                scan = gettext("请用身份验证器扫描二维码，再输入它显示的6位动态口令")
                return told_then(request, PAGE + "#two-factor", scan)
            if action == "confirm":
                codes = twofactor.enrol_confirm(user, code, request=request)
                message = gettext("两步验证已启用。请妥善保存下面的恢复码，它们只显示这一次")
            elif action == "renew":
                codes = twofactor.recovery_renew(user, code, request=request)
                message = gettext("已生成新的恢复码，旧的恢复码已失效")
            elif action == "disable":
                twofactor.disable(user, code, request=request, allowed=not must)
                return told_then(request, PAGE, gettext("两步验证已关闭"))
            elif action == "unlink":
                identity_unlink(user, parse_id(request.POST.get("account", "")), request=request)
                return told_then(request, PAGE + "#identities", gettext("已解除绑定"))
        except DomainError as refused:
            message = refused.message
    pending = twofactor.pending_of(user)
    linked = identities_of(user)
    return render(request, "web/settings/security.html", {
        "message": message, "codes": codes, "must": must,
        "required": request.GET.get("required") == "1" and must,
        "enabled": twofactor.enabled(user), "recovery_left": twofactor.recovery_left(user),
        "pending": pending, "qr": twofactor.qr_svg(pending) if pending else "",
        "secret": twofactor.secret_text(pending) if pending else "",
        "identities": [(account, _label(account)) for account in linked],
        "providers": providers_for(request, process="connect"),
    })  # fmt: skip


def _label(account: object) -> str:
    provider = account.get_provider()  # type: ignore[attr-defined]
    return str(LABELS.get(provider.id) or provider.app.name or provider.name)
