from django.urls import path

from fapiao.web import verify_views as views

app_name = "authority"
urlpatterns = [path("verify/", views.verify_page, name="verify")]
