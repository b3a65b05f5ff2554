from django.urls import path

from fapiao.web import reports_views as views

app_name = "reports"
urlpatterns = [
    path("reports/", views.reports_page, name="reports"),
    path("reports/export.xlsx", views.reports_export, name="export"),
    path("reports/export.pdf", views.reports_export, {"format": "pdf"}, name="export-pdf"),
]
