"""Third-party sign-in through allauth's social accounts: allauth talks to the provider (state,
PKCE, the code, the tokens); what follows is ours — the identity signs in only to the user who
linked it, with the same lockout, audit and second factor as the password."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base import AuthError
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from requests import RequestException

from fapiao.domain.errors import DomainError
from fapiao.security.identities import (
    identifier_of,
    identity_link,
    identity_signup,
    login_error,
    login_identity,
    login_unlinked,
)
from fapiao.web.settings_views import told_then
from fapiao.web.signin import finish_sign_in, login_page, safe_next

PROVIDER_DOWN = "暂时无法连接第三方登录服务，请稍后再试或改用密码登录"
STATE_REFUSED = "登录请求已失效或不是从本站发起的（state 校验失败），请重新登录"
CODE_REFUSED = "第三方登录未完成：授权码无效或已过期，请重新登录"
CANCELLED = "已取消第三方登录"
FAILED = "第三方登录失败，请重新登录或改用密码登录"
SIGN_IN_FIRST = "请先登录，再绑定第三方账号"
IDENTITIES = "/settings/me/security/#identities"


def signup_allowed(sociallogin: SocialLogin) -> bool:
    """Whether the provider lets a new identity make its own account (its app's ``signup``
    setting, from the environment or the admin); off unless said."""
    app = sociallogin.account.get_provider().app
    return bool((app.settings or {}).get("signup", False))


class SocialAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Called once the provider has vouched for an identity: we decide, always with a
        response of our own, so allauth's sign-up and e-mail matching never run."""
        if sociallogin.state.get("process") == "connect":
            raise ImmediateHttpResponse(_connect(request, sociallogin))
        account = sociallogin.account
        provider, uid = account.provider, account.uid
        try:
            if sociallogin.is_existing:
                user = login_identity(sociallogin.user, provider=provider, uid=uid,
                                      request=request)  # fmt: skip
            elif signup_allowed(sociallogin):
                user = identity_signup(sociallogin, request=request)
                user = login_identity(user, provider=provider, uid=uid, request=request)
            else:
                login_unlinked(provider=provider, uid=uid, request=request)
        except DomainError as refused:
            raise ImmediateHttpResponse(login_page(request, refused.message, status=403)) from None
        raise ImmediateHttpResponse(finish_sign_in(
            request, user, method=f"social:{provider}", identifier=identifier_of(provider, uid),
            next_url=safe_next(request, sociallogin.state.get("next")),
        ))  # fmt: skip

    def on_authentication_error(
        self, request: HttpRequest, provider: Any, error: Any = None, exception: Any = None,
        extra_context: Any = None,
    ) -> None:  # fmt: skip
        """Every failure before the identity is known: a sentence in Chinese on the sign-in
        page (or 个人设置 when linking), audited."""
        context = extra_context or {}
        if error == AuthError.CANCELLED:
            reason, message = "cancelled", CANCELLED
        elif isinstance(exception, RequestException):
            reason, message = "provider down", PROVIDER_DOWN
        elif "state_id" in context and context.get("state") is None:
            reason, message = "state", STATE_REFUSED
        elif isinstance(exception, OAuth2Error):
            reason, message = "code", CODE_REFUSED
        else:
            reason, message = "error", FAILED
        login_error(provider=provider.sub_id, reason=reason, request=request)
        raise ImmediateHttpResponse(_refused(request, message))

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return signup_allowed(sociallogin)


def _connect(request: HttpRequest, sociallogin: SocialLogin) -> HttpResponse:
    """个人设置 → 第三方账号 → 绑定: the identity joins the signed-in user."""
    if not request.user.is_authenticated:
        return login_page(request, SIGN_IN_FIRST, status=403)
    try:
        linked = identity_link(request.user, sociallogin, request=request)
    except DomainError as refused:
        return told_then(request, IDENTITIES, refused.message)
    done = gettext("已绑定第三方账号") if linked else gettext("该第三方账号已绑定到您的账户")
    return told_then(request, IDENTITIES, done)


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    if request.user.is_authenticated:  # linking from 个人设置
        return told_then(request, IDENTITIES, message)
    return login_page(request, message, status=400)


class ProviderDownMiddleware:
    """allauth reaches the provider's discovery document before redirecting to it, outside its
    own error handling: a provider that is down becomes the sign-in page with a sentence."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if not isinstance(exception, RequestException):
            return None
        if not request.path.startswith("/accounts/social/"):
            return None
        provider = request.path.removeprefix("/accounts/social/").strip("/").split("/")
        login_error(provider=provider[-2] if len(provider) > 1 else "?",
                    reason="provider down", request=request)  # fmt: skip
        response = _refused(request, PROVIDER_DOWN)
        if response.status_code == 400:
            response.status_code = 502
        return response
