from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fapiao.reports"
    verbose_name = "报表查询"
