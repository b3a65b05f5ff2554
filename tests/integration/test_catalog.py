"""Customers and products, their CSV/Excel import and export, users and roles."""

from __future__ import annotations

import io

import pytest
from django.db import IntegrityError
from openpyxl import Workbook, load_workbook

from fapiao.core.roles import Role
from fapiao.domain.errors import DomainError
from fapiao.domain.rates import TaxpayerKind
from fapiao.invoicing.accounts import (
    AccountError,
    is_authority,
    role_grant,
    role_revoke,
    roles_of,
    taxpayers_of,
    user_create,
)
from fapiao.invoicing.catalog import catalog_delete, catalog_save
from fapiao.invoicing.catalog_files import ImportRefused, catalog_export, catalog_import
from fapiao.invoicing.models import (
    Customer,
    Event,
    Membership,
    Product,
)
from fapiao.invoicing.taxpayers import taxpayer_create, taxpayer_update
from tests.integration.world import World, make_world

pytestmark = pytest.mark.django_db(transaction=True)
HEADER = "名称,纳税人识别号,地址,电话,开户行,银行账号,电子邮箱,手机号,自然人\n"


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "请填写名称"),
        ({"name": "某公司", "tax_id": "1234"}, "tax_id", "应为15、17、18或20位"),
        ({"name": "某公司", "email": "not-an-address"}, "email", "格式不正确"),
        ({"name": "某公司", "mobile": "2380013800"}, "mobile", "11位"),
        ({"name": "某公司", "account": "1" * 31}, "account", "不能超过30个字符"),
    ],
)
def test_customer_rules(world: World, data: dict[str, str], field: str, message: str) -> None:
    with pytest.raises(DomainError, match=message) as caught:
        catalog_save(taxpayer=world.taxpayer, name="customers", data=data, actor="admin")
    assert caught.value.field == field
    assert Customer.objects.count() == 0


def test_products_take_the_short_name_from_the_code_and_a_rate_the_taxpayer_may_use(
    world: World,
) -> None:
    product = catalog_save(
        taxpayer=world.taxpayer,
        name="products",
        data={"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%"},
        actor="admin",
    )
    assert (str(product), product.rate) == ("*信息技术服务*软件开发服务", "0.06")
    with pytest.raises(DomainError, match="请填写简称") as caught:
        catalog_save(
            taxpayer=world.taxpayer,
            name="products",
            data={"name": "某物", "tax_code": "1999999999999999999", "rate": "13%"},
            actor="admin",
        )
    assert caught.value.field == "short_name"
    small = taxpayer_create(
        name="武汉小店", tax_id="9132020013590404XW", kind=TaxpayerKind.SMALL, region="42",
        actor="admin",
    )  # fmt: skip
    with pytest.raises(DomainError, match="小规模纳税人不能使用13%税率") as caught:
        catalog_save(
            taxpayer=small,
            name="products",
            data={"name": "修理", "tax_code": "2020000000000000000", "rate": "13%"},
            actor="admin",
        )
    assert caught.value.field == "rate"


def test_csv_import_is_all_or_nothing_with_every_bad_row_named(world: World) -> None:
    good = "北京华章数据服务有限公司,91110108MA01A2B3CF,北京,010-1,工行,0200004509012345678,,,否\n"
    bad_id = "坏税号公司,123,,,,,,,\n"
    bad_mail = "坏邮箱公司,,,,,,x@,,\n"
    content = (HEADER + good + bad_id + "\n" + bad_mail).encode("utf-8-sig")
    with pytest.raises(ImportRefused) as caught:
        catalog_import(
            taxpayer=world.taxpayer, name="customers", content=content, filename="c.csv",
            actor="admin",
        )  # fmt: skip
    assert [(e.row, e.field) for e in caught.value.errors] == [(3, "tax_id"), (5, "email")]
    assert "未导入任何记录" in caught.value.message
    assert Customer.objects.count() == 0
    report = catalog_import(
        taxpayer=world.taxpayer, name="customers", content=(HEADER + good).encode("gb18030"),
        filename="客户.CSV", actor="admin",
    )  # fmt: skip
    assert (report.created, report.updated) == (1, 0)
    changed = good.replace("北京,", "北京市海淀区,")
    report = catalog_import(
        taxpayer=world.taxpayer, name="customers", content=(HEADER + changed).encode(),
        filename="c.csv", actor="admin",
    )  # fmt: skip
    assert (report.created, report.updated) == (0, 1)
    assert Customer.objects.get().address == "北京市海淀区"
    assert Event.objects.filter(type="customers.imported").count() == 2


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)  # type: ignore[union-attr]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_excel_import_export_round_trip_keeps_long_numbers_as_text(world: World) -> None:
    rows: list[list[object]] = [
        ["名称", "税收分类编码", "税率", "规格型号", "单位", "单价", "单价含税"],
        ["培训费", "3070201020000000000", "6%", "", "人次", 250, "否"],
        ["住宿费", "3070402000000000000", 0.06, "标准间", "间夜", 380.5, "是"],
    ]
    report = catalog_import(
        taxpayer=world.taxpayer, name="products", content=_xlsx(rows), filename="p.xlsx",
        actor="admin",
    )  # fmt: skip
    assert report.created == 2
    lodging = Product.objects.get(name="住宿费")
    assert (lodging.short_name, lodging.unit_price, lodging.price_mode) == (
        "住宿服务", 380.5, "inclusive"
    )  # fmt: skip
    rows[1][1] = 3070201020000000000.0  # what Excel keeps of a 19-digit number typed as one
    with pytest.raises(ImportRefused, match="科学计数法"):
        catalog_import(
            taxpayer=world.taxpayer, name="products", content=_xlsx(rows), filename="p.xlsx",
            actor="admin",
        )  # fmt: skip

    catalog_save(
        taxpayer=world.taxpayer,
        name="customers",
        data={"name": "某银行客户", "account": "622202100112345678901234"[:30]},
        actor="admin",
    )
    sheet = load_workbook(
        io.BytesIO(catalog_export(taxpayer=world.taxpayer, name="customers", format="xlsx"))
    ).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    account = sheet.cell(row=2, column=header.index("银行账号") + 1)
    assert (account.value, account.data_type) == ("622202100112345678901234", "s")
    exported = catalog_export(taxpayer=world.taxpayer, name="products", format="csv")
    assert exported.startswith(b"\xef\xbb\xbf")
    text = exported.decode("utf-8-sig")
    assert "住宿费,3070402000000000000,住宿服务,6%,标准间,间夜,380.5,是" in text
    # what was exported imports back unchanged
    again = catalog_import(
        taxpayer=world.taxpayer, name="products", content=exported, filename="p.csv",
        actor="admin",
    )  # fmt: skip
    assert (again.created, again.updated) == (0, 2)
    with pytest.raises(DomainError, match="只支持"):
        catalog_import(
            taxpayer=world.taxpayer, name="products", content=b"x", filename="p.txt",
            actor="admin",
        )  # fmt: skip


def test_catalogs_are_scoped_to_their_taxpayer(world: World) -> None:
    other = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161")
    mine = catalog_save(
        taxpayer=world.taxpayer, name="customers", data={"name": "同名客户"}, actor="admin"
    )
    catalog_save(taxpayer=other.taxpayer, name="customers", data={"name": "同名客户"}, actor="b")
    assert Customer.objects.count() == 2
    with pytest.raises(DomainError, match="客户不存在"):
        catalog_delete(taxpayer=other.taxpayer, name="customers", pk=mine.pk, actor="b")
    assert b"\xe5\x90\x8c" in catalog_export(
        taxpayer=other.taxpayer, name="customers", format="csv"
    )
    catalog_delete(taxpayer=world.taxpayer, name="customers", pk=mine.pk, actor="admin")
    assert list(Customer.objects.values_list("taxpayer", flat=True)) == [other.taxpayer.pk]


def test_users_and_roles(world: World) -> None:
    with pytest.raises(AccountError) as weak:
        user_create(username="kaipiao", password="12345678")
    assert weak.value.field == "password"
    user = user_create(username="kaipiao", password="Str0ng#Pass", email="k@example.cn")
    assert user.password.startswith("argon2")
    with pytest.raises(AccountError, match="用户名已被使用"):
        user_create(username="kaipiao", password="Str0ng#Pass")
    role_grant(user=user, role=Role.ISSUER, taxpayer=world.taxpayer, actor="admin")
    role_grant(user=user, role=Role.FINANCE, taxpayer=world.taxpayer, actor="admin")
    role_grant(user=user, role=Role.ISSUER, taxpayer=world.taxpayer, actor="admin")  # no-op
    assert roles_of(user, world.taxpayer) == {Role.ISSUER, Role.FINANCE}
    assert taxpayers_of(user) == [world.taxpayer]
    assert Event.objects.filter(type="role.granted").count() == 2
    with pytest.raises(AccountError, match="不属于任何纳税人"):
        role_grant(user=user, role=Role.AUTHORITY, taxpayer=world.taxpayer, actor="admin")
    with pytest.raises(AccountError):
        role_grant(user=user, role=Role.ADMIN, taxpayer=None, actor="admin")
    officer = user_create(username="shuiwu", password="Str0ng#Pass")
    role_grant(user=officer, role=Role.AUTHORITY, taxpayer=None, actor="root")
    assert is_authority(officer) and not is_authority(user)
    with pytest.raises(IntegrityError):  # the database refuses it too
        Membership.objects.create(user=officer, taxpayer=world.taxpayer, role=Role.AUTHORITY)
    role_revoke(user=user, role=Role.FINANCE, taxpayer=world.taxpayer, actor="admin")
    assert roles_of(user, world.taxpayer) == {Role.ISSUER}


def test_taxpayer_profile_is_checked_and_changes_are_recorded(world: World) -> None:
    with pytest.raises(DomainError, match="已登记") as caught:
        taxpayer_create(
            name="重复", tax_id=world.taxpayer.tax_id, kind=TaxpayerKind.GENERAL, region="32",
            actor="admin",
        )  # fmt: skip
    assert caught.value.field == "tax_id"
    with pytest.raises(DomainError, match="校验位") as caught:
        taxpayer_create(
            name="坏号", tax_id="9132020013590404XA", kind=TaxpayerKind.GENERAL, region="32",
            actor="admin",
        )  # fmt: skip
    with pytest.raises(DomainError, match="地址、电话不能超过100个字符") as caught:
        taxpayer_update(
            taxpayer=world.taxpayer, actor="admin", changes={"address": "路" * 95, "phone": "1" * 6}
        )
    assert caught.value.field == "address"
    with pytest.raises(DomainError, match="不能修改"):
        taxpayer_update(
            taxpayer=world.taxpayer, actor="admin",
            changes={"tax_id": "9132020013590404XW"},  # type: ignore[typeddict-unknown-key]
        )  # fmt: skip
    updated = taxpayer_update(
        taxpayer=world.taxpayer, actor="admin",
        changes={"cycle": "quarterly", "phone": "0510-85409880"},
    )  # fmt: skip
    assert (updated.cycle, updated.phone) == ("quarterly", "0510-85409880")
    event = Event.objects.get(type="taxpayer.updated")
    assert event.payload["changed"] == {"cycle": "quarterly", "phone": "0510-85409880"}
    taxpayer_update(taxpayer=world.taxpayer, actor="admin", changes={"phone": "0510-85409880"})
    assert Event.objects.filter(type="taxpayer.updated").count() == 1
