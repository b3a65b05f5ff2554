from django.urls import path

from fapiao.authority import views

app_name = "authority"
urlpatterns = [path("verify/", views.verify_page, name="verify")]
