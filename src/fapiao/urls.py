from django.contrib import admin
from django.urls import include, path

from fapiao.api.v1 import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("fapiao.security.urls")),
    path("", include("fapiao.documents.urls")),
    path("", include("fapiao.web.urls")),
]
