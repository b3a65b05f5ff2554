from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "fapiao.documents"
    verbose_name = "发票文件与交付"

    def ready(self) -> None:
        from fapiao.documents import delivery  # noqa: F401 - registers the delivery jobs
