"""在线客服 / 意见反馈: filing a ticket, the conversation, its statuses, routing to support staff,
ratings, and the time-limited view of one invoice a user grants support. Every write is audited
and tells the other side (the notice centre's channels of 个人设置: e-mail, SMS)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from fapiao.core.roles import SUPPORT
from fapiao.domain.errors import Text
from fapiao.domain.tickets import (
    ATTACHMENT_MAX,
    ATTACHMENTS_PER_MESSAGE,
    CATEGORIES,
    CLOSE_AFTER,
    OPEN,
    STATUS_LABELS,
    SUBJECT_MAX,
    Status,
    TicketRefused,
    after_reply,
    attachment_check,
    category_check,
    rating_check,
    staff_move,
    text_check,
    user_may_close,
)
from fapiao.invoicing.accounts import support_role
from fapiao.invoicing.models import Taxpayer
from fapiao.jobs.services import periodic
from fapiao.notices.services import notice_send
from fapiao.security.audit import audit_append
from fapiao.support.models import Ticket, TicketAttachment, TicketMessage

#: the largest picture (in pixels) an attachment may be
PICTURE_PIXELS_MAX = 40_000_000


@dataclass(frozen=True)
class Upload:
    """A file as an interface received it: its name and at most ``ATTACHMENT_MAX + 1`` bytes
    (one more than allowed tells an oversized file) and its full size."""

    name: str
    content: bytes
    size: int


def staff_members() -> list[AbstractUser]:
    model = get_user_model()
    return list(
        model.objects.filter(memberships__taxpayer=None, memberships__role__in=SUPPORT).order_by(
            "username"
        )
    )


def _route(category: str) -> AbstractUser | None:
    """The category's staff member with the fewest open tickets (by name on a tie)."""
    staff = (
        get_user_model()
        .objects.filter(routingrule__category=category)
        .annotate(
            load=Count(
                "tickets_assigned", filter=Q(tickets_assigned__status__in=[s.value for s in OPEN])
            )
        )
        .order_by("load", "username")
    )
    return staff.first()


def _picture_check(upload: Upload) -> None:
    from PIL import Image, UnidentifiedImageError

    label = upload.name[:40]
    try:
        with Image.open(io.BytesIO(upload.content)) as picture:
            if picture.width * picture.height > PICTURE_PIXELS_MAX:
                raise TicketRefused(Text("图片“{0}”尺寸过大", label), field="attachments")
            picture.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise TicketRefused(Text("附件“{0}”不是有效的图片", label), field="attachments") from None


def _checked(uploads: Sequence[Upload]) -> list[tuple[Upload, str]]:
    if len(uploads) > ATTACHMENTS_PER_MESSAGE:
        raise TicketRefused(
            Text("每次最多上传{0}个附件", ATTACHMENTS_PER_MESSAGE), field="attachments"
        )
    checked = []
    for upload in uploads:
        size = max(upload.size, len(upload.content))
        kind = attachment_check(upload.name, upload.content[:512], size)
        if len(upload.content) > ATTACHMENT_MAX:  # never stored, whatever the size said
            raise TicketRefused(Text("附件“{0}”过大", upload.name[:40]), field="attachments")
        if kind.picture:
            _picture_check(upload)
        checked.append((upload, kind.content_type))
    return checked


def _attach(
    checked: list[tuple[Upload, str]],
    *,
    ticket: Ticket,
    message: TicketMessage,
    actor: str,
    at: datetime,
) -> None:
    for upload, content_type in checked:
        TicketAttachment.objects.create(
            ticket=ticket,
            message=message,
            name=upload.name,
            content_type=content_type,
            size=len(upload.content),
            sha256=hashlib.sha256(upload.content).hexdigest(),
            content=upload.content,
            uploaded_by=actor,
            at=at,
        )


def _tell(user: AbstractUser | None, ticket: Ticket, what: str) -> None:
    if user is not None and user.is_active:
        notice_send(
            user,
            kind="ticket",
            subject=f"工单#{ticket.pk}：{ticket.subject}"[:120],
            text=f"{what}\n工单#{ticket.pk}“{ticket.subject}”",
            link=(
                f"/support/tickets/{ticket.pk}/"
                if support_role(user)
                else f"/help/tickets/{ticket.pk}/"
            ),
            taxpayer=ticket.taxpayer,
        )


def ticket_file(
    *,
    user: AbstractUser | None,
    taxpayer: Taxpayer | None,
    actor: str,
    category: str,
    subject: str,
    description: str,
    page: str = "",
    uploads: Sequence[Upload] = (),
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Ticket:
    """File a ticket from ``page``: routed by its category, its staff member told."""
    category_check(category)
    subject = text_check(subject, field="subject", label="标题", limit=SUBJECT_MAX)
    description = text_check(description, field="description", label="问题描述")
    checked = _checked(uploads)
    now = now or timezone.now()
    with transaction.atomic():
        assignee = _route(category)
        ticket = Ticket.objects.create(
            taxpayer=taxpayer,
            filed_by=user,
            filer_name=actor,
            category=category,
            subject=subject,
            page=page.strip()[:300],
            assignee=assignee,
            status=Status.IN_PROGRESS if assignee else Status.PENDING,
            created_at=now,
            updated_at=now,
        )
        message = TicketMessage.objects.create(
            ticket=ticket, author=user, author_name=actor, body=description, at=now
        )
        _attach(checked, ticket=ticket, message=message, actor=actor, at=now)
        audit_append(
            "ticket.filed",
            actor=actor,
            taxpayer=taxpayer,
            request=request,
            at=now,
            payload={
                "ticket": ticket.pk,
                "category": category,
                "assignee": assignee.get_username() if assignee else None,
                "attachments": len(checked),
            },
        )
        for staff in [assignee] if assignee else staff_members():
            _tell(staff, ticket, f"新工单（{CATEGORIES[category]}）：{subject}")
    return ticket


def ticket_reply(
    *,
    ticket: Ticket,
    user: AbstractUser | None,
    actor: str,
    body: str,
    staff: bool,
    uploads: Sequence[Upload] = (),
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> TicketMessage:
    """A reply on the ticket's conversation; support's first one stamps the first response."""
    body = text_check(body, field="body", label="回复内容")
    checked = _checked(uploads)
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        before = Status(ticket.status)
        if staff and ticket.assignee_id is None:
            ticket.assignee = user
        ticket.status = after_reply(before, by_staff=staff, assigned=ticket.assignee_id is not None)
        if staff and ticket.first_response_at is None:
            ticket.first_response_at = now
        if not staff and before in (Status.SOLVED, Status.CLOSED):  # the user reopens it
            ticket.resolved_at = ticket.closed_at = None
        ticket.updated_at = now
        ticket.save()
        message = TicketMessage.objects.create(
            ticket=ticket, author=user, author_name=actor, by_staff=staff, body=body, at=now
        )
        _attach(checked, ticket=ticket, message=message, actor=actor, at=now)
        audit_append(
            "ticket.replied",
            actor=actor,
            taxpayer=ticket.taxpayer,
            request=request,
            at=now,
            payload={
                "ticket": ticket.pk,
                "staff": staff,
                "from": before.value,
                "to": ticket.status,
                "attachments": len(checked),
            },
        )
        if staff:
            _tell(ticket.filed_by, ticket, f"客服回复了您的工单：{body[:200]}")
        else:
            recipients = [ticket.assignee] if ticket.assignee else staff_members()
            for member in recipients:
                _tell(member, ticket, f"用户回复了工单：{body[:200]}")
    return message


def _stamp(ticket: Ticket, status: Status, now: datetime) -> None:
    ticket.status = status
    if status == Status.SOLVED and ticket.resolved_at is None:
        ticket.resolved_at = now
    if status == Status.CLOSED and ticket.closed_at is None:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    if status in OPEN:
        ticket.resolved_at = ticket.closed_at = None
    ticket.updated_at = now


def ticket_move(
    *,
    ticket: Ticket,
    status: str,
    actor: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Support sets the ticket's status (处理中, 待用户回复, 已解决, 已关闭, or reopens it)."""
    try:
        wanted = Status(status)
    except ValueError:
        raise TicketRefused("工单状态不正确", field="status") from None
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        before = Status(ticket.status)
        _stamp(ticket, staff_move(before, wanted), now)
        ticket.save()
        audit_append(
            "ticket.status",
            actor=actor,
            taxpayer=ticket.taxpayer,
            request=request,
            at=now,
            payload={"ticket": ticket.pk, "from": before.value, "to": wanted.value},
        )
        if wanted != before:
            _tell(
                ticket.filed_by,
                ticket,
                f"工单状态改为“{STATUS_LABELS[wanted]}”"
                + ("，欢迎为本次服务评价" if wanted == Status.SOLVED else ""),
            )
    return ticket


def ticket_close(*, ticket: Ticket, actor: str, request: HttpRequest | None = None) -> Ticket:
    """The user closes their own ticket (the question answered or no longer needed)."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if not user_may_close(Status(ticket.status)):
            raise TicketRefused("工单已关闭", field="status")
        before = ticket.status
        _stamp(ticket, Status.CLOSED, timezone.now())
        ticket.save()
        audit_append(
            "ticket.status",
            actor=actor,
            taxpayer=ticket.taxpayer,
            request=request,
            payload={"ticket": ticket.pk, "from": before, "to": ticket.status},
        )
    return ticket


def ticket_assign(
    *,
    ticket: Ticket,
    assignee: AbstractUser | None,
    actor: str,
    request: HttpRequest | None = None,
) -> Ticket:
    if assignee is not None and support_role(assignee) is None:
        raise TicketRefused("只能分派给客服人员", field="assignee")
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        before = ticket.assignee.get_username() if ticket.assignee else None
        ticket.assignee = assignee
        if assignee is not None and ticket.status == Status.PENDING:
            ticket.status = Status.IN_PROGRESS
        ticket.updated_at = timezone.now()
        ticket.save()
        audit_append(
            "ticket.assigned",
            actor=actor,
            taxpayer=ticket.taxpayer,
            request=request,
            payload={
                "ticket": ticket.pk,
                "from": before,
                "to": assignee.get_username() if assignee else None,
            },
        )
        if assignee is not None:
            _tell(assignee, ticket, f"{actor}把工单分派给您")
    return ticket


def ticket_rate(
    *, ticket: Ticket, rating: int, note: str, actor: str, request: HttpRequest | None = None
) -> Ticket:
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        ticket.rating = rating_check(Status(ticket.status), rating)
        ticket.rating_note = note.strip()[:500]
        ticket.save(update_fields=["rating", "rating_note"])
        audit_append(
            "ticket.rated",
            actor=actor,
            taxpayer=ticket.taxpayer,
            request=request,
            payload={"ticket": ticket.pk, "rating": rating},
        )
    return ticket


@periodic
def tickets_close_solved(now: datetime | None = None) -> int:
    """Close the tickets solved more than a week ago that nobody reopened."""
    now = now or timezone.now()
    closed = 0
    for ticket in Ticket.objects.filter(status=Status.SOLVED, resolved_at__lt=now - CLOSE_AFTER):
        with transaction.atomic():
            _stamp(ticket, Status.CLOSED, now)
            ticket.save()
            audit_append(
                "ticket.status",
                actor="system",
                taxpayer=ticket.taxpayer,
                at=now,
                payload={"ticket": ticket.pk, "from": "solved", "to": "closed"},
            )
        closed += 1
    return closed
