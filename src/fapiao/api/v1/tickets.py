"""帮助与支持 in the REST API, for both sides: a taxpayer's users and systems (API key or
session) search the help centre and file and follow their tickets; support staff (a signed-in
session of 客服 or 客服主管) work the queue. The same services as the pages and ``fapiao
ticket``; attachments travel as base64 in the JSON body, checked as on the pages."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja import Status as Reply
from ninja.security import SessionAuth

from fapiao.api.v1.common import caller
from fapiao.api.v1.schemas import Error
from fapiao.domain.articles import TOPICS
from fapiao.domain.errors import Text
from fapiao.domain.tickets import ATTACHMENT_MAX, CATEGORIES, STATUS_LABELS, Status, TicketRefused
from fapiao.invoicing.accounts import support_role
from fapiao.invoicing.selectors import NotFound
from fapiao.security.audit import audit_append
from fapiao.support import selectors, tickets
from fapiao.support.articles import article_published, articles_search
from fapiao.support.models import Ticket

router = Router()
TAGS = ["帮助与支持"]
DESK_TAGS = ["客服工作台"]
#: what a write on a ticket answers
CHANGED = {200: dict[str, Any], 400: Error, 404: Error}
ADDED = {201: dict[str, Any], 400: Error, 404: Error}


class StaffSession(SessionAuth):
    """A signed-in 客服 or 客服主管 (CSRF checked on writes)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: Any) -> Any:
        user = super().authenticate(request, key)
        return user if user and support_role(user) is not None else None


desk_router = Router(auth=StaffSession())


class FileIn(Schema):
    name: str
    content_base64: str


class TicketIn(Schema):
    category: str
    subject: str
    description: str
    page: str = ""
    attachments: list[FileIn] = Field(default_factory=list)


class ReplyIn(Schema):
    text: str
    attachments: list[FileIn] = Field(default_factory=list)


class RatingIn(Schema):
    rating: int
    note: str = ""


class StatusIn(Schema):
    status: str


class AssigneeIn(Schema):
    assignee: str | None = None


def _uploads(files: list[FileIn]) -> list[tickets.Upload]:
    found = []
    for index, item in enumerate(files):
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise TicketRefused(
                Text("第{0}个附件不是有效的base64", index + 1), field=f"attachments.{index}"
            ) from None
        found.append(tickets.Upload(item.name, content[: ATTACHMENT_MAX + 1], len(content)))
    return found


def _ticket_dict(ticket: Ticket, *, full: bool = False, staff: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": ticket.pk,
        "subject": ticket.subject,
        "category": ticket.category,
        "category_label": CATEGORIES.get(ticket.category, ""),
        "status": ticket.status,
        "status_label": STATUS_LABELS[Status(ticket.status)],
        "filer": ticket.filer_name,
        "assignee": ticket.assignee.get_username() if ticket.assignee else None,
        "page": ticket.page,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
        "first_response_at": _iso(ticket.first_response_at),
        "resolved_at": _iso(ticket.resolved_at),
        "rating": ticket.rating,
    }
    if staff:
        data["taxpayer"] = ticket.taxpayer.name if ticket.taxpayer else None
    if full:
        data["messages"] = [
            {
                "id": m.pk,
                "author": m.author_name,
                "staff": m.by_staff,
                "body": m.body,
                "at": m.at.isoformat(),
                "attachments": [
                    {"id": a.pk, "name": a.name, "size": a.size, "content_type": a.content_type}
                    for a in m.attachments.all()
                ],
            }
            for m in ticket.messages.prefetch_related("attachments")
        ]
    return data


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def _mine(request: HttpRequest, ticket_id: int) -> Ticket:
    return selectors.ticket_of(request.user, caller(request), ticket_id)  # type: ignore[arg-type]


def _actor(request: HttpRequest) -> tuple[Any, str]:
    user = request.user if request.user.is_authenticated else None
    return user, user.get_username() if user else caller(request).actor


def _file(request: HttpRequest, ticket: Ticket, attachment_id: int) -> HttpResponse:
    found = selectors.attachment_of(ticket, attachment_id)
    actor = request.user.get_username() if request.user.is_authenticated else caller(request).actor
    audit_append(
        "ticket.file_read",
        actor=actor,
        taxpayer=ticket.taxpayer,
        request=request,
        payload={"ticket": ticket.pk, "attachment": found.pk},
    )
    response = HttpResponse(bytes(found.content), content_type=found.content_type)
    response["Content-Disposition"] = "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the help centre ------------------------------------------------------------------------------


@router.get("/help/articles", response=list[dict[str, Any]], tags=TAGS, summary="搜索帮助文章")
def help_search(request: HttpRequest, q: str) -> Any:
    return [
        {
            "slug": f.article.slug,
            "title": f.article.title,
            "topic": f.article.topic,
            "topic_label": TOPICS.get(f.article.topic, ""),
            "excerpt": f.excerpt,
            "updated_at": f.article.updated_at.isoformat(),
        }
        for f in articles_search(q)
    ]


@router.get(
    "/help/articles/{slug}",
    response={200: dict[str, Any], 404: Error},
    tags=TAGS,
    summary="帮助文章（Markdown 原文）",
)
def help_article(request: HttpRequest, slug: str) -> Any:
    article = article_published(slug)
    if article is None:
        raise NotFound("文章不存在", field="slug")
    return {
        "slug": article.slug,
        "title": article.title,
        "topic": article.topic,
        "body": article.body,
        "updated_at": article.updated_at.isoformat(),
    }


# --- the caller's tickets ------------------------------------------------------------------------


@router.get("/tickets", response=list[dict[str, Any]], tags=TAGS, summary="我的工单")
def tickets_list(request: HttpRequest) -> Any:
    found = selectors.tickets_of(request.user, caller(request))  # type: ignore[arg-type]
    return [_ticket_dict(t) for t in found[:500]]


@router.post(
    "/tickets",
    response={201: dict[str, Any], 400: Error, 422: Error},
    tags=TAGS,
    summary="提交工单（按问题类型分派给客服）",
)
def ticket_create(request: HttpRequest, payload: TicketIn) -> Any:
    me = caller(request)
    user, actor = _actor(request)
    ticket = tickets.ticket_file(
        user=user,
        taxpayer=me.taxpayer,
        actor=actor,
        category=payload.category,
        subject=payload.subject,
        description=payload.description,
        page=payload.page,
        uploads=_uploads(payload.attachments),
        request=request,
    )
    return Reply(201, _ticket_dict(ticket, full=True))


@router.get(
    "/tickets/{ticket_id}",
    response={200: dict[str, Any], 404: Error},
    tags=TAGS,
    summary="工单及其对话",
)
def ticket_get(request: HttpRequest, ticket_id: int) -> Any:
    return _ticket_dict(_mine(request, ticket_id), full=True)


@router.post(
    "/tickets/{ticket_id}/replies",
    response=ADDED,
    tags=TAGS,
    summary="回复工单（已解决或已关闭的工单将重新打开）",
)
def ticket_reply(request: HttpRequest, ticket_id: int, payload: ReplyIn) -> Any:
    ticket = _mine(request, ticket_id)
    user, actor = _actor(request)
    tickets.ticket_reply(
        ticket=ticket,
        user=user,
        actor=actor,
        body=payload.text,
        staff=False,
        uploads=_uploads(payload.attachments),
        request=request,
    )
    return Reply(201, _ticket_dict(_mine(request, ticket_id), full=True))


@router.post(
    "/tickets/{ticket_id}/close",
    response=CHANGED,
    tags=TAGS,
    summary="关闭工单",
)
def ticket_close(request: HttpRequest, ticket_id: int) -> Any:
    ticket = _mine(request, ticket_id)
    return _ticket_dict(
        tickets.ticket_close(ticket=ticket, actor=_actor(request)[1], request=request)
    )


@router.post(
    "/tickets/{ticket_id}/rating",
    response=CHANGED,
    tags=TAGS,
    summary="评价已解决的工单（1到5星）",
)
def ticket_rating(request: HttpRequest, ticket_id: int, payload: RatingIn) -> Any:
    ticket = _mine(request, ticket_id)
    return _ticket_dict(
        tickets.ticket_rate(
            ticket=ticket,
            rating=payload.rating,
            note=payload.note,
            actor=_actor(request)[1],
            request=request,
        )
    )


@router.get(
    "/tickets/{ticket_id}/attachments/{attachment_id}",
    response={200: None, 404: Error},
    tags=TAGS,
    summary="下载附件",
)
def ticket_attachment(request: HttpRequest, ticket_id: int, attachment_id: int) -> Any:
    return _file(request, _mine(request, ticket_id), attachment_id)


# --- the support desk ----------------------------------------------------------------------------


@desk_router.get(
    "/support/tickets", response=list[dict[str, Any]], tags=DESK_TAGS, summary="工单队列（客服）"
)
def desk_list(request: HttpRequest, status: str = "open", category: str = "", who: str = "") -> Any:
    found = selectors.desk_tickets(
        status=status,
        category=category,
        assignee=request.auth if who == "mine" else None,  # type: ignore[attr-defined]
        unassigned=who == "none",
    )
    return [_ticket_dict(t, staff=True) for t in found[:500]]


@desk_router.get(
    "/support/tickets/{ticket_id}",
    response={200: dict[str, Any], 404: Error},
    tags=DESK_TAGS,
    summary="工单及其对话（客服）",
)
def desk_get(request: HttpRequest, ticket_id: int) -> Any:
    return _ticket_dict(selectors.desk_ticket(ticket_id), full=True, staff=True)


@desk_router.post(
    "/support/tickets/{ticket_id}/replies",
    response=ADDED,
    tags=DESK_TAGS,
    summary="回复用户（客服）",
)
def desk_reply(request: HttpRequest, ticket_id: int, payload: ReplyIn) -> Any:
    staff = request.auth  # type: ignore[attr-defined]
    tickets.ticket_reply(
        ticket=selectors.desk_ticket(ticket_id),
        user=staff,
        actor=staff.get_username(),
        body=payload.text,
        staff=True,
        uploads=_uploads(payload.attachments),
        request=request,
    )
    return Reply(201, _ticket_dict(selectors.desk_ticket(ticket_id), full=True, staff=True))


@desk_router.post(
    "/support/tickets/{ticket_id}/status",
    response=CHANGED,
    tags=DESK_TAGS,
    summary="更改工单状态（客服）",
)
def desk_status(request: HttpRequest, ticket_id: int, payload: StatusIn) -> Any:
    ticket = tickets.ticket_move(
        ticket=selectors.desk_ticket(ticket_id),
        status=payload.status,
        actor=request.auth.get_username(),
        request=request,
    )  # type: ignore[attr-defined]
    return _ticket_dict(ticket, staff=True)


@desk_router.post(
    "/support/tickets/{ticket_id}/assignee",
    response=CHANGED,
    tags=DESK_TAGS,
    summary="分派工单（客服）",
)
def desk_assign(request: HttpRequest, ticket_id: int, payload: AssigneeIn) -> Any:
    assignee = None
    if payload.assignee:
        assignee = get_user_model().objects.filter(username=payload.assignee).first()
        if assignee is None:
            raise TicketRefused("没有这个客服人员", field="assignee")
    ticket = tickets.ticket_assign(
        ticket=selectors.desk_ticket(ticket_id),
        assignee=assignee,
        actor=request.auth.get_username(),
        request=request,
    )  # type: ignore[attr-defined]
    return _ticket_dict(ticket, staff=True)


@desk_router.get(
    "/support/tickets/{ticket_id}/attachments/{attachment_id}",
    response={200: None, 404: Error},
    tags=DESK_TAGS,
    summary="下载附件（客服）",
)
def desk_attachment(request: HttpRequest, ticket_id: int, attachment_id: int) -> Any:
    return _file(request, selectors.desk_ticket(ticket_id), attachment_id)
