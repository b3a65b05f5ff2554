"""The audit page's rows: the audit log (sign-ins, roles, keys, exports, preferences) and the
taxpayer's history (issues, voids, reds, deliveries, the period close, settings, catalogs) as
one list, newest first, each row who, when, from where and what."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import CharField, F, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce

from fapiao.invoicing.models import Event, Membership, Taxpayer
from fapiao.security.audit import LABELS as AUDIT_TYPES
from fapiao.security.models import AuditEvent

COLUMNS = ("when", "kind", "who", "place", "agent", "details", "invoice_ref", "source")


def _typed(prefixes: tuple[str, ...]) -> Q:
    found = Q()
    for prefix in prefixes:
        found |= Q(type__startswith=prefix)
    return found


def activity_of(
    taxpayer: Taxpayer,
    *,
    prefixes: tuple[str, ...] = (),
    actor: str = "",
    start: date | None = None,
    end: date | None = None,
) -> QuerySet[Any]:
    """Both logs' entries for ``taxpayer`` (its own, and its members' sign-ins), filtered."""
    members = Membership.objects.filter(taxpayer=taxpayer).values("user__username")
    audit = AuditEvent.objects.filter(
        Q(taxpayer=taxpayer) | Q(taxpayer__isnull=True, actor__in=members)
    )
    # what both logs record (a role granted) is shown once, from the audit log
    history = Event.objects.filter(taxpayer=taxpayer).exclude(type__in=list(AUDIT_TYPES))
    wanted = Q()
    if prefixes:
        wanted &= _typed(prefixes)
    if actor:
        wanted &= Q(actor__icontains=actor)
    if start:
        wanted &= Q(at__date__gte=start)
    if end:
        wanted &= Q(at__date__lte=end)
    text = CharField()
    audit_rows = audit.filter(wanted).annotate(
        when=F("at"), kind=F("type"), who=F("actor"),
        place=Coalesce(Cast("ip", text), Value(""), output_field=text), agent=F("user_agent"),
        details=F("payload"), invoice_ref=Value(None, output_field=IntegerField()),
        source=Value("audit", output_field=text),
    )  # fmt: skip
    history_rows = history.filter(wanted).annotate(
        when=F("at"), kind=F("type"), who=F("actor"), place=F("client"),
        agent=F("user_agent"), details=F("payload"),
        invoice_ref=F("invoice_id"), source=Value("history", output_field=text),
    )  # fmt: skip
    plain = [rows.order_by().values(*COLUMNS) for rows in (audit_rows, history_rows)]
    return plain[0].union(plain[1], all=True)
