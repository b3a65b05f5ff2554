"""The red invoice of a blue one: from its confirmed form where the kind needs one, else from
the lines picked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone

from fapiao.core.clock import local_date
from fapiao.domain.errors import Text
from fapiao.domain.invoice import validate_draft
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.kinds import RedForm as FormType
from fapiao.domain.lifecycle import RedReason
from fapiao.domain.rates import TaxpayerKind
from fapiao.domain.red import (
    Pick,
    red_remarks,
)
from fapiao.invoicing.corrections import CorrectionRefused, set_status
from fapiao.invoicing.ledger import digest
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Invoice, RedForm, RedFormStatus, Taxpayer
from fapiao.invoicing.red_forms import red_forms_lapse
from fapiao.invoicing.red_lines import line_input, plan, red_draft, status_after
from fapiao.invoicing.services import check_channel, idempotent, with_numbers
from fapiao.invoicing.staging import invoice_store


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
        red_forms_lapse(now=now, form=form)
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
            inputs = [line_input(item) for item in current.lines]
            indices = [item["blue_index"] for item in current.lines]
            why = RedReason(current.reason)
            status = status_after(fresh, inputs, why, with_forms=False, except_form=current)
        else:
            current, why = None, reason  # type: ignore[assignment]
            inputs, indices, status = plan(locked, fresh, reason=why, picks=picks, with_forms=True)
        remarks = red_remarks(
            blue_code=fresh.code,
            blue_number=fresh.number,
            form_number=current.number if current else "",
            digital=spec(kind).digital,
        )
        draft = red_draft(fresh, inputs, remarks, drawer)
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
        set_status(
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
            set_status(
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
