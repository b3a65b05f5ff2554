from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "fapiao.security"
    verbose_name = "账户安全与审计"
