from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "fapiao.notices"
    verbose_name = "通知中心"

    def ready(self) -> None:
        from fapiao.jobs.services import worker_modules  # the registry is ready only now

        worker_modules("fapiao.notices.services")  # the deliveries' handler
