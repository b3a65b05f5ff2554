from django.urls import path

from fapiao.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("taxpayer/", views.switch_taxpayer, name="switch"),
    path("issue/", views.issue_form, name="issue"),
    path("invoices/", views.invoices, name="invoices"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/<str:format>", views.invoice_file, name="invoice-file"),
    path("invoices/<int:pk>/do/<str:action>", views.invoice_action, name="invoice-action"),
    path("audit/", views.audit, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit-export"),
]
