from django.apps import AppConfig


class ReceivingConfig(AppConfig):
    name = "fapiao.receiving"
    verbose_name = "进项与报销"
