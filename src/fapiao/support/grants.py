"""Who answers what: the routing rules of the categories, and the time-limited view of one
invoice that a ticket's filer grants support (support sees no invoice otherwise)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from fapiao.core.roles import READ
from fapiao.domain.errors import Text
from fapiao.domain.tickets import TicketRefused, category_check
from fapiao.invoicing.accounts import roles_of, support_role
from fapiao.invoicing.models import Invoice
from fapiao.security.audit import audit_append
from fapiao.support.models import InvoiceGrant, RoutingRule, Ticket, TicketMessage

#: how long a user may let support see an invoice
GRANT_HOURS_MAX = 7 * 24


@transaction.atomic
def routing_set(
    *,
    category: str,
    assignees: Sequence[AbstractUser],
    actor: str,
    request: HttpRequest | None = None,
) -> list[str]:
    """The staff members a category's tickets go to (replacing the category's rules)."""
    category_check(category)
    for member in assignees:
        if support_role(member) is None:
            raise TicketRefused(Text("{0}不是客服人员", member.get_username()), field="assignees")
    rules = RoutingRule.objects.filter(category=category)
    before = sorted(rules.values_list("assignee__username", flat=True))
    rules.delete()
    now = timezone.now()
    for member in assignees:
        RoutingRule.objects.get_or_create(
            category=category, assignee=member, defaults={"created_at": now, "created_by": actor}
        )
    after = sorted({member.get_username() for member in assignees})
    audit_append(
        "routing.changed",
        actor=actor,
        request=request,
        payload={"category": category, "before": before, "after": after},
    )
    return after


def grant_invoice(
    *,
    ticket: Ticket,
    user: AbstractUser,
    number: str,
    hours: int,
    actor: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> InvoiceGrant:
    """The ticket's filer lets support see one invoice of the ticket's taxpayer for ``hours``."""
    if ticket.filed_by_id != user.pk or ticket.taxpayer is None:
        raise TicketRefused("只有提交工单的用户可以授权查看发票", field="invoice")
    if not roles_of(user, ticket.taxpayer) & READ:
        raise TicketRefused("您没有查看本企业发票的权限，不能授权", field="invoice")
    if hours not in range(1, GRANT_HOURS_MAX + 1):
        raise TicketRefused(Text("授权时长应为1到{0}小时", GRANT_HOURS_MAX), field="hours")
    invoice = Invoice.objects.filter(taxpayer=ticket.taxpayer, number=number.strip()).first()
    if invoice is None:
        raise TicketRefused(Text("本企业没有号码为{0}的发票", number.strip()[:20]), field="invoice")
    now = now or timezone.now()
    with transaction.atomic():
        grant = InvoiceGrant.objects.create(
            ticket=ticket,
            invoice=invoice,
            granted_by=actor,
            granted_at=now,
            expires_at=now + timedelta(hours=hours),
        )
        until = timezone.localtime(grant.expires_at)
        TicketMessage.objects.create(
            ticket=ticket,
            author=user,
            author_name=actor,
            at=now,
            body=f"已授权客服查看发票{invoice.number}，有效至{until:%Y-%m-%d %H:%M}",
        )
        audit_append(
            "ticket.grant",
            actor=actor,
            taxpayer=ticket.taxpayer,
            request=request,
            at=now,
            payload={"ticket": ticket.pk, "invoice": invoice.number, "hours": hours},
        )
    return grant


def grant_revoke(*, grant: InvoiceGrant, actor: str, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        updated = InvoiceGrant.objects.filter(pk=grant.pk, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        if updated:
            audit_append(
                "ticket.grant_revoked",
                actor=actor,
                taxpayer=grant.ticket.taxpayer,
                request=request,
                payload={"ticket": grant.ticket_id, "invoice": grant.invoice.number},
            )


def members_of(usernames: Sequence[str]) -> list[AbstractUser]:
    found = list(get_user_model().objects.filter(username__in=list(usernames)))
    missing = set(usernames) - {u.get_username() for u in found}
    if missing:
        raise TicketRefused(Text("用户{0}不存在", "、".join(sorted(missing))), field="assignees")
    return found
