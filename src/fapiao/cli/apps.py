from django.apps import AppConfig


class CliConfig(AppConfig):
    """The ``fapiao`` command line: every management command of the project (an interface)."""

    name = "fapiao.cli"
    label = "cli"
    verbose_name = "命令行"
