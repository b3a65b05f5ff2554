from django.urls import path

from fapiao.web import closing_views as views

app_name = "closing"
urlpatterns = [
    path("closing/", views.closing, name="closing"),
    path("closing/certificate/<str:number>.pdf", views.certificate, name="certificate"),
    path("authority/clearings/", views.review, name="review"),
]
