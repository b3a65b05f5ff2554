from django.urls import path

from fapiao.web import desk_views as desk
from fapiao.web import help_views as help

app_name = "support"
urlpatterns = [
    path("help/", help.help_index, name="help"),
    path("help/suggest", help.help_suggest, name="suggest"),
    path("help/tickets/", help.my_tickets, name="tickets"),
    path("help/tickets/new/", help.ticket_new, name="ticket-new"),
    path("help/tickets/<int:ticket_id>/", help.ticket_detail, name="ticket"),
    path("help/tickets/<int:ticket_id>/messages", help.ticket_messages, name="ticket-messages"),
    path("help/tickets/<int:ticket_id>/do/<str:action>", help.ticket_act, name="ticket-act"),
    path(
        "help/tickets/<int:ticket_id>/files/<int:attachment_id>",
        help.ticket_file,
        name="ticket-file",
    ),
    path("help/manage/", desk.articles, name="articles"),
    path("help/manage/new/", desk.article_edit, name="article-new"),
    path("help/manage/<slug:slug>/", desk.article_edit, name="article-edit"),
    path("help/manage/<slug:slug>/v<int:version>/", desk.article_revision, name="revision"),
    path("help/<slug:slug>/", help.help_article, name="article"),
    path("support/", desk.desk, name="desk"),
    path("support/routing/", desk.routing, name="routing"),
    path("support/tickets/<int:ticket_id>/", desk.desk_ticket, name="desk-ticket"),
    path("support/tickets/<int:ticket_id>/messages", desk.desk_messages, name="desk-messages"),
    path("support/tickets/<int:ticket_id>/do/<str:action>", desk.desk_act, name="desk-act"),
    path(
        "support/tickets/<int:ticket_id>/files/<int:attachment_id>",
        desk.desk_file,
        name="desk-file",
    ),
    path(
        "support/tickets/<int:ticket_id>/invoices/<int:grant_id>/",
        desk.desk_invoice,
        name="desk-invoice",
    ),
]
