"""红字信息表 (税控 专票) and 确认单 (数电): raised, confirmed by the other party, lapsed after
72 hours, cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from fapiao.authority.client import Unreachable, authority_client
from fapiao.core.clock import local_date
from fapiao.domain.errors import Text
from fapiao.domain.invoice import validate_draft
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.kinds import RedForm as FormType
from fapiao.domain.lifecycle import RedReason
from fapiao.domain.rates import TaxpayerKind
from fapiao.domain.red import (
    Pick,
    info_table_number,
)
from fapiao.invoicing.corrections import (
    CONFIRMATION_WINDOW,
    LAPSED_MESSAGE,
    OPEN_FORMS,
    PARTY_LABELS,
    UNREACHABLE_MESSAGE,
    CorrectionRefused,
    fresh,
    set_status,
)
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Invoice, RedForm, RedFormStatus, Taxpayer
from fapiao.invoicing.red_lines import form_line, plan, red_draft
from fapiao.invoicing.statements import counter_next
from fapiao.jobs.services import periodic


def _confirmation_number(taxpayer: Taxpayer, year: int) -> str:
    """The platform numbers every 确认单 (unique nationwide): asked of the authority."""
    try:
        return authority_client().confirmation_number(
            tax_id=taxpayer.tax_id, name=taxpayer.name, region=taxpayer.region, year=year
        )
    except Unreachable:
        raise CorrectionRefused(UNREACHABLE_MESSAGE, field="blue") from None


def red_form_create(
    *,
    blue: Invoice,
    reason: RedReason,
    raised_by: str,
    actor: str,
    picks: Sequence[Pick] | None = None,
    buyer_booked: bool = False,
    now: datetime | None = None,
) -> RedForm:
    """Raise a 红字信息表 (税控 专票) or 确认单 (数电) for ``blue``.

    A 信息表 is numbered and usable at once. A 确认单 is usable at once unless the buyer has
    already confirmed or booked the blue invoice (``buyer_booked``); then the other party must
    confirm it within 72 hours or it lapses.
    """
    now = now or timezone.now()
    if raised_by not in PARTY_LABELS:
        raise CorrectionRefused("提出方应为销售方或购买方", field="raised_by")
    form_type = spec(InvoiceKind(blue.kind)).red_form
    if form_type is FormType.NONE:
        raise CorrectionRefused(
            Text("{0}无需红字信息表，可直接开具红字发票", spec(InvoiceKind(blue.kind)).name),
            field="blue",
        )
    red_forms_lapse(now=now, blue=blue)
    with transaction.atomic():
        locked, blue = fresh(blue)
        inputs, indices, _ = plan(locked, blue, reason=reason, picks=picks, with_forms=True)
        draft = red_draft(blue, inputs, "", "")
        totals = validate_draft(draft, taxpayer_kind=TaxpayerKind(locked.kind)).totals
        if form_type is FormType.INFO_TABLE:
            number = info_table_number(
                blue.channel.device_number, counter_next(locked, f"info:{blue.channel_id}")
            )
            status, expires = RedFormStatus.CONFIRMED, None
        else:
            number = _confirmation_number(locked, local_date(now).year)
            pending = buyer_booked
            status = RedFormStatus.PENDING if pending else RedFormStatus.CONFIRMED
            expires = now + CONFIRMATION_WINDOW if pending else None
        form = RedForm.objects.create(
            taxpayer=locked,
            blue=blue,
            type=form_type,
            number=number,
            reason=reason.value,
            raised_by=raised_by,
            status=status,
            lines=[form_line(item, index) for item, index in zip(inputs, indices, strict=True)],
            amount=totals.amount,
            tax=totals.tax,
            total=totals.amount + totals.tax,
            created_at=now,
            expires_at=expires,
        )
        event_append(
            taxpayer=locked,
            type="red_form.created",
            actor=actor,
            at=now,
            invoice=blue,
            red_form=form,
            payload={
                "form": number,
                "form_status": status.value,
                "blue": str(blue),
                "reason": reason.value,
                "raised_by": raised_by,
                "total": str(form.total),
            },
        )
        return form


def _fresh_form(form: RedForm) -> tuple[Taxpayer, RedForm]:
    locked = taxpayer_lock(form.taxpayer_id)
    return locked, RedForm.objects.select_related("blue").get(pk=form.pk)


def red_forms_lapse(
    *, now: datetime | None = None, blue: Invoice | None = None, form: RedForm | None = None
) -> int:
    """Lapse the 确认单 left unconfirmed past their 72 hours: those of ``blue`` or ``form`` only
    (what a request touches, so that it takes no other taxpayer's lock), or every one (the
    worker's round); returns how many."""
    now = now or timezone.now()
    count = 0
    due = RedForm.objects.filter(status=RedFormStatus.PENDING, expires_at__lte=now)
    if blue is not None:
        due = due.filter(blue=blue)
    if form is not None:
        due = due.filter(pk=form.pk)
    for pk, taxpayer_id in due.values_list("pk", "taxpayer_id"):
        with transaction.atomic():
            locked = taxpayer_lock(taxpayer_id)
            form = RedForm.objects.get(pk=pk)
            if form.status == RedFormStatus.PENDING:
                set_status(
                    locked,
                    form,
                    RedFormStatus.LAPSED,
                    type="red_form.lapsed",
                    actor="system",
                    at=now,
                )
                count += 1
    return count


@periodic
def red_forms_round() -> int:
    """The worker's round: every 确认单 past its 72 hours lapses."""
    return red_forms_lapse()


def red_form_confirm(
    *, form: RedForm, party: str, accept: bool, actor: str, now: datetime | None = None
) -> RedForm:
    """The other party confirms (or rejects) a pending 确认单 within its 72 hours."""
    now = now or timezone.now()
    red_forms_lapse(now=now, form=form)
    with transaction.atomic():
        locked, form = _fresh_form(form)
        if form.status == RedFormStatus.LAPSED:
            raise CorrectionRefused(LAPSED_MESSAGE, field="form")
        if form.status != RedFormStatus.PENDING:
            raise CorrectionRefused(
                Text("确认单状态为{0}，无需确认", RedFormStatus(form.status).label), field="form"
            )
        if party == form.raised_by or party not in PARTY_LABELS:
            raise CorrectionRefused(
                Text("确认单由{0}提出，须由对方确认", PARTY_LABELS[form.raised_by]), field="party"
            )
        status = RedFormStatus.CONFIRMED if accept else RedFormStatus.REJECTED
        return set_status(
            locked,
            form,
            status,
            type="red_form.confirmed" if accept else "red_form.rejected",
            actor=actor,
            at=now,
            party=party,
        )


@transaction.atomic
def red_form_cancel(*, form: RedForm, actor: str, now: datetime | None = None) -> RedForm:
    """Withdraw a form that no red invoice used yet."""
    locked, form = _fresh_form(form)
    if form.status not in OPEN_FORMS:
        raise CorrectionRefused(
            Text("状态为{0}的信息表/确认单不能撤销", RedFormStatus(form.status).label), field="form"
        )
    return set_status(
        locked,
        form,
        RedFormStatus.CANCELLED,
        type="red_form.cancelled",
        actor=actor,
        at=now or timezone.now(),
    )
