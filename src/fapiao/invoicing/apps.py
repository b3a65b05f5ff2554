from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "fapiao.invoicing"
    verbose_name = "开票"

    def ready(self) -> None:
        from fapiao.jobs.services import worker_modules  # the registry is ready only now

        # imported by the worker before it runs: the upload outbox, the daily 存证, 数电
        # numbers kept ahead, large imports, 确认单 lapsing
        worker_modules(
            "fapiao.invoicing.uploads",
            "fapiao.invoicing.anchoring",
            "fapiao.invoicing.numbers",
            "fapiao.invoicing.catalog_files",
            "fapiao.invoicing.red_forms",
        )
