from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "fapiao.invoicing"
    verbose_name = "开票"

    def ready(self) -> None:
        # registered with the worker: the upload outbox, 数电 numbers kept ahead, large imports,
        # 确认单 lapsing
        from fapiao.invoicing import catalog_files, numbers, red_forms, uploads  # noqa: F401
