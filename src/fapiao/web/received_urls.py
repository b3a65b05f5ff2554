from django.urls import path

from fapiao.web import received_views as views

app_name = "received"
urlpatterns = [
    path("received/", views.received, name="list"),
    path("received/<int:received_id>/", views.received_detail, name="detail"),
    path("claims/", views.claims, name="claims"),
    path("claims/<int:claim_id>/", views.claim_detail, name="claim"),
    path("deductions/", views.deductions, name="deductions"),
]
