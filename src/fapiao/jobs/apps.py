from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "fapiao.jobs"
    verbose_name = "后台任务"
