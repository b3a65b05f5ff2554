"""Sign-in, sign-out and registration pages; thin over ``security.services``."""

from __future__ import annotations

from django.contrib.auth import get_user_model, logout
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from fapiao.domain.errors import DomainError
from fapiao.security.audit import audit_append
from fapiao.security.services import (
    AccountLocked,
    code_send,
    login_code,
    login_password,
    login_second_factor,
    reset_with_code,
)
from fapiao.security.twofactor import recovery_left
from fapiao.web.forms import CodeLoginForm, LoginForm, RegisterForm
from fapiao.web.signin import (
    PENDING,
    finish_second_factor,
    finish_sign_in,
    login_page,
    pending_of,
    safe_next,
)

CONFIRM_SALT = "fapiao.register"
CONFIRM_DAYS = 3


def next_url(request: HttpRequest) -> str:
    """Where to go after signing in: ``next`` when it is a page of this site, else home."""
    return safe_next(request, request.POST.get("next") or request.GET.get("next"))


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form, code_form, message = LoginForm(), CodeLoginForm(), ""
    if request.method == "GET" and request.GET.get("next"):  # sent here by a signed-in page
        message = "登录已过期或尚未登录，请重新登录"
    if request.method == "POST" and "password" in request.POST:
        form = LoginForm(request.POST)
        if form.is_valid():
            identifier = form.cleaned_data["username"]
            try:
                user = login_password(identifier, form.cleaned_data["password"], request=request)
            except DomainError as error:
                message = error.message
            else:
                return finish_sign_in(request, user, method="password", identifier=identifier,
                                      next_url=next_url(request))  # fmt: skip
    elif request.method == "POST":
        code_form = CodeLoginForm(request.POST)
        if code_form.is_valid():
            mobile, code = code_form.cleaned_data["mobile"], code_form.cleaned_data["code"]
            try:
                if not code:
                    code_send(purpose="login", mobile=mobile, request=request)
                    message = "如该手机号已绑定账户，验证码已发送"
                else:
                    user = login_code(mobile, code, request=request)
                    return finish_sign_in(request, user, method="mobile", identifier=mobile,
                                          next_url=next_url(request))  # fmt: skip
            except DomainError as error:
                message = error.message
    return login_page(request, message, form=form, code_form=code_form)


@require_http_methods(["GET", "POST"])
def second_factor_view(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the authenticator's code or a recovery code."""
    pending = pending_of(request)
    if pending is None:
        return redirect(reverse("security:login"))
    user, how = pending
    message = ""
    if request.method == "POST":
        try:
            device = login_second_factor(user, request.POST.get("code", ""),
                                         method=how["method"], identifier=how["identifier"],
                                         request=request)  # fmt: skip
        except DomainError as error:
            message = error.message
            if isinstance(error, AccountLocked):
                request.session.pop(PENDING, None)
                return login_page(request, message, status=403)
        else:
            return finish_second_factor(request, user, device, safe_next(request, how["next"]))
    return render(request, "security/second_factor.html",
                  {"message": message, "recovery_left": recovery_left(user)})  # fmt: skip


@require_http_methods(["POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_append("logout", actor=request.user.get_username(), request=request)
    logout(request)
    return redirect(reverse("security:login"))


@require_http_methods(["GET", "POST"])
def register_view(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        model = get_user_model()
        data = form.cleaned_data
        taken = (
            model.objects.filter(username=data["username"]).exists()
            or model.objects.filter(email__iexact=data["email"]).exists()
        )
        if not taken:
            with transaction.atomic():
                user = model(username=data["username"], email=data["email"], is_active=False)
                user.set_password(data["password"])
                user.save()
                audit_append("register", actor=user.get_username(), request=request)
            token = signing.dumps(user.pk, salt=CONFIRM_SALT)
            link = request.build_absolute_uri(reverse("security:confirm", args=[token]))
            body = f"请在{CONFIRM_DAYS}天内打开此链接完成注册：\n{link}\n"
            send_mail("【Fapiao】请确认您的邮箱", body, None, [data["email"]])
        # the same page either way: the public never learns whether a name or address is taken
        return render(request, "security/registered.html", {"email": data["email"]})
    return render(request, "security/register.html", {"form": form})


def confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        pk = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_DAYS * 86400)
    except signing.BadSignature:
        return render(request, "security/confirmed.html", {"ok": False}, status=400)
    user = get_user_model().objects.filter(pk=pk).first()
    if user is None:
        return render(request, "security/confirmed.html", {"ok": False}, status=400)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_append("register.confirmed", actor=user.get_username(), request=request)
    return render(request, "security/confirmed.html", {"ok": True})


@require_http_methods(["GET", "POST"])
def reset_phone_view(request: HttpRequest) -> HttpResponse:
    """Reset a password with a code texted to the account's mobile."""
    message, sent = "", False
    mobile = request.POST.get("mobile", "").strip()
    if request.method == "POST":
        try:
            if not request.POST.get("code"):
                code_send(purpose="reset", mobile=mobile, request=request)
                message, sent = "如该手机号已绑定账户，验证码已发送", True
            else:
                reset_with_code(mobile, request.POST["code"], request.POST.get("password", ""),
                                request=request)  # fmt: skip
                return redirect(reverse("security:login") + "?reset=1")
        except DomainError as error:
            message, sent = error.message, bool(request.POST.get("code"))
    return render(request, "security/reset_phone.html",
                  {"message": message, "sent": sent, "mobile": mobile})  # fmt: skip
