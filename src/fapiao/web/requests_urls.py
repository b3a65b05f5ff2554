from django.urls import path

from fapiao.web import requests_views as views

app_name = "requests"
urlpatterns = [
    path("requests/", views.requests, name="list"),
    path("requests/<int:request_pk>/", views.request_detail, name="detail"),
]
