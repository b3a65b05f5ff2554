from django.apps import AppConfig


class BatchesConfig(AppConfig):
    name = "fapiao.batches"
    verbose_name = "批量开具"

    def ready(self) -> None:
        from fapiao.jobs.services import worker_modules  # the registry is ready only now

        worker_modules("fapiao.batches.issuing")  # the batch's issuing work
