from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名或邮箱"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput)


class CodeLoginForm(forms.Form):
    mobile = forms.CharField(label=_("手机号"), max_length=20)
    code = forms.CharField(label=_("验证码"), max_length=6, required=False)


class RegisterForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    email = forms.EmailField(label=_("电子邮箱"))
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            user = get_user_model()(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(str(password), user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data
