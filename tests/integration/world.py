"""A taxpayer with a device and a 数电 channel, set up through the services, for the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.test import Client

from fapiao.core.roles import Role
from fapiao.domain.kinds import ChannelType, DeviceKind, InvoiceKind
from fapiao.domain.numbering import build_code
from fapiao.domain.rates import TaxpayerKind
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.models import Channel, Taxpayer
from fapiao.invoicing.taxpayers import (
    channel_create,
    monitoring_set,
    stock_receive,
    taxpayer_create,
)


def database_url() -> str:
    """The test database as a URL, for the subprocesses a test starts."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        return (
            f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT'] or 5432}"
            f"/{settings['NAME']}"
        )
    return f"sqlite:///{settings['NAME']}"


#: A buyer with every detail a 专票 requires.
SPECIAL_BUYER = {
    "name": "江苏苏豪天鹏农产品集团有限公司",
    "tax_id": "9132020013590404XW",
    "address": "无锡市梁溪区",
    "phone": "0510-81234567",
    "bank": "中国银行无锡分行",
    "account": "537468912345",
}


@dataclass(frozen=True)
class World:
    taxpayer: Taxpayer
    device: Channel
    digital: Channel


DEVICE_KINDS = (
    InvoiceKind.VAT_ORDINARY_ELECTRONIC,
    InvoiceKind.VAT_SPECIAL_PAPER,
    InvoiceKind.VAT_ORDINARY_PAPER,
    InvoiceKind.VAT_SPECIAL_ELECTRONIC,
)


def make_world(
    *,
    tax_id: str = "52320200509244470T",
    name: str = "无锡市安协安全培训中心",
    region: str = "32",
    device_number: str = "661807105160",
    stock: int = 3,
    first: int = 1001,
    lock_date: date = date(2026, 12, 15),
    single_limit: Decimal = Decimal("99999.99"),
    credit: Decimal | None = Decimal("4000.00"),
) -> World:
    taxpayer = taxpayer_create(
        name=name, tax_id=tax_id, kind=TaxpayerKind.GENERAL, region=region, actor="admin"
    )
    device = channel_create(
        taxpayer=taxpayer,
        type=ChannelType.DEVICE,
        name="税务UKey 1",
        actor="admin",
        device_number=device_number,
        device_kind=DeviceKind.UKEY,
    )
    for batch, kind in enumerate(DEVICE_KINDS, start=1):
        monitoring_set(
            channel=device,
            kind=kind,
            lock_date=lock_date,
            single_limit=single_limit,
            offline_hours=72,
            offline_amount=Decimal("1000000.00"),
            source="测试发行",
            actor="admin",
        )
        stock_receive(
            channel=device,
            kind=kind,
            code=build_code(kind, region=region, year=2026, batch=batch),
            first=first,
            last=first + stock - 1,
            received_from="测试领购",
            actor="admin",
        )
    digital = channel_create(
        taxpayer=taxpayer,
        type=ChannelType.DIGITAL,
        name="数电",
        actor="admin",
        monthly_credit=credit,
    )
    return World(taxpayer, device, digital)


def signed_in(world: World, role: Role, name: str, password: str = "Str0ng#Pass") -> Client:
    """A browser of a new user holding ``role`` at the world's taxpayer."""
    user = user_create(username=name, password=password)
    role_grant(user=user, role=role, taxpayer=world.taxpayer, actor="root")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client
