from django.apps import AppConfig


class ArchivingConfig(AppConfig):
    name = "fapiao.archiving"
    verbose_name = "电子档案归档"

    def ready(self) -> None:
        from fapiao.jobs.services import worker_modules  # the registry is ready only now

        # imported by the worker before it runs: packages made in the background
        worker_modules("fapiao.archiving.services")
