from django.urls import path

from fapiao.web import archiving_views as views

app_name = "archiving"
urlpatterns = [
    path("archives/", views.archives, name="archives"),
    path("archives/make", views.archive_make, name="make"),
    path("archives/<int:package_id>/download", views.archive_download, name="download"),
]
