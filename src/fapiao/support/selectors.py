"""Reads of 帮助与支持: the tickets a user may see (their own; a 管理员 also their taxpayer's),
the support desk's queue and figures, and the invoice views granted to support."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from fapiao.core.caller import Caller
from fapiao.core.roles import Role
from fapiao.domain.tickets import OPEN
from fapiao.invoicing.selectors import NotFound
from fapiao.support.models import InvoiceGrant, Ticket, TicketAttachment


def _mine(user: AbstractUser | None, caller: Caller | None) -> Q:
    seen = Q(pk__in=[])
    if user is not None and user.is_authenticated:
        seen |= Q(filed_by=user)
    if caller is not None:
        if Role.ADMIN in caller.roles:
            seen |= Q(taxpayer=caller.taxpayer)
        elif caller.actor.startswith("api:"):  # an API key sees the tickets it filed
            seen |= Q(taxpayer=caller.taxpayer, filer_name=caller.actor)
    return seen


def tickets_of(user: AbstractUser | None, caller: Caller | None) -> QuerySet[Ticket]:
    """The tickets ``user`` (or the API key of ``caller``) may read, newest activity first."""
    return Ticket.objects.filter(_mine(user, caller)).select_related("assignee")


def ticket_of(user: AbstractUser | None, caller: Caller | None, ticket_id: int) -> Ticket:
    """One of those tickets; another's is as unknown as a missing one."""
    found = tickets_of(user, caller).filter(pk=ticket_id).first()
    if found is None:
        raise NotFound("工单不存在", field="ticket")
    return found


def desk_tickets(
    *,
    status: str = "",
    category: str = "",
    assignee: AbstractUser | None = None,
    unassigned: bool = False,
    query: str = "",
) -> QuerySet[Ticket]:
    """The support desk's queue, filtered; open tickets first, oldest activity first."""
    found = Ticket.objects.select_related("assignee", "taxpayer")
    if status == "open":
        found = found.filter(status__in=[s.value for s in OPEN])
    elif status:
        found = found.filter(status=status)
    if category:
        found = found.filter(category=category)
    if assignee is not None:
        found = found.filter(assignee=assignee)
    if unassigned:
        found = found.filter(assignee=None)
    if query.strip():
        words = query.strip()[:50]
        found = found.filter(
            Q(subject__icontains=words)
            | Q(filer_name__icontains=words)
            | Q(messages__body__icontains=words)
        ).distinct()
    return found.order_by("resolved_at", "updated_at", "pk")


def desk_ticket(ticket_id: int) -> Ticket:
    found = Ticket.objects.select_related("assignee", "taxpayer").filter(pk=ticket_id).first()
    if found is None:
        raise NotFound("工单不存在", field="ticket")
    return found


def attachment_of(ticket: Ticket, attachment_id: int) -> TicketAttachment:
    found = TicketAttachment.objects.filter(ticket=ticket, pk=attachment_id).first()
    if found is None:
        raise NotFound("附件不存在", field="attachment")
    return found


def grants_active(ticket: Ticket, *, now: datetime | None = None) -> QuerySet[InvoiceGrant]:
    now = now or timezone.now()
    return ticket.grants.filter(revoked_at=None, expires_at__gt=now).select_related("invoice")


def grant_of(ticket: Ticket, grant_id: int, *, now: datetime | None = None) -> InvoiceGrant:
    """A view of an invoice the ticket's filer granted and that is still open."""
    found = grants_active(ticket, now=now).filter(pk=grant_id).first()
    if found is None:
        raise NotFound("授权不存在或已过期", field="grant")
    return found


@dataclass(frozen=True)
class DeskFigures:
    open: int
    unassigned: int
    first_response: timedelta | None
    resolution: timedelta | None
    rating: float | None
    rated: int


def desk_figures(*, since: datetime | None = None) -> DeskFigures:
    """The queue's size and the desk's averages over the tickets filed ``since`` (30 days)."""
    since = since or timezone.now() - timedelta(days=30)
    rows = Ticket.objects.filter(created_at__gte=since).values_list(
        "created_at", "first_response_at", "resolved_at", "rating"
    )
    firsts = [first - made for made, first, _solved, _rating in rows if first]
    solved = [done - made for made, _first, done, _rating in rows if done]
    ratings = [rating for *_times, rating in rows if rating]
    opened = Ticket.objects.filter(status__in=[s.value for s in OPEN])
    return DeskFigures(
        open=opened.count(),
        unassigned=opened.filter(assignee=None).count(),
        first_response=sum(firsts, timedelta()) / len(firsts) if firsts else None,
        resolution=sum(solved, timedelta()) / len(solved) if solved else None,
        rating=sum(ratings) / len(ratings) if ratings else None,
        rated=len(ratings),
    )
