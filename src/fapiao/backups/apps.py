from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "fapiao.backups"
    verbose_name = "数据备份与恢复"

    def ready(self) -> None:
        from fapiao.jobs.services import worker_modules  # the registry is ready only now

        # imported by the worker before it runs: the nightly backup and its rotation
        worker_modules("fapiao.backups.rounds")
