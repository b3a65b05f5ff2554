from django.apps import AppConfig


class ReceivingConfig(AppConfig):
    name = "fapiao.receiving"
    verbose_name = "进项与报销"

    def ready(self) -> None:
        from fapiao.jobs.services import worker_modules  # the registry is ready only now

        worker_modules("fapiao.receiving.later", "fapiao.receiving.mailbox")  # OCR, the mailbox
