"""Every page is scoped to the signed-in user's taxpayer: another taxpayer's ids are not found."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import get_resolver

from fapiao.core.roles import Role
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import Invoice
from fapiao.invoicing.services import invoice_issue
from tests.integration.world import SPECIAL_BUYER, make_world

pytestmark = pytest.mark.django_db(transaction=True)


def web_patterns() -> list[str]:
    """The web app's URL patterns that name an invoice."""
    resolver = get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        for inner in getattr(pattern, "url_patterns", []):
            text = str(inner.pattern)
            if "<int:pk>" in text:
                found.append(text)
    return sorted(set(found))


@pytest.mark.parametrize("pattern", web_patterns())
@pytest.mark.parametrize("method", ["get", "post"])
def test_pages_of_another_taxpayer_are_not_found(pattern: str, method: str) -> None:
    a = make_world(credit=None)
    b = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161")
    secret = invoice_issue(
        taxpayer=a.taxpayer, channel=a.device,
        draft=parse_draft({"kind": "VAT_ORDINARY_PAPER", "buyer": SPECIAL_BUYER,
              "lines": [{"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%",
                         "amount": "100"}]}),
        request_id=None, actor="a",
    )  # fmt: skip
    user = user_create(username="b-admin", password="Str0ng#Pass")
    role_grant(user=user, role=Role.ADMIN, taxpayer=b.taxpayer, actor="root")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    values = {"pk": str(secret.pk), "format": "pdf", "action": "void"}
    url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], pattern)
    response = getattr(client, method)(url)
    assert response.status_code in (404, 405), (method, url, response.status_code)
    assert secret.number.encode() not in response.content
    secret.refresh_from_db()
    assert secret.status == "issued"
    assert Invoice.objects.count() == 1
