from django.apps import AppConfig


class AuthorityConfig(AppConfig):
    name = "fapiao.authority"
    verbose_name = "税务机关"
