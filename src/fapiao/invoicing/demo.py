"""Demo data: one enterprise with users of every role, catalogs, a tax-control device with stock
and a 数电 channel, and a few invoices, so a new installation has something to look at.

Loading is idempotent: a second run finds the demo taxpayer and only reports the logins.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from fapiao.core.clock import local_date
from fapiao.core.roles import OUTSIDE, Role
from fapiao.domain.kinds import ChannelType, DeviceKind, InvoiceKind
from fapiao.domain.numbering import build_code
from fapiao.domain.periods import (
    Cycle,
    HolidayCalendar,
    lock_date_after_clearing,
    period_of,
    previous_period,
)
from fapiao.domain.rates import TaxpayerKind
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.catalog import catalog_save
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import Taxpayer
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.taxpayers import (
    channel_create,
    monitoring_set,
    stock_receive,
    taxpayer_create,
)
from fapiao.security.models import Profile

DEMO_TAX_ID = "91420100MA4K5TQ3XG"
#: The demo users' password; ``FAPIAO_DEMO_PASSWORD`` replaces it.
DEFAULT_PASSWORD = "Fapiao#2026"  # noqa: S105 - published demo logins

USERS = (
    ("admin", Role.ADMIN, "管理员"),
    ("kaipiao", Role.ISSUER, "开票员"),
    ("caiwu", Role.FINANCE, "财务"),
    ("shenji", Role.AUDITOR, "审计员"),
    ("baoxiao", Role.CLAIMANT, "报销人"),
    ("shuiwu", Role.AUTHORITY, "税务机关"),
    ("kefu", Role.SUPPORT_LEAD, "客服主管"),
)

CUSTOMERS = (
    {
        "name": "北京华章数据服务有限公司",
        "tax_id": "91110108MA01A2B3CF",
        "address": "北京市海淀区中关村大街1号",
        "phone": "010-62345678",
        "bank": "中国工商银行北京中关村支行",
        "account": "0200004509012345678",
        "email": "finance@huazhang.example.cn",
    },
    {
        "name": "无锡远帆精密机械有限公司",
        "tax_id": "91320200MA1N2P3Q48",
        "address": "无锡市新吴区长江路8号",
        "phone": "0510-85201234",
        "bank": "中国银行无锡高新区支行",
        "account": "537468912345",
    },
    {
        "name": "西安秦川建设工程有限公司",
        "tax_id": "91610131MA6W7K8L90",
        "address": "西安市雁塔区科技路20号",
        "phone": "029-88321234",
        "bank": "招商银行西安高新支行",
        "account": "129904567810201",
    },
    {"name": "张伟", "individual": True, "mobile": "13800138000"},
)

PRODUCTS = (
    {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "unit": "项"},
    {"name": "培训费", "tax_code": "3070201020000000000", "rate": "6%", "unit": "人次",
     "unit_price": "250"},
    {"name": "数控机床维修", "tax_code": "2020000000000000000", "rate": "13%", "unit": "次",
     "spec": "CK6150", "unit_price": "1130", "price_mode": "inclusive"},
    {"name": "会议餐费", "tax_code": "3070401000000000000", "rate": "6%", "unit": "次"},
    {"name": "住宿费", "tax_code": "3070402000000000000", "rate": "6%", "unit": "间夜",
     "unit_price": "380", "price_mode": "inclusive"},
)  # fmt: skip

DEVICE_KINDS = (
    InvoiceKind.VAT_SPECIAL_PAPER,
    InvoiceKind.VAT_ORDINARY_PAPER,
    InvoiceKind.VAT_SPECIAL_ELECTRONIC,
    InvoiceKind.VAT_ORDINARY_ELECTRONIC,
)


@dataclass(frozen=True)
class DemoResult:
    taxpayer: Taxpayer
    created: bool
    password: str
    users: tuple[tuple[str, str], ...]  # (username, role label)


def demo_password() -> str:
    return os.environ.get("FAPIAO_DEMO_PASSWORD", DEFAULT_PASSWORD)


def demo_load(
    *, today: date | None = None, history: Callable[[Taxpayer, date], Any] | None = None
) -> DemoResult:
    """Create the demo enterprise unless it exists; ``history`` (the demo command's year of
    invoices and period closes) runs before today's few invoices are issued."""
    password = demo_password()
    users = tuple((username, label) for username, _, label in USERS)
    existing = Taxpayer.objects.filter(tax_id=DEMO_TAX_ID).first()
    if existing is not None:
        return DemoResult(existing, False, password, users)
    today = today or local_date(timezone.now())
    with transaction.atomic():
        taxpayer = _load(today, password, history)
    return DemoResult(taxpayer, True, password, users)


def _load(today: date, password: str, history: Callable[[Taxpayer, date], Any] | None) -> Taxpayer:
    actor = "demo"
    taxpayer = taxpayer_create(
        name="武汉江城示范科技有限公司",
        tax_id=DEMO_TAX_ID,
        kind=TaxpayerKind.GENERAL,
        region="42",
        address="武汉市东湖新技术开发区光谷大道77号",
        phone="027-87654321",
        bank="中国建设银行武汉光谷支行",
        account="42050186360800001234",
        actor=actor,
    )
    model = get_user_model()
    for username, role, label in USERS:
        user = model.objects.filter(username=username).first() or user_create(
            username=username,
            password=password,
            email=f"{username}@demo.example.cn",
            first_name=label,
        )
        role_grant(
            user=user,
            role=role,
            taxpayer=None if role in OUTSIDE else taxpayer,
            actor=actor,
        )
        # the demo's addresses go nowhere: no monthly report mail until a user turns it on
        Profile.objects.update_or_create(user=user, defaults={"monthly_report": False})
    for data in CUSTOMERS:
        catalog_save(taxpayer=taxpayer, name="customers", data=dict(data), actor=actor)
    for data in PRODUCTS:
        catalog_save(taxpayer=taxpayer, name="products", data=dict(data), actor=actor)
    device = channel_create(
        taxpayer=taxpayer,
        type=ChannelType.DEVICE,
        name="税务UKey 1号",
        device_number="661900000001",
        device_kind=DeviceKind.UKEY,
        actor=actor,
    )
    lock_date = lock_date_after_clearing(
        previous_period(period_of(today, Cycle.MONTHLY)), HolidayCalendar()
    )
    for batch, kind in enumerate(DEVICE_KINDS, start=1):
        monitoring_set(
            channel=device,
            kind=kind,
            lock_date=lock_date,
            single_limit=Decimal("99999.99"),
            offline_hours=72,
            offline_amount=Decimal("1000000.00"),
            source="演示数据：发行",
            actor=actor,
        )
        stock_receive(
            channel=device,
            kind=kind,
            code=build_code(kind, region="4201", year=today.year, batch=batch),
            first=1,
            last=500,
            received_from="演示数据：领购",
            actor=actor,
        )
    digital = channel_create(
        taxpayer=taxpayer,
        type=ChannelType.DIGITAL,
        name="数电平台",
        monthly_credit=Decimal("10000000.00"),
        actor=actor,
    )
    if history is not None:
        history(taxpayer, today)
    buyer = {k: v for k, v in CUSTOMERS[0].items() if k != "email"}
    for channel, kind, lines in (
        (digital, InvoiceKind.DIGITAL_SPECIAL, [("软件开发服务", "3040201010000000000", "6%",
                                                  None, None, "50000.00")]),
        (digital, InvoiceKind.DIGITAL_ORDINARY, [("培训费", "3070201020000000000", "6%", "4",
                                                   "250", None)]),
        (device, InvoiceKind.VAT_ORDINARY_ELECTRONIC, [("会议餐费", "3070401000000000000", "6%",
                                                        None, None, "1280.00")]),
    ):  # fmt: skip
        invoice_issue(
            taxpayer=taxpayer,
            channel=channel,
            draft=parse_draft(
                {
                    "kind": kind.value,
                    "buyer": buyer,
                    "lines": [
                        {
                            "name": n,
                            "tax_code": c,
                            "rate": r,
                            "quantity": q,
                            "unit_price": p,
                            "amount": a,
                        }
                        for n, c, r, q, p, a in lines
                    ],
                    "drawer": "开票员",
                    "mode": "inclusive",
                }
            ),
            request_id=f"demo-{kind.value}",
            actor=actor,
        )
    return taxpayer
