from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "fapiao.risk"
    verbose_name = "风险预警"

    def ready(self) -> None:
        from fapiao.jobs.services import worker_modules  # the registry is ready only now

        worker_modules("fapiao.risk.services")  # the rules' periodic round
