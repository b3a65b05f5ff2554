from django.urls import path

from fapiao.web import backups_views as views

app_name = "backups"
urlpatterns = [
    path("settings/backups/", views.backups, name="backups"),
    path("settings/backups/now", views.backup_now, name="now"),
    path("settings/backups/<int:backup_id>/download", views.backup_download, name="download"),
]
