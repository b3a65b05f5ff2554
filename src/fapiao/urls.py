from allauth.urls import build_provider_urlpatterns
from django.contrib import admin
from django.urls import include, path

from fapiao.api.v1 import api
from fapiao.authority.api import api as authority_api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("authority/v1/", authority_api.urls),
    path("accounts/", include("fapiao.web.accounts_urls")),
    # third-party sign-in: only the providers' own addresses of allauth (login, callback)
    path("accounts/social/", include(build_provider_urlpatterns())),
    path("", include("fapiao.web.verify_urls")),
    path("", include("fapiao.web.closing_urls")),
    path("", include("fapiao.web.authority_urls")),
    path("", include("fapiao.web.reports_urls")),
    path("", include("fapiao.web.backups_urls")),
    path("", include("fapiao.web.archiving_urls")),
    path("", include("fapiao.web.support_urls")),
    path("", include("fapiao.web.notices_urls")),
    path("", include("fapiao.web.risk_urls")),
    path("", include("fapiao.web.batches_urls")),
    path("", include("fapiao.web.requests_urls")),
    path("", include("fapiao.web.orders_urls")),
    path("", include("fapiao.web.received_urls")),
    path("", include("fapiao.web.link_urls")),
    path("", include("fapiao.web.urls")),
]

handler400 = "fapiao.web.errors.bad_request"
handler403 = "fapiao.web.errors.forbidden"
handler404 = "fapiao.web.errors.not_found"
handler500 = "fapiao.web.errors.server_error"
