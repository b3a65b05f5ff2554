"""批量开具 through the real services: a file checked (nothing issued), confirmed, issued by the
worker with its result file; bad rows each named with their column; over-limit invoices split
to the 分; the same file refused twice; stock running out stops the batch, which resumes."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from fapiao.batches.checking import Options
from fapiao.batches.files import template
from fapiao.batches.issuing import batch_issue_run
from fapiao.batches.models import Batch, BatchItem, BatchStatus
from fapiao.batches.selectors import batch_error_file, batch_result_file, batch_zip
from fapiao.batches.services import AlreadyUploaded, batch_cancel, batch_check, batch_confirm
from fapiao.core.tables import table_rows
from fapiao.domain.batchfile import COLUMNS
from fapiao.domain.kinds import InvoiceKind
from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.models import Event, Invoice
from fapiao.invoicing.taxpayers import stock_receive
from fapiao.invoicing.uploads import upload_round
from fapiao.jobs.services import job_run_due
from fapiao.notices.models import Notification
from tests.integration.world import make_world

pytestmark = pytest.mark.django_db

HEADER = [column.label for column in COLUMNS]


def row(order: str, **cells: str) -> dict[str, str]:
    base = {
        "单据号": order,
        "发票种类": "数电普票",
        "价格模式": "不含税",
        "购买方名称": "武汉某某科技有限公司",
        "项目名称": "软件开发服务",
        "税收分类编码": "3040201010000000000",
        "金额": "100.00",
        "税率": "6%",
    }
    return {**base, **cells}


def as_csv(rows: list[dict[str, str]], *, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for cells in rows:
        writer.writerow([cells.get(name, "") for name in HEADER])
    return out.getvalue().encode(encoding)


def check(world, content: bytes, filename: str = "明细.csv", **options: object) -> Batch:  # type: ignore[no-untyped-def]
    channel = options.pop("channel", world.digital)
    return batch_check(
        taxpayer=world.taxpayer,
        channel=channel,
        content=content,
        filename=filename,
        options=Options(**options),
        actor="clerk",  # type: ignore[arg-type]
    )


def test_a_file_is_checked_then_issued_by_the_worker_with_its_result() -> None:
    world = make_world(credit=Decimal("1000000.00"))
    rows = [
        row("A1"),
        row("A1", 项目名称="技术服务费", 金额="200.00"),
        row("B2", 购买方名称="个人", 自然人="是", 收票邮箱="buyer@example.com"),
        row("C3", 价格模式="含税", 数量="3", 单价="106", 金额=""),
    ]
    batch = check(world, as_csv(rows))
    assert batch.status == BatchStatus.READY
    assert (batch.rows, batch.invoice_count, batch.error_count) == (4, 3, 0)
    assert batch.summary["amount"] == "700.00"  # 300 + 100 + 318 / 1.06
    assert batch.summary["tax"] == "42.00"
    assert Invoice.objects.count() == 0  # nothing issued until confirmed

    batch_confirm(batch=batch, actor="clerk")
    job_run_due()
    batch.refresh_from_db()
    assert (batch.status, batch.issued) == (BatchStatus.DONE, 3)
    invoices = list(Invoice.objects.order_by("pk"))
    assert [invoice.request_id for invoice in invoices] == [
        f"batch-{batch.pk}-{seq}" for seq in (1, 2, 3)
    ]
    assert [invoice.total for invoice in invoices] == [
        Decimal("318.00"),
        Decimal("106.00"),
        Decimal("318.00"),
    ]
    assert invoices[1].buyer_email == "buyer@example.com"
    assert Event.objects.filter(type="delivery.queued", invoice=invoices[1]).exists()
    assert ledger_verify(world.taxpayer) == []
    types = list(Event.objects.filter(type__startswith="batch.").values_list("type", flat=True))
    assert types == ["batch.checked", "batch.confirmed", "batch.finished"]
    assert Notification.objects.filter(kind="batch").count() == 0  # "clerk" is no user here

    content, name = batch_result_file(batch)
    result = list(table_rows(content, name))
    assert result[0][-5:] == ["开具状态", "发票号码", "开票日期", "价税合计", "说明"]
    assert [line[-5] for line in result[1:]] == ["已开具"] * 4
    assert result[1][-4] == result[2][-4] == invoices[0].number
    assert result[4][-2] == "318.00"
    with io.BytesIO(batch_zip(batch)) as raw:
        import zipfile

        names = zipfile.ZipFile(raw).namelist()
    assert "manifest.json" in names and sum(name.endswith(".pdf") for name in names) == 3


def test_every_bad_row_is_named_with_its_column_and_nothing_is_planned() -> None:
    world = make_world(credit=Decimal("1000000.00"))
    good = [row(f"G{n}") for n in range(1950)]
    bad_cells = [
        {"税率": "7%"},
        {"税率": ""},
        {"金额": "abc"},
        {"金额": "-5"},
        {"项目名称": ""},
        {"税收分类编码": "123"},
        {"数量": "2", "单价": "10", "金额": "30"},
        {"金额": "1.234"},
        {"购买方名称": ""},
        {"发票种类": "增值税专票"},
        {"购买方纳税人识别号": "91420100MA4KXXXX0X"},
        {"收票邮箱": "not-an-address"},
        {"价格模式": "半含税"},
        {"税额": "50"},
        {"发票种类": "电子普票"},
        {"备注": '=HYPERLINK("http://x")'},
        {"单据号": ""},
    ]
    expected_columns = [
        "税率",
        "税率",
        "金额",
        "金额",
        "项目名称",
        "税收分类编码",
        "金额",
        "金额",
        "购买方名称",
        "发票种类",
        "购买方纳税人识别号",
        "收票邮箱",
        "价格模式",
        "税额",
        "发票种类",
        "备注",
        "单据号",
    ]
    bad = [row(f"X{n}", **bad_cells[n % len(bad_cells)]) for n in range(50)]
    rows = good[:1000] + bad + good[1000:]
    batch = check(world, as_csv(rows))
    assert batch.status == BatchStatus.INVALID
    assert batch.rows == 2000
    assert not BatchItem.objects.exists()
    reported = {(r, column) for r, column, _ in batch.errors}
    for n in range(50):
        assert (1000 + n + 2, expected_columns[n % len(bad_cells)]) in reported, n
    assert {r for r, _, _ in batch.errors} == set(range(1002, 1052))
    with pytest.raises(Exception, match="有错误"):
        batch_confirm(batch=batch, actor="clerk")
    assert Invoice.objects.count() == 0

    content, name = batch_error_file(batch)
    table = list(table_rows(content, name))
    assert table[0][-1] == "错误信息"
    assert table[1][-1] == "" and "税率" in table[1001][-1]
    # the error file read back is the same file (our column is ignored), refused the same way
    # but for the formulas: written back as text ('=…), they are read back as text
    again = check(world, content, filename=name)
    assert again.error_count == batch.error_count - 3


def test_over_limit_invoices_are_split_and_add_up_to_the_fen() -> None:
    world = make_world(stock=50, single_limit=Decimal("99999.99"))
    rows = [
        row(
            "BIG",
            发票种类="电子普票",
            价格模式="含税",
            项目名称="螺纹钢",
            税收分类编码="2020000000000000000",
            数量="300",
            单价="4056",
            金额="",
            税率="13%",
        ),
        row("BIG", 发票种类="电子普票", 价格模式="含税", 金额="54321.07"),
    ]
    refused = check(world, as_csv(rows), channel=world.device, split=False)
    assert refused.status == BatchStatus.INVALID and "超过单张发票限额" in refused.errors[0][2]
    batch_cancel(batch=refused, actor="clerk")  # nothing issued: gone, the file may come again

    batch = check(world, as_csv(rows), channel=world.device)
    items = list(batch.items.order_by("seq"))
    # 27 t per invoice (96,913.27): 11 invoices, then the last 3 t with the second line
    assert len(items) == 12 and {item.parts for item in items} == {12}
    assert all(item.amount <= Decimal("99999.99") for item in items)
    assert items[-1].source_rows == [2, 3]
    # as one invoice would have it: 1,076,814.16 + 139,985.84 and 51,246.29 + 3,074.78
    assert sum(item.amount for item in items) == Decimal("1076814.16") + Decimal("51246.29")
    assert sum(item.tax for item in items) == Decimal("139985.84") + Decimal("3074.78")
    batch_confirm(batch=batch, actor="clerk")
    batch = batch_issue_run(batch.pk)
    # the device's 离线正数累计金额 (1,000,000) stops it until the invoices are uploaded
    assert (batch.status, batch.issued) == (BatchStatus.STOPPED, 10)
    assert "超过离线限额" in batch.message
    upload_round()
    batch_confirm(batch=batch, actor="clerk")
    assert batch_issue_run(batch.pk).status == BatchStatus.DONE
    invoices = Invoice.objects.all()
    assert invoices.count() == 12
    assert sum(invoice.total for invoice in invoices) == Decimal("1216800.00") + Decimal("54321.07")
    assert ledger_verify(world.taxpayer) == []


def test_the_same_file_twice_is_refused_naming_the_first_batch() -> None:
    world = make_world(credit=Decimal("1000000.00"))
    content = as_csv([row("A1")])
    first = check(world, content)
    with pytest.raises(AlreadyUploaded) as refused:
        check(world, content, filename="again.csv")
    assert refused.value.batch.pk == first.pk
    assert f"批次{first.pk}" in refused.value.message


def test_stock_running_out_stops_the_batch_which_resumes_after_more_stock() -> None:
    world = make_world(stock=3)
    rows = [row(f"N{n}", 发票种类="电子普票") for n in range(5)]
    batch = check(world, as_csv(rows), channel=world.device)
    assert any("库存剩余3份" in warning for warning in batch.summary["warnings"])
    batch_confirm(batch=batch, actor="clerk")
    batch = batch_issue_run(batch.pk)
    assert (batch.status, batch.issued) == (BatchStatus.STOPPED, 3)
    assert "单据号N3" in batch.message
    assert Invoice.objects.count() == 3
    stock_receive(
        channel=world.device,
        kind=InvoiceKind.VAT_ORDINARY_ELECTRONIC,
        code="032002600111",
        first=5001,
        last=5010,
        received_from="领购",
        actor="admin",
    )
    batch_confirm(batch=batch, actor="clerk")
    batch = batch_issue_run(batch.pk)
    assert (batch.status, batch.issued) == (BatchStatus.DONE, 5)
    assert sorted(Invoice.objects.values_list("request_id", flat=True)) == sorted(
        f"batch-{batch.pk}-{seq}" for seq in range(1, 6)
    )
    assert ledger_verify(world.taxpayer) == []


def test_the_template_filled_in_excel_and_a_gbk_csv_are_read() -> None:
    world = make_world(credit=Decimal("1000000.00"))
    book = load_workbook(io.BytesIO(template()))
    assert book.sheetnames == ["明细", "说明"]
    sheet = book["明细"]
    assert [cell.value for cell in sheet[1]] == HEADER
    assert sheet.data_validations.dataValidation  # lists to choose kind, mode, rate from
    out = io.BytesIO()
    book.save(out)
    batch = check(world, out.getvalue(), filename="模板.xlsx")
    assert (batch.status, batch.invoice_count) == (BatchStatus.READY, 1), batch.errors
    item = batch.items.get()
    assert item.total == Decimal("10600.00")  # 2 × 5,300 including 6 %

    gbk = check(world, as_csv([row("GBK1", 备注="中文备注")], encoding="gbk"), filename="g.csv")
    assert gbk.status == BatchStatus.READY
    assert gbk.items.get().data["remarks"] == "中文备注"


def test_catalogs_fill_what_the_file_leaves_out_and_merge_adds_identical_lines() -> None:
    from fapiao.invoicing.catalog import catalog_save

    world = make_world(credit=Decimal("1000000.00"))
    catalog_save(
        taxpayer=world.taxpayer,
        name="customers",
        actor="admin",
        data={"name": "常客有限公司", "tax_id": "9132020013590404XW", "email": "c@example.com"},
    )
    catalog_save(
        taxpayer=world.taxpayer,
        name="products",
        actor="admin",
        data={
            "name": "培训费",
            "tax_code": "3070201020000000000",
            "rate": "6%",
            "unit": "人次",
            "unit_price": "250",
        },
    )
    lines = [
        row(
            "M1",
            购买方名称="常客有限公司",
            项目名称="培训费",
            税收分类编码="",
            税率="",
            金额="",
            数量="2",
        )
        for _ in range(3)
    ]
    merged = check(world, as_csv(lines), merge=True)
    assert merged.status == BatchStatus.READY, merged.errors
    data = merged.items.get().data
    assert data["buyer"]["tax_id"] == "9132020013590404XW"
    assert data["buyer"]["email"] == "c@example.com"
    assert [(line["quantity"], line["unit"]) for line in data["lines"]] == [("6", "人次")]
    assert merged.items.get().amount == Decimal("1500.00")


def test_an_old_excel_file_is_read_and_a_damaged_one_refused() -> None:
    import xlwt  # writes the .xls format of Excel 97–2003

    world = make_world(credit=Decimal("1000000.00"))
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("明细")
    cells = row("XLS1", 金额="250.00")
    for at, name in enumerate(HEADER):
        sheet.write(0, at, name)
        sheet.write(1, at, cells.get(name, ""))
    out = io.BytesIO()
    book.save(out)
    batch = check(world, out.getvalue(), filename="旧格式.xls")
    assert (batch.status, batch.invoice_count) == (BatchStatus.READY, 1), batch.errors
    assert batch.items.get().total == Decimal("265.00")
    with pytest.raises(Exception, match="无法读取该Excel文件"):
        check(world, b"not a workbook at all", filename="坏.xls")
    with pytest.raises(Exception, match="只支持"):
        check(world, b"x", filename="明细.txt")
