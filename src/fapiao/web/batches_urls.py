from django.urls import path

from fapiao.web import batches_views as views

app_name = "batches"
urlpatterns = [
    path("batches/", views.batches, name="list"),
    path("batches/template.xlsx", views.batch_template, name="template"),
    path("batches/<int:batch_id>/", views.batch_detail, name="detail"),
    path("batches/<int:batch_id>/<str:what>", views.batch_file, name="file"),
]
