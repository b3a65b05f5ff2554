"""What happens to an invoice after it is issued: print, deliver, void, red-letter forms and red
invoices (DOMAIN §6). Each service is one transaction under the taxpayer's lock with its event;
a refusal raises before anything is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from fapiao.authority.client import Unreachable, authority_client
from fapiao.core.clock import local_date
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.invoice import Draft, Party, validate_draft
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.kinds import RedForm as FormType
from fapiao.domain.lifecycle import Action, RedReason, Status, check_red, check_void, next_status
from fapiao.domain.money import parse_money, parse_price
from fapiao.domain.rates import TaxpayerKind, parse_rate
from fapiao.domain.red import (
    Pick,
    Used,
    info_table_number,
    red_inputs,
    red_remarks,
)
from fapiao.domain.tax import Line, LineInput
from fapiao.invoicing.ledger import digest, event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Invoice, InvoiceLine, RedForm, RedFormStatus, Taxpayer
from fapiao.invoicing.services import (
    check_channel,
    counter_next,
    idempotent,
    invoice_store,
    with_numbers,
)
from fapiao.invoicing.uploads import upload_enqueue

#: A 数电 确认单 the other party must confirm lapses when unconfirmed this long (DOMAIN §6).
CONFIRMATION_WINDOW = timedelta(hours=72)
OPEN_FORMS = (RedFormStatus.PENDING, RedFormStatus.CONFIRMED)


class CorrectionRefused(DomainError):
    code = "correction_refused"


UNREACHABLE_MESSAGE = "暂时无法连接税务机关，确认单未能提交，请稍后再试"


SELLER, BUYER = "seller", "buyer"
PARTY_LABELS = {SELLER: "销售方", BUYER: "购买方"}


def _fresh(invoice: Invoice) -> tuple[Taxpayer, Invoice]:
    """The taxpayer locked and the invoice as stored now."""
    locked = taxpayer_lock(invoice.taxpayer_id)
    return locked, Invoice.objects.select_related("channel").get(pk=invoice.pk)


def _set_status(
    locked: Taxpayer,
    row: Invoice | RedForm,
    status: Status | RedFormStatus,
    *,
    type: str,
    actor: str,
    at: datetime,
    **payload: Any,
) -> Any:
    """Move an invoice or a red form to ``status``, with the event that records it."""
    row.status = status
    row.save(update_fields=["status"])
    form = row if isinstance(row, RedForm) else None
    event_append(
        taxpayer=locked,
        type=type,
        actor=actor,
        at=at,
        invoice=None if form else row,  # type: ignore[arg-type]
        red_form=form,
        payload={"form": row.number, "form_status": status.value, **payload}
        if form
        else {"number": str(row), "status": status.value, **payload},
    )
    return row


@transaction.atomic
def invoice_mark(
    *, invoice: Invoice, action: Action, actor: str, detail: str = "", now: datetime | None = None
) -> Invoice:
    """Record that the invoice was printed or delivered (again); the status never goes back."""
    if action not in (Action.PRINT, Action.DELIVER):
        raise CorrectionRefused("只能标记为已打印或已交付", field="action")
    locked, invoice = _fresh(invoice)
    status = next_status(Status(invoice.status), action)
    return _set_status(
        locked,
        invoice,
        status,
        type=f"invoice.{'printed' if action is Action.PRINT else 'delivered'}",
        actor=actor,
        at=now or timezone.now(),
        detail=detail,
    )


@transaction.atomic
def invoice_void(
    *, invoice: Invoice, actor: str, reason: str = "", now: datetime | None = None
) -> Invoice:
    """作废: paper 专票/普票 of this calendar month, before the month's 抄报; irreversible."""
    now = now or timezone.now()
    locked, invoice = _fresh(invoice)
    reported = invoice.channel.reported_through
    status = check_void(
        kind=InvoiceKind(invoice.kind),
        status=Status(invoice.status),
        issued_on=invoice.issued_on,
        today=local_date(now),
        month_reported=reported is not None and reported >= invoice.issued_on,
    )
    if invoice.red:
        raise CorrectionRefused("红字发票不能作废", field="status")
    _set_status(locked, invoice, status, type="invoice.voided", actor=actor, at=now, reason=reason)
    upload_enqueue(locked, invoice, at=now, voided=True)
    return invoice


# --- red letter ---------------------------------------------------------------------------


def _blue_lines(blue: Invoice) -> list[Line]:
    return [
        Line(
            line.name,
            line.short_name,
            line.tax_code,
            line.spec,
            line.unit,
            line.quantity,
            line.unit_price,
            line.amount,
            parse_rate(line.rate),
            line.tax,
            line.discount,
        )
        for line in blue.lines.order_by("index")
    ]


def _form_line(item: LineInput, blue_index: int) -> dict[str, Any]:
    return {
        "blue_index": blue_index,
        "name": item.name,
        "short_name": item.short_name,
        "tax_code": item.tax_code,
        "spec": item.spec,
        "unit": item.unit,
        "rate": item.rate.key,
        "amount": str(item.amount),
        "tax": str(item.tax),
        "quantity": None if item.quantity is None else str(item.quantity),
        "unit_price": None if item.unit_price is None else str(item.unit_price),
    }


def _line_input(data: dict[str, Any]) -> LineInput:
    def price(name: str) -> Decimal | None:
        value = data[name]
        return None if value is None else parse_price(value, field=name, label=name)

    return LineInput(
        name=data["name"],
        rate=parse_rate(data["rate"]),
        amount=parse_money(data["amount"], field="amount", label="金额"),
        quantity=price("quantity"),
        unit_price=price("unit_price"),
        tax=parse_money(data["tax"], field="tax", label="税额"),
        tax_code=data["tax_code"],
        short_name=data["short_name"],
        spec=data["spec"],
        unit=data["unit"],
    )


def _used(
    blue: Invoice, *, with_forms: bool, except_form: RedForm | None = None
) -> dict[int, Used]:
    """What earlier reds (and, when asked, open forms) took from each blue line."""
    taken: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)

    def add(index: int, amount: Decimal, tax: Decimal, quantity: Decimal | None) -> None:
        sums = taken[index]
        sums[0] -= amount
        sums[1] -= tax
        sums[2] -= quantity or 0

    reds = InvoiceLine.objects.filter(invoice__blue=blue, blue_index__isnull=False)
    for line in reds:
        add(line.blue_index, line.amount, line.tax, line.quantity)  # type: ignore[arg-type]
    if with_forms:
        for form in _open_forms(blue, except_form):
            for item in form.lines:
                quantity = None if item["quantity"] is None else Decimal(item["quantity"])
                add(item["blue_index"], Decimal(item["amount"]), Decimal(item["tax"]), quantity)
    return {index: Used(*sums) for index, sums in taken.items()}


def _already_red(blue: Invoice, *, with_forms: bool, except_form: RedForm | None) -> Decimal:
    """Positive 价税合计 already red-flushed (and reserved by open forms, when asked)."""
    total = -sum((red.total for red in blue.reds.all()), Decimal(0))
    if with_forms:
        total -= sum((form.total for form in _open_forms(blue, except_form)), Decimal(0))
    return total


def _open_forms(blue: Invoice, except_form: RedForm | None) -> Any:
    """The blue's forms not yet used, cancelled, rejected or lapsed: they reserve their amount."""
    forms = RedForm.objects.filter(blue=blue, status__in=OPEN_FORMS)
    return forms.exclude(pk=except_form.pk) if except_form is not None else forms


def _red_draft(blue: Invoice, inputs: Sequence[LineInput], remarks: str, drawer: str) -> Draft:
    return Draft(
        kind=InvoiceKind(blue.kind),
        seller=Party(**blue.seller),
        buyer=Party(**blue.buyer),
        lines=tuple(inputs),
        remarks=remarks,
        payee=blue.payee,
        reviewer=blue.reviewer,
        drawer=drawer or blue.drawer,
        red=True,
    )


def _plan(
    locked: Taxpayer,
    blue: Invoice,
    *,
    reason: RedReason,
    picks: Sequence[Pick] | None,
    with_forms: bool,
    except_form: RedForm | None = None,
) -> tuple[list[LineInput], list[int], Status]:
    """The red lines for ``picks`` (or all that is left), their blue lines and the blue's
    status once they are issued; refuses what DOMAIN §6 forbids."""
    if blue.taxpayer_id != locked.pk:
        raise CorrectionRefused("发票不属于该纳税人", field="blue")
    if blue.red:
        raise CorrectionRefused("红字发票不能再红冲", field="blue")
    next_status(Status(blue.status), Action.RED_PARTIAL)  # refuses a voided or fully red one
    used = _used(blue, with_forms=with_forms, except_form=except_form)
    pairs = red_inputs(_blue_lines(blue), picks=picks, used=used)
    inputs = [item for _, item in pairs]
    status = _status_after(blue, inputs, reason, with_forms=with_forms, except_form=except_form)
    return inputs, [index for index, _ in pairs], status


def _status_after(
    blue: Invoice,
    inputs: Sequence[LineInput],
    reason: RedReason,
    *,
    with_forms: bool,
    except_form: RedForm | None,
) -> Status:
    """The blue's status once ``inputs`` are red-flushed; refuses going beyond the blue."""
    requested = -sum((item.amount + item.tax for item in inputs), Decimal(0))  # type: ignore[operator]
    return check_red(
        status=Status(blue.status),
        is_red=blue.red,
        blue_total=blue.total,
        already_red=_already_red(blue, with_forms=with_forms, except_form=except_form),
        requested=requested,
        reason=reason,
    )


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
    red_forms_lapse(now=now)
    with transaction.atomic():
        locked, blue = _fresh(blue)
        inputs, indices, _ = _plan(locked, blue, reason=reason, picks=picks, with_forms=True)
        draft = _red_draft(blue, inputs, "", "")
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
            lines=[_form_line(item, index) for item, index in zip(inputs, indices, strict=True)],
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


def _confirmation_number(taxpayer: Taxpayer, year: int) -> str:
    """The platform numbers every 确认单 (unique nationwide): asked of the authority."""
    try:
        return authority_client().confirmation_number(
            tax_id=taxpayer.tax_id, name=taxpayer.name, region=taxpayer.region, year=year
        )
    except Unreachable:
        raise CorrectionRefused(UNREACHABLE_MESSAGE, field="blue") from None


def _fresh_form(form: RedForm) -> tuple[Taxpayer, RedForm]:
    locked = taxpayer_lock(form.taxpayer_id)
    return locked, RedForm.objects.select_related("blue").get(pk=form.pk)


def red_forms_lapse(*, now: datetime | None = None) -> int:
    """Lapse every 确认单 left unconfirmed past its 72 hours; returns how many."""
    now = now or timezone.now()
    count = 0
    due = RedForm.objects.filter(status=RedFormStatus.PENDING, expires_at__lte=now)
    for pk, taxpayer_id in due.values_list("pk", "taxpayer_id"):
        with transaction.atomic():
            locked = taxpayer_lock(taxpayer_id)
            form = RedForm.objects.get(pk=pk)
            if form.status == RedFormStatus.PENDING:
                _set_status(
                    locked,
                    form,
                    RedFormStatus.LAPSED,
                    type="red_form.lapsed",
                    actor="system",
                    at=now,
                )
                count += 1
    return count


def red_form_confirm(
    *, form: RedForm, party: str, accept: bool, actor: str, now: datetime | None = None
) -> RedForm:
    """The other party confirms (or rejects) a pending 确认单 within its 72 hours."""
    now = now or timezone.now()
    red_forms_lapse(now=now)
    with transaction.atomic():
        locked, form = _fresh_form(form)
        if form.status == RedFormStatus.LAPSED:
            raise CorrectionRefused("确认单超过72小时未确认，已自动作废", field="form")
        if form.status != RedFormStatus.PENDING:
            raise CorrectionRefused(
                Text("确认单状态为{0}，无需确认", RedFormStatus(form.status).label), field="form"
            )
        if party == form.raised_by or party not in PARTY_LABELS:
            raise CorrectionRefused(
                Text("确认单由{0}提出，须由对方确认", PARTY_LABELS[form.raised_by]), field="party"
            )
        status = RedFormStatus.CONFIRMED if accept else RedFormStatus.REJECTED
        return _set_status(
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
    return _set_status(
        locked,
        form,
        RedFormStatus.CANCELLED,
        type="red_form.cancelled",
        actor=actor,
        at=now or timezone.now(),
    )


def invoice_issue_red(
    *,
    blue: Invoice,
    actor: str,
    reason: RedReason | None = None,
    picks: Sequence[Pick] | None = None,
    form: RedForm | None = None,
    request_id: str | None = None,
    drawer: str = "",
    now: datetime | None = None,
) -> Invoice:
    """Issue the red invoice of ``blue``: from its confirmed form where the kind needs one,
    else from ``picks`` (all that is left when None) with ``reason``. Never beyond the blue."""
    now = now or timezone.now()
    kind = InvoiceKind(blue.kind)
    needs_form = spec(kind).red_form is not FormType.NONE
    if needs_form:
        if form is None:
            label = "红字发票信息表" if spec(kind).red_form is FormType.INFO_TABLE else "红字确认单"
            raise CorrectionRefused(Text("{0}须先开具{1}", spec(kind).name, label), field="form")
        red_forms_lapse(now=now)
    elif form is not None:
        raise CorrectionRefused(Text("{0}无需红字信息表", spec(kind).name), field="form")
    elif reason is None:
        raise CorrectionRefused("请选择红冲原因", field="reason")
    content = digest(
        {
            "blue": blue.pk,
            "form": form.pk if form else None,
            "reason": reason,
            "picks": [(p.index, p.quantity, p.amount) for p in picks or ()] or None,
        }
    )

    def body(locked: Taxpayer) -> Invoice:
        fresh = Invoice.objects.select_related("channel").get(pk=blue.pk)
        if form is not None:
            current = RedForm.objects.get(pk=form.pk)
            if current.blue_id != fresh.pk:
                raise CorrectionRefused("信息表/确认单不属于该蓝字发票", field="form")
            if current.status != RedFormStatus.CONFIRMED:
                raise CorrectionRefused(
                    Text(
                        "信息表/确认单状态为{0}，不能开具红字发票",
                        RedFormStatus(current.status).label,
                    ),
                    field="form",
                )
            inputs = [_line_input(item) for item in current.lines]
            indices = [item["blue_index"] for item in current.lines]
            why = RedReason(current.reason)
            status = _status_after(fresh, inputs, why, with_forms=False, except_form=current)
        else:
            current, why = None, reason  # type: ignore[assignment]
            inputs, indices, status = _plan(locked, fresh, reason=why, picks=picks, with_forms=True)
        remarks = red_remarks(
            blue_code=fresh.code,
            blue_number=fresh.number,
            form_number=current.number if current else "",
            digital=spec(kind).digital,
        )
        draft = _red_draft(fresh, inputs, remarks, drawer)
        computed = validate_draft(draft, taxpayer_kind=TaxpayerKind(locked.kind))
        check_channel(
            channel=fresh.channel, kind=kind, amount=computed.totals.amount, issued_at=now
        )
        red = invoice_store(
            taxpayer=locked,
            channel=fresh.channel,
            draft=draft,
            computed=computed,
            issued_at=now,
            actor=actor,
            content=content,
            request_id=request_id,
            blue=fresh,
            red_reason=why.value,
            red_form=current,
            blue_indices=indices,
        )
        _set_status(
            locked,
            fresh,
            status,
            type="invoice.red_flushed",
            actor=actor,
            at=now,
            red=str(red),
            total=str(red.total),
        )
        if current is not None:
            _set_status(
                locked,
                current,
                RedFormStatus.USED,
                type="red_form.used",
                actor=actor,
                at=now,
                red=str(red),
            )
        return red

    return with_numbers(
        blue.channel, local_date(now).year, actor,
        lambda: idempotent(
            blue.taxpayer, request_id, content, lambda: body(taxpayer_lock(blue.taxpayer_id))
        ),
    )  # fmt: skip
