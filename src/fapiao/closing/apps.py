from django.apps import AppConfig


class ClosingConfig(AppConfig):
    name = "fapiao.closing"
    verbose_name = "申报与清卡"

    def ready(self) -> None:
        from fapiao.closing import clearing  # noqa: F401 - registers the decisions and reminders round
