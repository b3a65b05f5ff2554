from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fapiao.reports"
    verbose_name = "报表查询"

    def ready(self) -> None:
        from fapiao.jobs.services import worker_modules  # the registry is ready only now

        # imported by the worker before it runs: the monthly report's e-mails
        worker_modules("fapiao.reports.mailing")
