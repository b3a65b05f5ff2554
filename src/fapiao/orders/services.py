"""扫码开票's writes: the seller makes an order (its lines fixed, checked as an invoice would be)
with a link and QR code for its buyer; the buyer, without an account, gives the 抬头 and an
e-mail address and gets the invoice issued and mailed. One order, one invoice: the order's row
is locked while it is issued and the invoice's request id is ``order-<id>``, so a reload, a
second phone or a double tap all come back to the same invoice."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from fapiao.core.contacts import check_email
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.kinds import InvoiceKind, parse_kind, spec
from fapiao.domain.taxpayer_id import validate_buyer_id
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.errors import IdempotencyConflict
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Channel, Invoice, Taxpayer
from fapiao.invoicing.services import invoice_issue, invoice_preview
from fapiao.orders.models import Order

#: how long a link stays open by default, and at most (days)
DAYS, DAYS_MAX = 30, 366
#: what stands in for the buyer while the seller's lines are checked for each kind offered
_SOMEONE = {"name": "购买方", "individual": True}
_SOME_COMPANY = {
    "name": "购买方",
    "tax_id": "91320200MA1N0C5E24",
    "address": "地址",
    "phone": "0510-00000000",
    "bank": "开户行",
    "account": "0000",
}


class OrderRefused(DomainError):
    code = "order_refused"


@dataclass(frozen=True)
class Made:
    order: Order
    token: str
    url: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def order_url(token: str) -> str:
    return f"{settings.FAPIAO_SITE_URL.rstrip('/')}/o/{token}/"


def _kinds(channel: Channel, kinds: list[str]) -> list[InvoiceKind]:
    chosen = [parse_kind(kind, field="kinds") for kind in kinds]
    if not chosen:
        raise OrderRefused("请至少选择一种发票种类", field="kinds")
    for kind in chosen:
        if spec(kind).channel.value != channel.type:
            raise OrderRefused(Text("{0}不能通过该开票渠道开具", spec(kind).name), field="kinds")
    return sorted(set(chosen), key=lambda kind: kind.value)


def order_create(
    *,
    taxpayer: Taxpayer,
    channel: Channel,
    order_no: str,
    lines: list[dict[str, Any]],
    kinds: list[str],
    actor: str,
    mode: str = "inclusive",
    remarks: str = "",
    days: int = DAYS,
) -> Made:
    """An order the buyer may invoice themselves; its token is shown once."""
    if channel.taxpayer_id != taxpayer.pk:
        raise OrderRefused("开票渠道不属于该纳税人", field="channel")
    order_no = order_no.strip()
    if not 1 <= len(order_no) <= 64:
        raise OrderRefused("请填写订单号（1至64个字符）", field="order_no")
    if not 1 <= days <= DAYS_MAX:
        raise OrderRefused(Text("链接有效天数应为1至{0}天", DAYS_MAX), field="days")
    chosen = _kinds(channel, kinds)
    computed = None
    for kind in chosen:  # the lines must make an invoice of every kind the buyer may choose
        buyer = _SOME_COMPANY if spec(kind).special else _SOMEONE
        data = {
            "kind": kind.value,
            "mode": mode,
            "buyer": buyer,
            "lines": lines,
            "remarks": remarks,
        }
        _, computed = invoice_preview(taxpayer=taxpayer, channel=channel, draft=parse_draft(data))
    assert computed is not None
    token = secrets.token_urlsafe(24)
    now = timezone.now()
    try:
        with transaction.atomic():
            locked = taxpayer_lock(taxpayer.pk)
            order = Order.objects.create(
                taxpayer=locked,
                channel=channel,
                order_no=order_no,
                token_hash=_hash(token),
                kinds=[kind.value for kind in chosen],
                mode=mode,
                lines=lines,
                remarks=remarks,
                amount=computed.totals.amount,
                tax=computed.totals.tax,
                total=computed.totals.total,
                expires_at=now + timedelta(days=days),
                created_by=actor,
                created_at=now,
            )
            event_append(
                taxpayer=locked,
                type="order.created",
                actor=actor,
                at=now,
                payload={"order": order.pk, "order_no": order_no, "total": f"{order.total:.2f}"},
            )
    except IntegrityError:
        raise OrderRefused(Text("订单号“{0}”已存在", order_no), field="order_no") from None
    return Made(order, token, order_url(token))


def order_relink(*, order: Order, actor: str) -> Made:
    """A new link for an open order (to print again); the old one stops working."""
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        locked = taxpayer_lock(order.taxpayer_id)
        fresh = Order.objects.select_for_update().get(pk=order.pk)
        if fresh.status != "open":
            raise OrderRefused("订单已开具或已取消", field="status")
        fresh.token_hash = _hash(token)
        fresh.save(update_fields=["token_hash"])
        event_append(
            taxpayer=locked,
            type="order.relinked",
            actor=actor,
            at=timezone.now(),
            payload={"order": fresh.pk, "order_no": fresh.order_no},
        )
    return Made(fresh, token, order_url(token))


def order_cancel(*, order: Order, actor: str) -> Order:
    with transaction.atomic():
        locked = taxpayer_lock(order.taxpayer_id)
        fresh = Order.objects.select_for_update().get(pk=order.pk)
        if fresh.status != "open":
            raise OrderRefused("订单已开具或已取消", field="status")
        fresh.status = "cancelled"
        fresh.save(update_fields=["status"])
        event_append(
            taxpayer=locked,
            type="order.cancelled",
            actor=actor,
            at=timezone.now(),
            payload={"order": fresh.pk, "order_no": fresh.order_no},
        )
    return fresh


def order_open(token: str) -> Order:
    """The order of a buyer's link: refused alike when unknown, cancelled or expired (an issued
    order still opens: its buyer comes back for the invoice)."""
    order = (
        Order.objects.select_related("taxpayer", "channel", "invoice")
        .filter(token_hash=_hash(token))
        .first()
    )
    if (
        order is None
        or order.status == "cancelled"
        or (order.status == "open" and order.expires_at <= timezone.now())
    ):
        raise OrderRefused("开票链接无效或已过期，请联系商家", field="token")
    return order


def _buyer(order: Order, answer: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The kind and the buyer the form gives, checked: a company's tax id, the e-mail."""
    company = answer.get("type") == "company"
    name = str(answer.get("name") or "").strip()
    if not name:
        raise OrderRefused("请填写发票抬头（名称）", field="buyer.name")
    email = check_email(str(answer.get("email") or "").strip(), field="buyer.email")
    buyer: dict[str, Any] = {"name": name, "email": email, "individual": not company}
    if company:
        buyer["tax_id"] = validate_buyer_id(str(answer.get("tax_id") or ""), field="buyer.tax_id")
        for key in ("address", "phone", "bank", "account"):
            buyer[key] = str(answer.get(key) or "").strip()
    kind = str(answer.get("kind") or order.kinds[0])
    if kind not in order.kinds:
        raise OrderRefused("请选择商家提供的发票种类", field="kind")
    if spec(InvoiceKind(kind)).special and not company:
        raise OrderRefused("个人不能开具专用发票，请选择普通发票", field="kind")
    return kind, buyer


def order_claim(*, order: Order, answer: dict[str, Any]) -> Invoice:
    """Issue the order's invoice to the buyer the form names, e-mailed to them; an order
    already issued answers with its invoice, whatever is asked again."""
    if order.status == "issued" and order.invoice is not None:
        return order.invoice
    kind, buyer = _buyer(order, answer)
    data = {
        "kind": kind,
        "mode": order.mode,
        "buyer": buyer,
        "lines": order.lines,
        "remarks": order.remarks,
        "drawer": "扫码开票",
    }
    try:
        return _claim(order, data, buyer["email"])
    except IdempotencyConflict:
        # another phone issued it meanwhile, with another 抬头 (a database that does not lock
        # the order's row, SQLite, lets both reach issuing): the first one stands
        issued = Order.objects.get(pk=order.pk).invoice
        if issued is None:
            raise
        return issued


def _claim(order: Order, data: dict[str, Any], email: str) -> Invoice:
    with transaction.atomic():
        fresh = Order.objects.select_for_update().get(pk=order.pk)
        if fresh.status == "issued" and fresh.invoice_id is not None:
            return Invoice.objects.get(pk=fresh.invoice_id)
        if fresh.status != "open":
            raise OrderRefused("开票链接无效或已过期，请联系商家", field="token")
        invoice = invoice_issue(
            taxpayer=fresh.taxpayer,
            channel=fresh.channel,
            draft=parse_draft(data),
            request_id=f"order-{fresh.pk}",
            actor="buyer",
        )
        fresh.status, fresh.invoice, fresh.buyer_email = "issued", invoice, email
        fresh.issued_at = timezone.now()
        fresh.save(update_fields=["status", "invoice", "buyer_email", "issued_at"])
        event_append(
            taxpayer=taxpayer_lock(fresh.taxpayer_id),
            type="order.claimed",
            actor="buyer",
            at=fresh.issued_at,
            invoice=invoice,
            payload={"order": fresh.pk, "order_no": fresh.order_no, "number": str(invoice)},
        )
    return invoice
