"""客服工作台 for support staff (客服, 客服主管): the ticket queue and its figures, answering a
ticket, the invoice views users granted, the routing rules (the lead) and the help centre's
articles with their history. Support sees tickets only: no page here reads a taxpayer's
invoices except through an open grant."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fapiao.core.roles import Role
from fapiao.domain.articles import TOPICS
from fapiao.domain.errors import DomainError
from fapiao.domain.tickets import CATEGORIES, STATUS_LABELS, Status, duration_text
from fapiao.invoicing.accounts import support_role
from fapiao.invoicing.selectors import NotFound
from fapiao.security.audit import audit_append
from fapiao.support import grants, selectors, tickets
from fapiao.support.articles import article_html, article_save
from fapiao.support.models import Article, RoutingRule
from fapiao.web.help_views import ACCEPT, attachment_response, conversation, reply_from
from fapiao.web.settings_views import flash_of, told_then


def staff_page(*, lead: bool = False) -> Callable[[Callable[..., HttpResponse]], Any]:
    """A page for support staff (for the lead only with ``lead``)."""

    def wrap(view: Callable[..., HttpResponse]) -> Any:
        @login_required
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            role = support_role(request.user)  # type: ignore[arg-type]
            if role is None or (lead and role != Role.SUPPORT_LEAD):
                raise PermissionDenied(gettext("只有客服人员可以访问"))
            request.staff_role = role  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return inner

    return wrap


def _ticket(ticket_id: int) -> Any:
    try:
        return selectors.desk_ticket(ticket_id)
    except NotFound:
        raise Http404 from None


@staff_page()
def desk(request: HttpRequest) -> HttpResponse:
    get = request.GET
    status = get.get("status", "open")
    mine = get.get("who") == "mine"
    found = selectors.desk_tickets(
        status=status if status in (*STATUS_LABELS, "open") else "",
        query=get.get("q", ""),
        category=get.get("category", "") if get.get("category") in CATEGORIES else "",
        assignee=request.user if mine else None,
        unassigned=get.get("who") == "none",  # type: ignore[arg-type]
    )
    figures = selectors.desk_figures()
    return render(
        request,
        "support/desk.html",
        {
            "tickets": found[:300],
            "labels": STATUS_LABELS,
            "categories": CATEGORIES,
            "status": status,
            "who": get.get("who", ""),
            "category": get.get("category", ""),
            "q": get.get("q", ""),
            "figures": figures,
            "first_response": duration_text(figures.first_response),
            "resolution": duration_text(figures.resolution),
        },
    )


@staff_page()
def desk_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket(ticket_id)
    moves = [(s.value, STATUS_LABELS[s]) for s in Status]
    return render(
        request,
        "support/desk_ticket.html",
        {
            **conversation(ticket, staff=True),
            "message": flash_of(request),
            "accept": ACCEPT,
            "moves": moves,
            "staff_members": tickets.staff_members(),
            "grants": selectors.grants_active(ticket),
            "first_response": duration_text(
                ticket.first_response_at - ticket.created_at if ticket.first_response_at else None
            ),
            "resolution": duration_text(
                ticket.resolved_at - ticket.created_at if ticket.resolved_at else None
            ),
        },
    )


@staff_page()
def desk_messages(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return render(
        request, "support/conversation.html", conversation(_ticket(ticket_id), staff=True)
    )


@require_POST
@staff_page()
def desk_act(request: HttpRequest, ticket_id: int, action: str) -> HttpResponse:
    ticket = _ticket(ticket_id)
    actor, post, back = request.user.get_username(), request.POST, f"/support/tickets/{ticket.pk}/"
    try:
        if action == "reply":
            reply_from(request, ticket, staff=True)
            said = "已回复"
        elif action == "status":
            tickets.ticket_move(
                ticket=ticket, status=post.get("status", ""), actor=actor, request=request
            )
            said = "状态已更新"
        elif action == "assign":
            name = post.get("assignee", "")
            assignee = get_user_model().objects.filter(username=name).first() if name else None
            tickets.ticket_assign(ticket=ticket, assignee=assignee, actor=actor, request=request)
            said = "已分派"
        else:
            raise Http404
    except DomainError as refused:
        return told_then(request, back, refused.message)
    return told_then(request, back, said)


@staff_page()
def desk_file(request: HttpRequest, ticket_id: int, attachment_id: int) -> HttpResponse:
    return attachment_response(request, _ticket(ticket_id), attachment_id)


@staff_page()
def desk_invoice(request: HttpRequest, ticket_id: int, grant_id: int) -> HttpResponse:
    """The one invoice a user let support see, while the grant lasts."""
    ticket = _ticket(ticket_id)
    try:
        grant = selectors.grant_of(ticket, grant_id)
    except NotFound:
        raise Http404 from None
    invoice = grant.invoice
    audit_append(
        "ticket.grant_used",
        actor=request.user.get_username(),
        request=request,
        taxpayer=ticket.taxpayer,
        payload={"ticket": ticket.pk, "invoice": invoice.number},
    )
    return render(
        request,
        "support/desk_invoice.html",
        {
            "ticket": ticket,
            "grant": grant,
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
        },
    )


@staff_page(lead=True)
def routing(request: HttpRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        category = request.POST.get("category", "")
        names = [n for n in request.POST.getlist("assignees") if n]
        try:
            grants.routing_set(
                category=category,
                assignees=grants.members_of(names),
                actor=request.user.get_username(),
                request=request,
            )
        except DomainError as refused:
            error = refused
        else:
            return told_then(request, "/support/routing/", "分派规则已保存")
    rules: dict[str, list[str]] = {key: [] for key in CATEGORIES}
    for rule in RoutingRule.objects.select_related("assignee"):
        rules.setdefault(rule.category, []).append(rule.assignee.get_username())
    return render(
        request,
        "support/routing.html",
        {
            "rules": [(key, CATEGORIES[key], rules.get(key, [])) for key in CATEGORIES],
            "staff_members": tickets.staff_members(),
            "error": error,
            "message": flash_of(request),
        },
        status=400 if error else 200,
    )


# --- the help centre's articles ------------------------------------------------------------------


@staff_page()
def articles(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "support/articles.html",
        {
            "articles": Article.objects.all(),
            "topics": TOPICS,
            "message": flash_of(request),
        },
    )


@staff_page()
def article_edit(request: HttpRequest, slug: str = "") -> HttpResponse:
    article = Article.objects.filter(slug=slug).first() if slug else None
    if slug and article is None:
        raise Http404
    error, preview = None, None
    post = request.POST if request.method == "POST" else None
    if post is not None:
        if post.get("action") == "preview":
            preview = mark_safe(article_html(post.get("body", "")))  # noqa: S308 - no HTML passes the parser
        else:
            try:
                saved = article_save(
                    slug=post.get("slug", ""),
                    topic=post.get("topic", ""),
                    title=post.get("title", ""),
                    body=post.get("body", ""),
                    pages=post.get("pages", ""),
                    published=post.get("published") == "1",
                    actor=request.user.get_username(),
                    article=article,
                )
            except DomainError as refused:
                error = refused
            else:
                return told_then(request, f"/help/manage/{saved.slug}/", "文章已保存")
    return render(
        request,
        "support/article_edit.html",
        {
            "article": article,
            "post": post,
            "error": error,
            "preview": preview,
            "topics": TOPICS,
            "revisions": article.revisions.all()[:50] if article else [],
            "message": flash_of(request),
        },
        status=400 if error else 200,
    )


@staff_page()
def article_revision(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    article = Article.objects.filter(slug=slug).first()
    revision = article.revisions.filter(version=version).first() if article else None
    if revision is None:
        raise Http404
    return render(
        request,
        "support/article_revision.html",
        {
            "article": article,
            "revision": revision,
            "html": mark_safe(article_html(revision.body)),  # noqa: S308 - no HTML passes the parser
        },
    )
