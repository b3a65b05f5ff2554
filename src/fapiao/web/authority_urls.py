from django.urls import path

from fapiao.web import authority_views as views

app_name = "authority-web"
urlpatterns = [
    path("authority/verifications/", views.verifications, name="verifications"),
    path("authority/risks/", views.risks, name="risks"),
]
