from django.apps import AppConfig


class ClosingConfig(AppConfig):
    name = "fapiao.closing"
    verbose_name = "申报与清卡"

    def ready(self) -> None:
        from fapiao.jobs.services import worker_modules  # the registry is ready only now

        # imported by the worker before it runs: the decisions and reminders round
        worker_modules("fapiao.closing.clearing")
