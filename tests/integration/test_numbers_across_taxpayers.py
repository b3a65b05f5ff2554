"""Numbers are unique system-wide: several taxpayers of one region issue and red-letter at once
through the API, and no two invoices or red forms share a number (数电 numbers and 确认单
numbers come from the authority, stock segments too)."""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from stdnum.cn import uscc

from fapiao.api.keys import apikey_create
from fapiao.authority.models import DigitalGrant
from fapiao.core.roles import Role
from fapiao.domain.kinds import ChannelType, DeviceKind, InvoiceKind
from fapiao.domain.rates import TaxpayerKind
from fapiao.invoicing import numbers as number_blocks
from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.models import (
    DigitalBlock,
    Invoice,
    RedForm,
    Taxpayer,
)
from fapiao.invoicing.numbers import digital_numbers_top_up
from fapiao.invoicing.taxpayers import (
    channel_create,
    monitoring_set,
    stock_request,
    taxpayer_create,
)

pytestmark = pytest.mark.django_db(transaction=True)

# three taxpayers in 江苏 (32), two in 湖北 (42)
REGIONS = ["32", "32", "32", "42", "42"]
BUYER = {"name": "江苏苏豪天鹏农产品集团有限公司", "tax_id": "9132020013590404XW"}
LINE = {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "100"}


def _taxpayer(index: int, region: str) -> tuple[Taxpayer, str]:
    body = f"91{region}0100MA1MXY{index:03d}"
    tax_id = body + uscc.calc_check_digit(body)
    taxpayer = taxpayer_create(
        name=f"测试企业{index}有限公司", tax_id=tax_id, kind=TaxpayerKind.GENERAL,
        region=region, actor="admin",
    )  # fmt: skip
    channel_create(taxpayer=taxpayer, type=ChannelType.DIGITAL, name="数电", actor="admin")
    device = channel_create(
        taxpayer=taxpayer, type=ChannelType.DEVICE, name="UKey", actor="admin",
        device_number=f"66180710{index:04d}", device_kind=DeviceKind.UKEY,
    )  # fmt: skip
    kind = InvoiceKind.VAT_ORDINARY_ELECTRONIC
    monitoring_set(
        channel=device, kind=kind, lock_date=date(2099, 1, 15), single_limit=Decimal("99999.99"),
        offline_hours=72, offline_amount=Decimal("1000000.00"), source="测试发行", actor="admin",
    )  # fmt: skip
    stock_request(channel=device, kind=kind, count=40, actor="admin")
    key = apikey_create(taxpayer=taxpayer, name="erp", role=Role.ISSUER, actor="admin")
    return taxpayer, key.plaintext


def _post(client: Client, key: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1{path}", data=json.dumps(body), content_type="application/json",
        HTTP_X_API_KEY=key,
    )  # fmt: skip


def _work(key: str, rounds: int, statuses: list[int], failures: list[str]) -> None:
    client = Client(HTTP_HOST="localhost", raise_request_exception=False)
    try:
        for n in range(rounds):
            kind = "DIGITAL_SPECIAL" if n % 2 else "DIGITAL_ORDINARY"
            draft = {"kind": kind, "channel": "数电", "buyer": BUYER, "lines": [LINE]}
            answers = [_post(client, key, "/invoices", draft)]
            device = {**draft, "kind": "VAT_ORDINARY_ELECTRONIC", "channel": "UKey"}
            answers.append(_post(client, key, "/invoices", device))
            blue = answers[0].json() if answers[0].status_code == 201 else None
            if blue is not None and n % 3 == 0:
                form = _post(client, key, "/red-forms", {"blue": blue["id"], "reason": "开票有误"})
                answers.append(form)
                if form.status_code == 201:
                    red = {"form": form.json()["number"]}
                    answers.append(_post(client, key, f"/invoices/{blue['id']}/red", red))
            if answers[1].status_code == 201 and n % 4 == 0:
                red = {"reason": "销货退回"}
                answers.append(_post(client, key, f"/invoices/{answers[1].json()['id']}/red", red))
            for answer in answers:
                statuses.append(answer.status_code)
                if answer.status_code >= 500 or answer.status_code in (401, 403, 404, 409):
                    failures.append(f"{answer.status_code} {answer.content[:300]!r}")
    finally:
        connection.close()


def test_taxpayers_of_one_region_issue_and_red_letter_at_once_with_unique_numbers(
    settings: Any,
) -> None:
    settings.FAPIAO_DIGITAL_BLOCK = 7  # small blocks: many grants interleave between taxpayers
    keys = [_taxpayer(n, region)[1] for n, region in enumerate(REGIONS, start=1)]
    statuses: list[int] = []
    failures: list[str] = []
    rounds = 9 if connection.vendor == "postgresql" else 6
    threads = [
        threading.Thread(target=_work, args=(key, rounds, statuses, failures))
        for key in keys
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert failures == []
    assert all(200 <= s < 300 or s in (400, 422) for s in statuses), Counter(statuses)
    invoices = list(Invoice.objects.values_list("kind", "code", "number", "red"))
    assert len(invoices) >= len(keys) * 2 * rounds * 2  # every blue issued
    numbers = [(code, number) for _, code, number, _ in invoices]
    assert len(set(numbers)) == len(numbers)
    digital = [number for kind, _, number, _ in invoices if kind.startswith("DIGITAL")]
    assert len({n[5:] for n in digital if n.startswith("26320")}) == len(
        [n for n in digital if n.startswith("26320")]
    )
    assert sum(red for *_, red in invoices) > 0
    forms = list(RedForm.objects.values_list("number", flat=True))
    assert forms and len(set(forms)) == len(forms)
    # every block came from the authority and none overlaps another, whoever holds it
    blocks = sorted(DigitalBlock.objects.values_list("prefix", "first", "last"))
    for (p1, _, last), (p2, first, _) in itertools.pairwise(blocks):
        assert p1 != p2 or last < first
    assert len(blocks) == DigitalGrant.objects.count()
    for taxpayer in Taxpayer.objects.all():
        assert ledger_verify(taxpayer) == []


def test_the_worker_keeps_numbers_ahead_and_issuing_goes_on_without_the_authority(
    settings: Any,
) -> None:
    settings.FAPIAO_DIGITAL_BLOCK = 10
    _, key = _taxpayer(1, "32")
    assert digital_numbers_top_up() == 1  # a new channel gets its first block ahead
    assert digital_numbers_top_up() == 0
    settings.FAPIAO_AUTHORITY_URL = "http://127.0.0.1:9"  # nothing listens there
    client = Client(HTTP_HOST="localhost")
    draft = {"kind": "DIGITAL_ORDINARY", "channel": "数电", "buyer": BUYER, "lines": [LINE]}
    numbers = [_post(client, key, "/invoices", draft).json()["number"] for _ in range(10)]
    assert [int(n[5:]) for n in numbers] == list(range(1, 11))
    assert digital_numbers_top_up() == 0  # the authority cannot be reached: paused
    assert number_blocks._paused_until[0] > 0
    used_up = _post(client, key, "/invoices", draft)
    assert used_up.status_code == 400
    assert used_up.json()["field"] == "channel"
    assert "数电发票号码已用完" in used_up.json()["message"]
    assert Invoice.objects.count() == 10
    settings.FAPIAO_AUTHORITY_URL = ""
    again = _post(client, key, "/invoices", draft)
    assert again.status_code == 201 and int(again.json()["number"][5:]) == 11
