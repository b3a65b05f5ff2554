"""What a red invoice or form may take from its blue invoice: the lines left to red-letter,
the draft of the red invoice, the blue's status afterwards (DOMAIN §6)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from fapiao.domain.invoice import Draft, Party
from fapiao.domain.kinds import InvoiceKind
from fapiao.domain.lifecycle import Action, RedReason, Status, check_red, next_status
from fapiao.domain.money import parse_money, parse_price
from fapiao.domain.rates import parse_rate
from fapiao.domain.red import (
    Pick,
    Used,
    red_inputs,
)
from fapiao.domain.tax import Line, LineInput
from fapiao.invoicing.corrections import OPEN_FORMS, CorrectionRefused
from fapiao.invoicing.models import Invoice, InvoiceLine, RedForm, Taxpayer


def blue_lines(blue: Invoice) -> list[Line]:
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


def form_line(item: LineInput, blue_index: int) -> dict[str, Any]:
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


def line_input(data: dict[str, Any]) -> LineInput:
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


def used_lines(
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
        for form in open_forms(blue, except_form):
            for item in form.lines:
                quantity = None if item["quantity"] is None else Decimal(item["quantity"])
                add(item["blue_index"], Decimal(item["amount"]), Decimal(item["tax"]), quantity)
    return {index: Used(*sums) for index, sums in taken.items()}


def already_red(blue: Invoice, *, with_forms: bool, except_form: RedForm | None) -> Decimal:
    """Positive 价税合计 already red-flushed (and reserved by open forms, when asked)."""
    total = -sum((red.total for red in blue.reds.all()), Decimal(0))
    if with_forms:
        total -= sum((form.total for form in open_forms(blue, except_form)), Decimal(0))
    return total


def open_forms(blue: Invoice, except_form: RedForm | None) -> Any:
    """The blue's forms not yet used, cancelled, rejected or lapsed: they reserve their amount."""
    forms = RedForm.objects.filter(blue=blue, status__in=OPEN_FORMS)
    return forms.exclude(pk=except_form.pk) if except_form is not None else forms


def red_draft(blue: Invoice, inputs: Sequence[LineInput], remarks: str, drawer: str) -> Draft:
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


def plan(
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
    used = used_lines(blue, with_forms=with_forms, except_form=except_form)
    pairs = red_inputs(blue_lines(blue), picks=picks, used=used)
    inputs = [item for _, item in pairs]
    status = status_after(blue, inputs, reason, with_forms=with_forms, except_form=except_form)
    return inputs, [index for index, _ in pairs], status


def status_after(
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
        already_red=already_red(blue, with_forms=with_forms, except_form=except_form),
        requested=requested,
        reason=reason,
    )
