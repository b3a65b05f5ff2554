from django.urls import path

from fapiao.web import link_views as views

app_name = "documents"
urlpatterns = [
    path("d/<str:token>/", views.link_page, name="link"),
    path("d/<str:token>/qr.png", views.link_qr, name="link-qr"),
    path("d/<str:token>/<str:format>", views.link_file, name="link-file"),
]
