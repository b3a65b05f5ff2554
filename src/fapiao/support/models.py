"""帮助与支持: the help centre's articles with their history, and tickets with their
conversation, attachments, routing and the invoice views a user grants support."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Article(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    topic = models.CharField(max_length=20)
    title = models.CharField(max_length=80)
    body = models.TextField()  # Markdown
    pages = models.CharField(max_length=500, blank=True)  # addresses whose 帮助 opens it
    published = models.BooleanField(default=True)
    shipped = models.BooleanField(default=False)  # came with the product
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["topic", "title"]


class ArticleRevision(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    topic = models.CharField(max_length=20)
    title = models.CharField(max_length=80)
    body = models.TextField()
    pages = models.CharField(max_length=500, blank=True)
    published = models.BooleanField()
    edited_at = models.DateTimeField()
    edited_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["article", "version"], name="revision_unique")
        ]


class Ticket(models.Model):
    taxpayer = models.ForeignKey(
        "invoicing.Taxpayer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets_filed",
    )
    filer_name = models.CharField(max_length=150)  # the user, or an API key as api:<prefix>
    category = models.CharField(max_length=20)
    subject = models.CharField(max_length=120)
    page = models.CharField(max_length=300, blank=True)  # the address it was filed from
    status = models.CharField(max_length=20, default="pending")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets_assigned",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["status", "updated_at"], name="ticket_queue")]


class TicketMessage(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    author_name = models.CharField(max_length=150)
    by_staff = models.BooleanField(default=False)
    body = models.TextField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]


class TicketAttachment(models.Model):
    """A file of a ticket, kept in the database (out of every web root, in every backup) and
    served only to those who may read the ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        TicketMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    uploaded_by = models.CharField(max_length=150)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]


class RoutingRule(models.Model):
    """Tickets of ``category`` go to ``assignee`` (the one of a category's staff with the
    fewest open tickets)."""

    category = models.CharField(max_length=20)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["category", "assignee__username"]
        constraints = [
            models.UniqueConstraint(fields=["category", "assignee"], name="routing_unique")
        ]


class InvoiceGrant(models.Model):
    """A user letting support see one invoice of theirs, from a ticket, until ``expires_at``."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="grants")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.CASCADE)
    granted_by = models.CharField(max_length=150)
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
