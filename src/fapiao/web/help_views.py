"""帮助与支持: the help centre (topics, search, articles, suggestions while a ticket is written),
open to anyone — a user who cannot sign in needs it most — and the signed-in user's own tickets
(在线客服 / 意见反馈)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from fapiao.domain.articles import TOPICS
from fapiao.domain.errors import DomainError
from fapiao.domain.tickets import (
    ATTACHMENT_MAX,
    ATTACHMENT_TYPES,
    CATEGORIES,
    STATUS_LABELS,
    Status,
    TicketRefused,
)
from fapiao.invoicing.accounts import support_role
from fapiao.invoicing.selectors import NotFound
from fapiao.security.audit import audit_append
from fapiao.support import grants, selectors, tickets
from fapiao.support.articles import (
    article_html,
    article_published,
    articles_by_topic,
    articles_search,
)
from fapiao.web.context import current
from fapiao.web.settings_views import flash_of, told_then

ACCEPT = ",".join(f".{extension}" for extension in ATTACHMENT_TYPES)


def help_index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    return render(
        request,
        "support/help.html",
        {
            "query": query,
            "found": articles_search(query) if query else None,
            "topics": [t for t in articles_by_topic() if t[2]],
            "staff": support_role(request.user) is not None,  # type: ignore[arg-type]
        },
    )


def help_article(request: HttpRequest, slug: str) -> HttpResponse:
    article = article_published(slug)
    if article is None:
        raise Http404
    return render(
        request,
        "support/article.html",
        {
            "article": article,
            "html": mark_safe(article_html(article.body)),  # noqa: S308 - the parser lets no HTML through
            "topic": TOPICS.get(article.topic, ""),
            "staff": support_role(request.user) is not None,  # type: ignore[arg-type]
        },
    )


def help_suggest(request: HttpRequest) -> HttpResponse:
    """Articles that may answer a ticket's subject, drawn while it is typed (htmx)."""
    query = request.GET.get("subject", "").strip()[:100]
    found = articles_search(query, limit=5) if len(query) >= 2 else []
    return render(request, "support/suggestions.html", {"found": found})


# --- the user's tickets --------------------------------------------------------------------------


def uploads_of(request: HttpRequest) -> list[tickets.Upload]:
    """The request's files, each read up to one byte past the limit (an oversized file is then
    refused by its size, and never held whole in memory)."""
    return [
        tickets.Upload(
            name=str(f.name or ""), content=f.read(ATTACHMENT_MAX + 1), size=int(f.size or 0)
        )
        for f in request.FILES.getlist("attachments")
    ]


def _side(request: HttpRequest) -> tuple[Any, Any]:
    return request.user, current(request)


def _ticket(request: HttpRequest, ticket_id: int) -> Any:
    user, me = _side(request)
    try:
        return selectors.ticket_of(user, me, ticket_id)
    except NotFound:
        raise Http404 from None


@login_required
def my_tickets(request: HttpRequest) -> HttpResponse:
    user, me = _side(request)
    return render(
        request,
        "support/tickets.html",
        {
            "tickets": selectors.tickets_of(user, me)[:200],
            "labels": STATUS_LABELS,
            "categories": CATEGORIES,
            "message": flash_of(request),
        },
    )


def _came_from(request: HttpRequest) -> str:
    page = request.GET.get("from") or request.POST.get("page") or ""
    safe = url_has_allowed_host_and_scheme(page, allowed_hosts={request.get_host()})
    return page[:300] if safe and page.startswith("/") else ""


@login_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    user, me = _side(request)
    error: DomainError | None = None
    post = request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        try:
            ticket = tickets.ticket_file(
                user=user,
                taxpayer=me.taxpayer if me else None,
                actor=user.get_username(),
                category=post.get("category", ""),
                subject=post.get("subject", ""),
                description=post.get("description", ""),
                page=_came_from(request),
                uploads=uploads_of(request),
                request=request,
            )
        except DomainError as refused:
            error = refused
        else:
            return told_then(request, f"/help/tickets/{ticket.pk}/", "工单已提交，客服会尽快回复")
    return render(
        request,
        "support/ticket_new.html",
        {
            "categories": CATEGORIES,
            "post": post,
            "error": error,
            "page": _came_from(request),
            "accept": ACCEPT,
            "max_mb": ATTACHMENT_MAX // 2**20,
        },
        status=400 if error else 200,
    )


@login_required
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    return render(
        request,
        "support/ticket.html",
        {
            **conversation(ticket, staff=False),
            "message": flash_of(request),
            "accept": ACCEPT,
            "grants": selectors.grants_active(ticket),
            "may_grant": ticket.filed_by_id == request.user.pk and ticket.taxpayer_id is not None,
            "rateable": ticket.status in (Status.SOLVED, Status.CLOSED) and ticket.rating is None,
        },
    )


def conversation(ticket: Any, *, staff: bool) -> dict[str, Any]:
    messages = list(ticket.messages.select_related("author").prefetch_related("attachments"))
    return {
        "ticket": ticket,
        "messages": messages,
        "labels": STATUS_LABELS,
        "staff": staff,
        "categories": CATEGORIES,
        "status_label": STATUS_LABELS[Status(ticket.status)],
        "files_base": f"/support/tickets/{ticket.pk}" if staff else f"/help/tickets/{ticket.pk}",
    }


@login_required
def ticket_messages(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The conversation alone, polled by the open page so that replies appear without reload."""
    return render(
        request, "support/conversation.html", conversation(_ticket(request, ticket_id), staff=False)
    )


@require_POST
@login_required
def ticket_act(request: HttpRequest, ticket_id: int, action: str) -> HttpResponse:
    """The user's writes on their ticket: reply (also reopens), close, rate, grant, revoke."""
    ticket = _ticket(request, ticket_id)
    actor, post, back = request.user.get_username(), request.POST, f"/help/tickets/{ticket.pk}/"
    try:
        if action == "reply":
            reply_from(request, ticket, staff=False)
            said = "已回复"
        elif action == "close":
            tickets.ticket_close(ticket=ticket, actor=actor, request=request)
            said = "工单已关闭"
        elif action == "rate":
            tickets.ticket_rate(
                ticket=ticket,
                rating=_number(post.get("rating", ""), "rating"),
                note=post.get("note", ""),
                actor=actor,
                request=request,
            )
            said = "感谢您的评价"
        elif action == "grant":
            grants.grant_invoice(
                ticket=ticket,
                user=request.user,
                number=post.get("number", ""),  # type: ignore[arg-type]
                hours=_number(post.get("hours", ""), "hours"),
                actor=actor,
                request=request,
            )
            said = "已授权客服查看该发票"
        elif action == "revoke":
            found = ticket.grants.filter(pk=_number(post.get("grant", ""), "grant")).first()
            if found is None:
                raise TicketRefused("授权不存在", field="grant")
            grants.grant_revoke(grant=found, actor=actor, request=request)
            said = "已撤销授权"
        else:
            raise Http404
    except DomainError as refused:
        return told_then(request, back, refused.message)
    return told_then(request, back, said)


def reply_from(request: HttpRequest, ticket: Any, *, staff: bool) -> None:
    """The reply the request's form carries (its text and files), by the signed-in user."""
    tickets.ticket_reply(
        ticket=ticket,
        user=request.user,  # type: ignore[arg-type]
        actor=request.user.get_username(),
        staff=staff,
        body=request.POST.get("body", ""),
        uploads=uploads_of(request),
        request=request,
    )


def _number(text: str, field: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise TicketRefused("请填写数字", field=field) from None


@login_required
def ticket_file(request: HttpRequest, ticket_id: int, attachment_id: int) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    return attachment_response(request, ticket, attachment_id)


def attachment_response(request: HttpRequest, ticket: Any, attachment_id: int) -> HttpResponse:
    """An attachment, always as a download of its checked type, never run by the browser."""
    try:
        found = selectors.attachment_of(ticket, attachment_id)
    except NotFound:
        raise Http404 from None
    audit_append(
        "ticket.file_read",
        actor=request.user.get_username(),
        request=request,
        taxpayer=ticket.taxpayer,
        payload={"ticket": ticket.pk, "attachment": found.pk},
    )
    response = HttpResponse(bytes(found.content), content_type=found.content_type)
    response["Content-Disposition"] = _disposition(found.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _disposition(name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(name)}"
