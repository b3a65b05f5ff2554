from django.urls import path

from fapiao.web import risk_views as views

app_name = "risk"
urlpatterns = [
    path("risk/", views.alerts, name="alerts"),
    path("risk/rules/", views.rule_settings, name="rules"),
    path("risk/<int:alert_id>/", views.alert_detail, name="alert"),
]
