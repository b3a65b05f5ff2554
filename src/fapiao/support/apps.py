from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "fapiao.support"
    verbose_name = "帮助与支持"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from fapiao.support.articles import articles_install_after_migrate

        # the shipped articles join the help centre when the database is set up or upgraded
        post_migrate.connect(articles_install_after_migrate, sender=self)
