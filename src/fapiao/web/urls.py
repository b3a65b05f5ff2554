from django.urls import path

from fapiao.web import (
    invoice_actions,
    personal_views,
    settings_views,
    signin_views,
    sync_views,
    views,
)

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("taxpayer/", views.switch_taxpayer, name="switch"),
    path("issue/", views.issue_form, name="issue"),
    path("invoices/", views.invoices, name="invoices"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/preview.png", views.invoice_preview, name="invoice-preview"),
    path("invoices/<int:pk>/<str:format>", views.invoice_file, name="invoice-file"),
    path(
        "invoices/<int:pk>/do/<str:action>", invoice_actions.invoice_action, name="invoice-action"
    ),
    path("red-forms/", views.red_forms, name="red-forms"),
    path("voids/", views.voids, name="voids"),
    path("sync/", sync_views.sync, name="sync"),
    path("audit/", views.audit, name="audit"),
    path("settings/", settings_views.profile, name="settings"),
    path("settings/me/", personal_views.personal, name="settings-personal"),
    path("settings/me/security/", signin_views.security, name="settings-security"),
    path(
        "settings/me/invitations/<int:invitation_id>",
        personal_views.invitation,
        name="settings-invitation",
    ),
    path("settings/users/", settings_views.users, name="settings-users"),
    path("settings/users/change", settings_views.users_change, name="settings-users-change"),
    path("settings/catalogs/<str:name>/", settings_views.catalogs, name="settings-catalog"),
    path(
        "settings/catalogs/<str:name>/imports/<int:job_id>/",
        settings_views.catalog_import_status,
        name="settings-catalog-import",
    ),
    path(
        "settings/catalogs/<str:name>/export.<str:format>",
        settings_views.catalog_download,
        name="settings-catalog-export",
    ),
    path("settings/channels/", settings_views.channels, name="settings-channels"),
    path("settings/keys/", settings_views.keys, name="settings-keys"),
    path("settings/printers/", settings_views.printers, name="settings-printers"),
    path("settings/templates/", settings_views.templates, name="settings-templates"),
]
