"""扫码开票's reads, scoped to the taxpayer."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fapiao.invoicing.models import Taxpayer
from fapiao.invoicing.selectors import NotFound
from fapiao.orders.models import Order

STATUS_LABELS = {"open": "待开票", "issued": "已开票", "cancelled": "已取消"}


def orders_of(taxpayer: Taxpayer, *, status: str = "") -> QuerySet[Order]:
    found = Order.objects.filter(taxpayer=taxpayer).select_related("invoice", "channel")
    if status:
        found = found.filter(status=status)
    return found.order_by("-created_at", "-pk")


def order_get(taxpayer: Taxpayer, pk: int) -> Order:
    found = orders_of(taxpayer).filter(pk=pk).first()
    if found is None:
        raise NotFound("订单不存在", field="id")
    return found


def order_as_dict(order: Order) -> dict[str, Any]:
    invoice = order.invoice
    return {
        "id": order.pk,
        "order_no": order.order_no,
        "status": order.status,
        "status_label": STATUS_LABELS.get(order.status, order.status),
        "channel": order.channel.name,
        "kinds": order.kinds,
        "mode": order.mode,
        "lines": order.lines,
        "remarks": order.remarks,
        "amount": f"{order.amount:.2f}",
        "tax": f"{order.tax:.2f}",
        "total": f"{order.total:.2f}",
        "expires_at": order.expires_at.isoformat(),
        "created_by": order.created_by,
        "created_at": order.created_at.isoformat(),
        "buyer_email": order.buyer_email,
        "issued_at": order.issued_at.isoformat() if order.issued_at else None,
        "invoice": None
        if invoice is None
        else {"id": invoice.pk, "code": invoice.code, "number": invoice.number},
    }
