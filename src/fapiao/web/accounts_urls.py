from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from fapiao.web import accounts_views as views

app_name = "security"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/2fa/", views.second_factor_view, name="second-factor"),
    path("logout/", views.logout_view, name="logout"),
    path("register/", views.register_view, name="register"),
    path("register/<str:token>/", views.confirm_view, name="confirm"),
    path("password/reset/phone/", views.reset_phone_view, name="reset-phone"),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="security/form.html",
            email_template_name="security/reset_email.txt",
            subject_template_name="security/reset_subject.txt",
            success_url=reverse_lazy("security:reset-sent"),
            extra_context={"title": "找回密码"},
        ),
        name="reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="security/reset_sent.html"),
        name="reset-sent",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="security/form.html",
            success_url=reverse_lazy("security:login"),
            extra_context={"title": "设置新密码"},
        ),
        name="reset-confirm",
    ),
]
