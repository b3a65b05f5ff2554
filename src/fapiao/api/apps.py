from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fapiao.api"
    verbose_name = "REST API"
