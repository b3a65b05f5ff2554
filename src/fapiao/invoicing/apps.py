from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "fapiao.invoicing"
    verbose_name = "开票"
