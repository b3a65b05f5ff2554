from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "fapiao.orders"
    verbose_name = "扫码开票"
