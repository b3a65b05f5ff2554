from django.urls import path

from fapiao.web import orders_views as views

app_name = "orders"
urlpatterns = [
    path("orders/", views.orders, name="list"),
    path("orders/<int:order_id>/", views.order_detail, name="detail"),
    path("o/<str:token>/", views.buyer_page, name="buyer"),
    path("o/<str:token>/qr.png", views.buyer_qr, name="buyer-qr"),
]
