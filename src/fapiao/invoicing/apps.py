from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "fapiao.invoicing"
    verbose_name = "开票"

    def ready(self) -> None:
        from fapiao.invoicing import uploads  # noqa: F401 - registers the upload worker
