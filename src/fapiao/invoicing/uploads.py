"""报送: the durable upload outbox, its worker and the offline backlog (reconciliation is
:mod:`fapiao.invoicing.reconciliation`).

Issuing, red-letter and void each write an :class:`Upload` row in their own transaction (so a
committed change is never forgotten and a rolled-back one never sent). :func:`upload_flush`
sends each taxpayer's rows in sequence order through the authority client; the authority
answers each by sequence (a replay gets the same answer), and only its signed receipt makes an
invoice 已上传. While rows wait, the device's offline limits apply (DOMAIN §7).
"""

from __future__ import annotations

import base64
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from fapiao.authority.client import AuthorityClient, Unreachable, authority_client
from fapiao.core import fastsql
from fapiao.core.roles import Role
from fapiao.core.signing import signed_answer_valid
from fapiao.domain import channels as channel_rules
from fapiao.domain.errors import DomainError
from fapiao.domain.lifecycle import Action, Status, can, next_status
from fapiao.invoicing.accounts import members_with
from fapiao.invoicing.anchoring import anchor_heads, anchored_on
from fapiao.invoicing.ledger import (
    EventItem,
    events_append,
    invoice_content,
)
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Channel, Invoice, Monitoring, Taxpayer, Upload, UploadLease
from fapiao.jobs.services import periodic
from fapiao.notices.services import notice_send_all

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
RETRY_MAX = timedelta(minutes=5)


def upload_enqueue(locked: Taxpayer, invoice: Invoice, *, at: datetime, voided: bool) -> None:
    """Queue what the authority must learn of ``invoice`` after the event just appended; the
    caller holds the taxpayer's lock, so sequences follow commit order."""
    uploads_enqueue(locked, [(invoice, locked.ledger_sequence)], at=at, voided=voided)


def uploads_enqueue(
    locked: Taxpayer, items: list[tuple[Invoice, int]], *, at: datetime, voided: bool
) -> None:
    """:func:`upload_enqueue` for many invoices of one channel, each after its event (the
    sequence given with it)."""
    rows, waiting = [], Decimal(0)
    for invoice, sequence in items:
        amount = Decimal(0) if voided or invoice.red else invoice.amount
        rows.append(
            Upload(
                taxpayer_id=locked.pk,
                sequence=sequence,
                invoice_id=invoice.pk,
                channel_id=invoice.channel_id,
                issued_at=invoice.issued_at,
                amount=amount,
                voided=voided,
                created_at=at,
            )
        )
        waiting += max(amount, Decimal(0))
    fastsql.insert(rows, keys=False)
    if waiting > 0:
        _waiting_add(items[0][0].channel_id, waiting)


def _waiting_add(channel_id: int, amount: Decimal) -> None:
    table = connection.ops.quote_name(Channel._meta.db_table)
    fastsql.execute(
        f"UPDATE {table} SET waiting_amount = waiting_amount + %s WHERE id = %s",  # noqa: S608
        [connection.ops.adapt_decimalfield_value(amount, 18, 2), channel_id],
    )


@dataclass(frozen=True)
class DeviceState:
    """What decides whether a device may issue a kind now (DOMAIN §7): its 监控数据 of the
    kind (None when it has none), the issue time of its oldest invoice still waiting for
    upload (an index lookup), and the positive amount waiting (kept on the channel)."""

    monitoring: channel_rules.Monitoring | None
    oldest_waiting: datetime | None
    waiting_amount: Decimal


def device_state(channel_id: int, kind: str) -> DeviceState:
    """The :class:`DeviceState` of a channel and kind, in one statement."""
    quote = connection.ops.quote_name
    uploads, channels = quote(Upload._meta.db_table), quote(Channel._meta.db_table)
    monitoring = quote(Monitoring._meta.db_table)
    rows = fastsql.query(
        f"SELECT m.lock_date, m.single_limit, m.offline_hours, m.offline_amount, "  # noqa: S608
        f"(SELECT issued_at FROM {uploads} WHERE channel_id = c.id AND answered_at IS NULL "
        "ORDER BY issued_at LIMIT 1), c.waiting_amount "
        f"FROM {channels} c LEFT JOIN {monitoring} m ON m.channel_id = c.id AND m.kind = %s "
        "WHERE c.id = %s",
        [kind, channel_id],
    )
    field = Monitoring._meta.get_field
    lock_date, single_limit, hours, offline_amount, oldest, waiting = fastsql.converted(
        [field("lock_date"), field("single_limit"), field("offline_hours"),
         field("offline_amount"), Upload._meta.get_field("issued_at"),
         Channel._meta.get_field("waiting_amount")],
        rows[0],
    )  # fmt: skip
    limits = None
    if lock_date is not None:
        limits = channel_rules.Monitoring(lock_date, single_limit, hours, offline_amount)
    if oldest is None:
        return DeviceState(limits, None, Decimal(0))
    return DeviceState(limits, oldest, waiting)


# --- the worker side ---------------------------------------------------------------------------


@dataclass
class Flushed:
    sent: int = 0
    accepted: int = 0
    refused: int = 0
    unreachable: list[str] = field(default_factory=list)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def _lease(taxpayer_id: int, now: datetime, *, force: bool = False) -> bool:
    """Take the taxpayer's upload lease (one worker at a time), unless it waits to retry
    (``force`` does not wait)."""
    UploadLease.objects.get_or_create(taxpayer_id=taxpayer_id)
    free = Q(until__isnull=True) | Q(until__lt=now)
    due = Q() if force else Q(retry_at__isnull=True) | Q(retry_at__lte=now)
    return bool(
        UploadLease.objects.filter(free & due, taxpayer_id=taxpayer_id).update(
            holder=_holder(), until=now + LEASE
        )
    )


def _release(
    taxpayer_id: int,
    *,
    error: str = "",
    now: datetime,
    anchored: list[str] | None = None,
    unanchored: str = "",
) -> None:
    """Free the lease; ``anchored`` (what the authority objected to of the heads sent with the
    round) says the heads reached it now, ``unanchored`` why they did not (the uploads were
    answered all the same, so it is no reason to wait)."""
    lease = UploadLease.objects.get(taxpayer_id=taxpayer_id)
    lease.holder, lease.until = "", None
    if anchored is not None:
        anchored_on(lease, anchored, now)
    elif unanchored:
        lease.anchor_error = unanchored[:500]
    if error:
        lease.failures += 1
        lease.retry_at = now + min(timedelta(seconds=2**lease.failures), RETRY_MAX)
        lease.last_error = error[:500]
    else:
        lease.failures, lease.retry_at, lease.last_error = 0, None, ""
    lease.save()


def _message(row: Upload) -> dict[str, Any]:
    invoice = row.invoice
    key = invoice.signing_key
    content = invoice_content(invoice)
    return {
        "sequence": row.sequence,
        "invoice": {
            "content": content,
            "signature": invoice.signature,
            "algorithm": key.algorithm,
            "public_key": base64.b64encode(bytes(key.public_key)).decode(),
        },
        "voided": row.voided,
        "blue": [invoice.blue.code, invoice.blue.number] if invoice.blue_id else None,
        "device": invoice.channel.device_number,
    }


def upload_flush(
    *,
    client: AuthorityClient | None = None,
    now: datetime | None = None,
    batch: int = 0,
    force: bool = False,
    taxpayer: Taxpayer | None = None,
) -> Flushed:
    """Send every taxpayer's waiting uploads, in order, in batches; returns what happened.

    A taxpayer whose authority cannot be reached is left for later (with a growing pause that
    ``force`` skips); the others go on. ``taxpayer`` limits the round to one taxpayer."""
    client = client or authority_client()
    batch = batch or settings.FAPIAO_UPLOAD_BATCH
    result = Flushed()
    waiting = Upload.objects.filter(answered_at__isnull=True)
    if taxpayer is not None:
        waiting = waiting.filter(taxpayer=taxpayer)
    waiting = waiting.values_list("taxpayer_id", flat=True).distinct()
    for taxpayer_id in list(waiting):
        moment = now or timezone.now()
        if not _lease(taxpayer_id, moment, force=force):
            continue
        error, sent, anchored, unanchored = "", result.sent, None, ""
        try:
            try:
                while _flush_batch(taxpayer_id, client, batch, result, now):
                    pass
            except (Unreachable, DomainError) as unreachable:  # whole batch unanswered: wait
                error = _reason(unreachable)
                result.unreachable.append(error)
                log.warning("upload of taxpayer %s waits: %s", taxpayer_id, error)
            if not error and result.sent > sent:  # 存证: the heads go with what was uploaded
                try:
                    anchored = anchor_heads(Taxpayer(pk=taxpayer_id), client)
                except (Unreachable, DomainError) as failed:
                    # the uploads were answered, so the next ones need not wait: the heads go
                    # with them, or with the daily round
                    unanchored = f"存证未送达：{_reason(failed)}"
                    log.warning("anchoring of taxpayer %s failed: %s", taxpayer_id, unanchored)
        finally:
            moment = now or timezone.now()
            _release(taxpayer_id, error=error, now=moment, anchored=anchored, unanchored=unanchored)
    return result


def _reason(error: Exception) -> str:
    return getattr(error, "message", None) or str(error)


def _flush_batch(
    taxpayer_id: int, client: AuthorityClient, batch: int, result: Flushed, now: datetime | None
) -> bool:
    rows = list(
        Upload.objects.filter(taxpayer_id=taxpayer_id, answered_at__isnull=True)
        .select_related("invoice__signing_key", "invoice__blue", "invoice__channel")
        .prefetch_related("invoice__lines")
        .order_by("sequence")[:batch]
    )
    if not rows:
        return False
    taxpayer = Taxpayer.objects.get(pk=taxpayer_id)
    try:
        reply = client.upload(
            tax_id=taxpayer.tax_id, name=taxpayer.name, uploads=[_message(row) for row in rows]
        )
    except (Unreachable, DomainError) as error:
        text = getattr(error, "message", None) or str(error)
        Upload.objects.filter(pk__in=[row.pk for row in rows]).update(last_error=text[:500])
        raise
    key = client.public_key()
    answers = list(reply.get("answers") or [])
    # one verification vouches for the whole batch; failing that, each receipt on its own
    whole = signed_answer_valid(reply, key)
    by_sequence = {
        int(answer["sequence"]): answer
        for answer in answers
        # a receipt that does not verify proves nothing: the row stays waiting
        if whole or not answer.get("accepted") or signed_answer_valid(answer, key)
    }
    sent = result.sent
    _apply(taxpayer_id, rows, by_sequence, now or timezone.now(), result)
    # go on while full batches are answered; rows left unanswered wait for the next round
    return len(rows) == batch and result.sent > sent


def upload_state(taxpayer: Taxpayer | None = None) -> dict[str, Any]:
    """How many uploads wait or were refused, and the last reason the authority was missed."""
    rows = Upload.objects.all() if taxpayer is None else Upload.objects.filter(taxpayer=taxpayer)
    leases = UploadLease.objects.exclude(last_error="")
    if taxpayer is not None:
        leases = leases.filter(taxpayer=taxpayer)
    lease = leases.order_by("-retry_at").first()
    oldest = rows.filter(answered_at__isnull=True).order_by("created_at").first()
    return {
        "waiting": rows.filter(answered_at__isnull=True).count(),
        "refused": rows.filter(accepted=False).count(),
        "oldest_waiting": oldest.created_at.isoformat() if oldest else None,
        "last_error": lease.last_error if lease else "",
        "retry_at": lease.retry_at.isoformat() if lease and lease.retry_at else None,
    }


@periodic
def upload_round() -> int:
    """The worker's round: flush every outbox; how many uploads were answered."""
    return upload_flush().sent


@transaction.atomic
def _apply(
    taxpayer_id: int,
    rows: list[Upload],
    answers: dict[int, dict[str, Any]],
    now: datetime,
    result: Flushed,
) -> None:
    """Record the authority's answers: each row answered, its invoice 已上传 on a receipt, and
    one event per answer, in one transaction and a few statements."""
    locked = taxpayer_lock(taxpayer_id)
    answered: list[Upload] = []
    uploaded: list[int] = []
    events: list[EventItem] = []
    for row in rows:
        answer = answers.get(row.sequence)
        row.attempts += 1
        if answer is None:  # not answered: stays waiting, sent again next time
            row.last_error = "税务机关未答复该上传，或回执签名无效"
            row.save(update_fields=["attempts", "last_error"])
            continue
        result.sent += 1
        row.answered_at, row.answer, row.accepted = now, answer, bool(answer.get("accepted"))
        row.last_error = "" if row.accepted else str(answer.get("error", ""))[:500]
        answered.append(row)
        invoice = row.invoice
        payload: dict[str, Any] = {"number": str(invoice), "upload": row.sequence}
        if not row.accepted:
            result.refused += 1
            payload["error"] = row.last_error
            kind = "invoice.upload_refused"
        else:
            result.accepted += 1
            payload["receipt"] = answer.get("signature", "")
            kind = "invoice.void_uploaded" if row.voided else "invoice.uploaded"
            status = Status(invoice.status)
            if not row.voided and can(status, Action.UPLOAD):
                invoice.status = next_status(status, Action.UPLOAD)
                uploaded.append(invoice.pk)
                payload["status"] = invoice.status
        events.append((kind, "system", now, payload, invoice, None))
    fastsql.update_many(answered, "attempts", "answered_at", "answer", "accepted", "last_error")
    released: dict[int, Decimal] = {}
    for row in answered:
        released[row.channel_id] = released.get(row.channel_id, Decimal(0)) + row.amount
    for channel_id, amount in released.items():
        if amount:
            _waiting_add(channel_id, -amount)
    Invoice.objects.filter(pk__in=uploaded).update(status=Status.UPLOADED)
    events_append(taxpayer=locked, items=events)
    refused = [row for row in answered if not row.accepted]
    if refused:
        _tell_refused(locked, refused, now)


def _tell_refused(taxpayer: Taxpayer, refused: list[Upload], now: datetime) -> None:
    """One notice of the batch's refusals to the taxpayer's 管理员 and 财务."""
    first = refused[0]
    text = f"税务机关拒绝了{len(refused)}条上传，第一条：发票{first.invoice}：{first.last_error}"
    notice_send_all(
        members_with(taxpayer, (Role.ADMIN, Role.FINANCE)), kind="upload", severity="warning",
        subject=f"{len(refused)}条上传被税务机关拒绝", text=text, link="/sync/",
        taxpayer=taxpayer, now=now,
    )  # fmt: skip


# --- reconciliation ----------------------------------------------------------------------------
