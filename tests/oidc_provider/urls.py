from django.contrib.auth import views
from django.urls import include, path

urlpatterns = [
    path("login/", views.LoginView.as_view()),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
