from django.urls import path

from fapiao.web import notices_views as views

app_name = "notices"
urlpatterns = [
    path("notices/", views.notices, name="list"),
    path("notices/read", views.notices_mark_read, name="read"),
    path("notices/<int:notice_id>/", views.notice_open, name="open"),
]
