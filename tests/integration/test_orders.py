"""扫码开票: the seller's order (lines fixed, checked as an invoice), the buyer's page without an
account, one order one invoice whatever the buyer does (reload, a second phone, two at once),
the tax id checked, the link refused once cancelled or expired, the API and the command."""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from fapiao.api.keys import apikey_create
from fapiao.core.roles import Role
from fapiao.invoicing.models import Event, Invoice
from fapiao.orders.models import Order
from fapiao.orders.services import OrderRefused, order_claim, order_create, order_open
from tests.integration.world import make_world, signed_in

pytestmark = pytest.mark.django_db(transaction=True)
LINES = [
    {
        "name": "设备维修",
        "tax_code": "2020000000000000000",
        "rate": "13%",
        "quantity": "2",
        "unit_price": "56.5",
    }
]


def _order(world: Any, no: str = "A-1", kinds: tuple[str, ...] = ("DIGITAL_ORDINARY",)) -> Any:
    return order_create(
        taxpayer=world.taxpayer,
        channel=world.digital,
        order_no=no,
        lines=LINES,
        kinds=list(kinds),
        actor="kaipiao",
    )


def test_the_buyer_gets_one_invoice_by_e_mail_whatever_they_do() -> None:
    world = make_world(credit=Decimal("100000.00"))
    made = _order(world)
    assert made.order.total == Decimal("113.00")
    buyer = Client(HTTP_HOST="localhost")  # no account
    page = buyer.get(f"/o/{made.token}/").content.decode()
    assert "113.00" in page and world.taxpayer.name in page
    bad = buyer.post(
        f"/o/{made.token}/",
        {
            "type": "company",
            "name": "某某公司",
            "tax_id": "91320200MA1N0C5E2X",
            "email": "b@example.cn",
        },
    ).content.decode()
    assert "校验位不正确" in bad and 'data-field="buyer.tax_id"' in bad
    assert Invoice.objects.count() == 0
    done = buyer.post(
        f"/o/{made.token}/",
        {
            "type": "company",
            "name": "某某公司",
            "tax_id": "91320200MA1N0C5E24",
            "email": "b@example.cn",
        },
    )
    assert done.status_code == 302 and done["Location"].startswith("/d/")
    invoice = Invoice.objects.get()
    assert (invoice.buyer_name, invoice.buyer_email, invoice.total) == (
        "某某公司",
        "b@example.cn",
        Decimal("113.00"),
    )
    assert invoice.request_id == f"order-{made.order.pk}"
    assert Event.objects.filter(type="delivery.queued", invoice=invoice).exists()
    # a reload, another phone with another 抬头: the same invoice
    again = buyer.post(
        f"/o/{made.token}/", {"type": "personal", "name": "张三", "email": "z@example.cn"}
    )
    assert again.status_code == 302
    assert "已开具发票" in buyer.get(f"/o/{made.token}/").content.decode()
    assert Invoice.objects.count() == 1
    assert Event.objects.filter(type="order.claimed").count() == 1


@pytest.mark.skipif(
    "sqlite" in connection.settings_dict["ENGINE"], reason="SQLite writes one at a time anyway"
)
def test_two_phones_at_once_issue_one_invoice() -> None:
    world = make_world(credit=Decimal("100000.00"))
    made = _order(world)
    results: list[Any] = []

    def claim(name: str) -> None:
        try:
            order = order_open(made.token)
            results.append(order_claim(order=order, answer={"name": name, "email": "a@b.cn"}).pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(f"买家{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and len(results) == 4
    assert Invoice.objects.count() == 1


def test_personal_buyers_get_no_special_invoice_and_dead_links_are_refused() -> None:
    world = make_world(credit=Decimal("100000.00"))
    made = _order(world, kinds=("DIGITAL_ORDINARY", "DIGITAL_SPECIAL"))
    with pytest.raises(OrderRefused, match="个人不能开具专用发票"):
        order_claim(
            order=made.order,
            answer={"name": "张三", "email": "z@example.cn", "kind": "DIGITAL_SPECIAL"},
        )
    with pytest.raises(OrderRefused):  # the kinds on offer only
        order_claim(
            order=made.order,
            answer={"name": "张三", "email": "z@example.cn", "kind": "VAT_SPECIAL_PAPER"},
        )
    with pytest.raises(Exception, match="电子邮箱"):
        order_claim(order=made.order, answer={"name": "张三", "email": "not-mail"})
    Order.objects.filter(pk=made.order.pk).update(expires_at=timezone.now() - timedelta(1))
    page = Client(HTTP_HOST="localhost").get(f"/o/{made.token}/")
    assert page.status_code == 404 and "已过期" in page.content.decode()
    assert Client(HTTP_HOST="localhost").get("/o/not-a-token/").status_code == 404
    with pytest.raises(OrderRefused) as taken:
        _order(world, no="A-1")
    assert taken.value.field == "order_no"
    with pytest.raises(Exception, match="税率"):  # the seller's lines are checked as an invoice
        order_create(
            taxpayer=world.taxpayer,
            channel=world.digital,
            order_no="B",
            lines=[{**LINES[0], "rate": "7%"}],
            kinds=["DIGITAL_ORDINARY"],
            actor="kaipiao",
        )


def test_the_seller_makes_orders_on_the_page_by_api_and_command(tmp_path: Path) -> None:
    world = make_world(credit=Decimal("100000.00"))
    clerk = signed_in(world, Role.ISSUER, "kaipiao")
    made = clerk.post(
        "/orders/",
        {
            "order_no": "P-1",
            "channel": str(world.digital.pk),
            "kinds": ["DIGITAL_ORDINARY"],
            "mode": "inclusive",
            "line0.name": "设备维修",
            "line0.tax_code": "2020000000000000000",
            "line0.amount": "113",
            "line0.rate": "13%",
            "days": "7",
        },
    )
    text = made.content.decode()
    assert "只显示这一次" in text and "/o/" in text
    token = text.split("/o/", 1)[1].split("/", 1)[0]
    assert Client(HTTP_HOST="localhost").get(f"/o/{token}/qr.png")["Content-Type"] == "image/png"
    order = Order.objects.get(order_no="P-1")
    relinked = clerk.post(f"/orders/{order.pk}/", {"action": "relink"}).content.decode()
    new_token = relinked.split("/o/", 1)[1].split("/", 1)[0]
    assert Client(HTTP_HOST="localhost").get(f"/o/{token}/").status_code == 404  # the old one
    assert Client(HTTP_HOST="localhost").get(f"/o/{new_token}/").status_code == 200

    key = apikey_create(taxpayer=world.taxpayer, name="shop", role=Role.ISSUER, actor="admin")
    api = Client(HTTP_HOST="localhost")
    posted = api.post(
        "/api/v1/orders",
        data=json.dumps(
            {"order_no": "API-1", "channel": "数电", "kinds": ["DIGITAL_ORDINARY"], "lines": LINES}
        ),
        content_type="application/json",
        HTTP_X_API_KEY=key.plaintext,
    )
    assert posted.status_code == 201 and posted.json()["url"].endswith(
        f"/o/{posted.json()['token']}/"
    )
    path = tmp_path / "order.json"
    path.write_text(
        json.dumps({"order_no": "CLI-1", "kinds": ["DIGITAL_ORDINARY"], "lines": LINES}), "utf-8"
    )
    out = io.StringIO()
    call_command("order", "create", "--file", str(path), "--channel", "数电", "--json", stdout=out)
    assert json.loads(out.getvalue())["url"]
    out = io.StringIO()
    call_command("order", "list", "--json", stdout=out)
    assert {o["order_no"] for o in json.loads(out.getvalue())["orders"]} == {
        "P-1",
        "API-1",
        "CLI-1",
    }
    assert Event.objects.filter(type="order.created").count() == 3
