from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "fapiao.documents"
    verbose_name = "发票文件与交付"

    def ready(self) -> None:
        from fapiao.jobs.services import worker_modules  # the registry is ready only now

        # imported by the worker before it runs: the delivery jobs
        worker_modules("fapiao.documents.delivery")
