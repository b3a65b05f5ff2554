"""Issuing: a blue invoice from a draft, idempotent on its request id, and its preview.

Numbers are allocated under a row lock on the taxpayer inside the issuing transaction, so two
issuers never get the same number and a failed or killed transaction leaves no gap. The
invoice is made before the lock and written under it (:mod:`fapiao.invoicing.staging`);
taxpayers, channels and stock are :mod:`fapiao.invoicing.taxpayers`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from fapiao.core import fastsql
from fapiao.core.clock import local_date
from fapiao.domain import channels as channel_rules
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.invoice import Draft, validate_draft
from fapiao.domain.kinds import ChannelType, InvoiceKind, spec
from fapiao.domain.rates import TaxpayerKind
from fapiao.domain.tax import Computed
from fapiao.domain.taxpayer_id import BadCheckDigit
from fapiao.invoicing.drafts import DraftInput, seller_of
from fapiao.invoicing.errors import (
    FUTURE_MESSAGE,
    NO_MONITORING_MESSAGE,
    REQUEST_ID_MAX,
    BadRequestId,
    IdempotencyConflict,
    IssueRefused,
)
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock_later
from fapiao.invoicing.models import (
    Channel,
    Invoice,
    Taxpayer,
)
from fapiao.invoicing.numbers import NumbersUsedUp, digital_numbers_refill
from fapiao.invoicing.selectors import credit_used
from fapiao.invoicing.staging import (
    Staged,
    allocate_later,
    lines_write_early,
    restage,
    stage,
    store_staged,
)
from fapiao.invoicing.uploads import DeviceState, device_state
from fapiao.jobs.services import job_enqueue
from fapiao.security.audit import audit_append


def check_channel(
    *,
    channel: Channel,
    kind: InvoiceKind,
    amount: Decimal,
    issued_at: datetime,
    used: Decimal | None = None,
    state: DeviceState | None = None,
) -> None:
    """Refuse what the channel may not issue now: wrong kind, lock date, limits, credit. The
    month's credit ``used`` and the device's ``state`` are read unless the caller knows them
    (a batch keeps them as it issues)."""
    if spec(kind).channel.value != channel.type:
        raise IssueRefused(Text("{0}不能通过该开票渠道开具", spec(kind).name), field="channel")
    if channel.type == ChannelType.DIGITAL:
        if channel.monthly_credit is not None:
            month = local_date(issued_at).replace(day=1)
            channel_rules.check_credit(
                credit=channel.monthly_credit,
                used=credit_used(channel, month) if used is None else used,
                amount=amount,
            )
        return
    state = state or device_state(channel.pk, kind)
    if state.monitoring is None:
        raise IssueRefused(NO_MONITORING_MESSAGE, field="kind")
    channel_rules.check_device(
        state.monitoring,
        amount=amount,
        today=local_date(issued_at),
        oldest_unuploaded=state.oldest_waiting,
        unuploaded_amount=state.waiting_amount,
        now=issued_at,
    )


def invoice_issue(
    *,
    taxpayer: Taxpayer,
    channel: Channel,
    draft: DraftInput,
    request_id: str | None,
    actor: str,
    issued_at: datetime | None = None,
    now: datetime | None = None,
) -> Invoice:
    """Issue a blue invoice of ``draft``; idempotent on ``request_id``."""
    now = now or timezone.now()
    issued_at = issued_at or now
    if issued_at > now:
        raise IssueRefused(FUTURE_MESSAGE, field="issued_at")
    content = draft.digest(channel.pk)

    def staged(seller: Taxpayer) -> Staged:
        blue = draft.for_seller(seller_of(seller))
        return stage(
            channel=channel,
            draft=blue,
            computed=validate_draft(blue, taxpayer_kind=TaxpayerKind(seller.kind)),
            issued_at=issued_at,
            content=content,
            request_id=request_id,
            contact=(draft.email, draft.mobile),
        )

    # Whatever the lock does not decide is done before it: the draft checked, the invoice and
    # its lines made (on PostgreSQL the lines are even written, in the transaction, before the
    # lock is asked for), so that concurrent issuers of a taxpayer queue only for the number,
    # the signature and the writes. Again under the lock if the profile changed. A refusal is
    # raised under the lock, where a replay of an issued request is recognised.
    try:
        before: Staged | DomainError = staged(taxpayer)
    except DomainError as refused:
        before = refused

    def run() -> Invoice:
        with fastsql.pipeline():
            ours = channel.taxpayer_id == taxpayer.pk
            ready = before if isinstance(before, Staged) and ours else None
            if ready is not None:
                lines_write_early(ready)
            lock = taxpayer_lock_later(taxpayer.pk)
            # asked after the lock, in its round trip: it runs once the lock is granted (never
            # before it, or issuers holding the lock would queue behind the counter's row)
            number = (
                None
                if ready is None
                else allocate_later(
                    taxpayer_id=taxpayer.pk,
                    channel=channel,
                    kind=ready.draft.kind,
                    issued_on=ready.invoice.issued_on,
                )
            )
            locked = lock()
            if not ours:
                raise IssueRefused("开票渠道不属于该纳税人", field="channel")
            if ready is None or number is None:  # the draft was refused before the lock
                raise cast(DomainError, before)
            if ready.draft.seller != seller_of(locked) or locked.kind != taxpayer.kind:
                ready = restage(ready, staged(locked))
            check_channel(
                channel=channel,
                kind=ready.draft.kind,
                amount=ready.computed.totals.amount,
                issued_at=issued_at,
            )
            invoice = store_staged(
                taxpayer=locked, channel=channel, staged=ready, numbered=number(locked),
                actor=actor,
            )  # fmt: skip
        # sent by the worker once this transaction commits, never if it rolls back
        if invoice.buyer_email:
            delivery_enqueue(locked, invoice, method="email", to=invoice.buyer_email, actor=actor)
        return invoice

    try:
        return with_numbers(
            channel, local_date(issued_at).year, actor,
            lambda: idempotent(taxpayer, request_id, content, run),
        )  # fmt: skip
    except BadCheckDigit as refused:
        if refused.field == "buyer.tax_id":
            refusal_record(taxpayer, actor, draft.draft.buyer.tax_id)
        raise


def refusal_record(taxpayer: Taxpayer, actor: str, tax_id: str) -> None:
    """Audit an invoice refused for its buyer's tax id failing the check digit: one typing
    error is nothing, many are what the risk rule ``buyer_id_invalid`` looks for."""
    payload = {"reason": "buyer_id_checksum", "tax_id": tax_id}
    audit_append("invoice.refused", actor=actor, taxpayer=taxpayer, payload=payload)


def with_numbers(channel: Channel, year: int, actor: str, body: Callable[[], Invoice]) -> Invoice:
    """``body`` (which issues on ``channel``), once more after a block of 数电 numbers was
    received if the channel had none left for ``year`` (the worker keeps them ahead, so this
    happens to a new channel or after the authority was unreachable for long)."""
    try:
        return body()
    except NumbersUsedUp:
        digital_numbers_refill(channel, year, actor=actor)
        return body()


def invoice_preview(
    *, taxpayer: Taxpayer, channel: Channel, draft: DraftInput, at: datetime | None = None
) -> tuple[Draft, Computed]:
    """What issuing ``draft`` would give, checked by the same rules, without writing anything."""
    if channel.taxpayer_id != taxpayer.pk:
        raise IssueRefused("开票渠道不属于该纳税人", field="channel")
    blue = draft.for_seller(seller_of(taxpayer))
    computed = validate_draft(blue, taxpayer_kind=TaxpayerKind(taxpayer.kind))
    check_channel(
        channel=channel, kind=blue.kind, amount=computed.totals.amount,
        issued_at=at or timezone.now(),
    )  # fmt: skip
    return blue, computed


def idempotent(
    taxpayer: Taxpayer,
    request_id: str | None,
    content: str,
    body: Callable[[], Invoice],
) -> Invoice:
    """Run ``body`` (which locks the taxpayer) in one transaction, once per ``request_id``: a
    replay returns the first invoice; the same id with other ``content`` is refused."""
    if request_id is not None and not 1 <= len(request_id) <= REQUEST_ID_MAX:
        raise BadRequestId(
            Text("请求号（request_id）应为1至{0}个字符", REQUEST_ID_MAX), field="request_id"
        )
    try:
        with transaction.atomic():
            return body()
    except IntegrityError:
        # the request was issued before (or by a concurrent replay): the unique request_id
        # refused the second invoice and the transaction rolled back; answer with the first
        if request_id is None:
            raise
        return _replay(taxpayer, request_id, content)
    except DomainError:
        # a replay of an issued request answers with its invoice, whatever changed since
        # (stock used up, lock date passed …)
        if request_id is not None and (
            replay := Invoice.objects.filter(taxpayer=taxpayer, request_id=request_id).first()
        ):
            return _replay(taxpayer, request_id, content, replay)
        raise


def _replay(
    taxpayer: Taxpayer, request_id: str, content: str, existing: Invoice | None = None
) -> Invoice:
    existing = existing or Invoice.objects.get(taxpayer=taxpayer, request_id=request_id)
    if existing.content_hash != content:
        raise IdempotencyConflict("该请求号已用于内容不同的开票请求", field="request_id")
    return existing


DELIVERY_METHODS = {"email": "邮件", "sms": "短信"}


def delivery_enqueue(
    locked: Taxpayer, invoice: Invoice, *, method: str, to: str, actor: str, url: str = ""
) -> None:
    """Queue sending the invoice by ``method`` (email, sms) to ``to`` (a text message carries
    the download ``url``), with its event, in the caller's transaction (the taxpayer is
    locked)."""
    payload = {"invoice": invoice.pk, "to": to, "actor": actor}
    if url:
        payload["url"] = url
    job = job_enqueue(f"deliver.{method}", payload)
    event_append(
        taxpayer=locked,
        type="delivery.queued",
        actor=actor,
        at=timezone.now(),
        invoice=invoice,
        payload={"number": str(invoice), "method": method, "to": to, "job": job.pk},
    )
