"""Customers (购买方) and products (商品和服务) of a taxpayer, with CSV and Excel import/export.

Import is all or nothing: every row is checked first and a file with any bad row changes
nothing; the report names each bad row and field. Rows are matched on 名称 (customers) or
名称 + 规格型号 (products): a known one is updated, a new one created.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from fapiao.domain.errors import DomainError, Text
from fapiao.domain.invoice import Party, check_party
from fapiao.domain.limits import (
    ITEM_NAME,
    ITEM_SPEC,
    ITEM_UNIT,
    check_length,
    require,
)
from fapiao.domain.money import parse_price
from fapiao.domain.rates import TaxpayerKind, check_rate_allowed, parse_rate
from fapiao.domain.tax import PriceMode
from fapiao.domain.taxcodes import builtin_table, validate_tax_code
from fapiao.domain.taxpayer_id import validate_buyer_id
from fapiao.invoicing.drafts import check_email, check_mobile
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.models import Customer, Product, Taxpayer
from fapiao.invoicing.selectors import NotFound
from fapiao.invoicing.services import taxpayer_lock

YES = {"是", "y", "yes", "true", "1", "含税"}
#: Columns whose values look like numbers but are identifiers: kept as text in Excel.
TEXT_COLUMNS = {"tax_id", "account", "phone", "mobile", "tax_code"}


class CatalogError(DomainError):
    code = "catalog"


@dataclass(frozen=True)
class RowError:
    row: int  # as the user counts: the header is row 1
    field: str
    message: str


class ImportRefused(CatalogError):
    code = "import_refused"

    def __init__(self, errors: list[RowError]) -> None:
        first = errors[0]
        super().__init__(
            f"导入文件有{len(errors)}处错误，未导入任何记录。第{first.row}行：{first.message}",
            field=first.field,
        )
        self.errors = errors


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value).strip()


def _flag(value: Any) -> bool:
    return value is True or str(value or "").strip().lower() in YES


def customer_clean(taxpayer: Taxpayer, data: dict[str, Any]) -> dict[str, Any]:
    """A customer's fields checked and normalised; refuses with the field named."""
    del taxpayer
    values = {name: _text(data, name) for name in CUSTOMER_FIELDS}
    check_party(
        Party(values["name"], values["tax_id"], values["address"], values["phone"],
              values["bank"], values["account"])
    )  # fmt: skip
    values["individual"] = _flag(data.get("individual"))
    if values["tax_id"]:
        values["tax_id"] = validate_buyer_id(values["tax_id"], field="tax_id")
    if values["email"]:
        values["email"] = check_email(values["email"], field="email")
    if values["mobile"]:
        values["mobile"] = check_mobile(values["mobile"], field="mobile")
    return values


def product_clean(taxpayer: Taxpayer, data: dict[str, Any]) -> dict[str, Any]:
    """A product's fields checked and normalised; the rate must suit the taxpayer's kind."""
    values = {name: _text(data, name) for name in PRODUCT_FIELDS}
    require(values["name"], field="name", label="名称")
    check_length(values["name"], ITEM_NAME, field="name", label="名称")
    values["tax_code"] = validate_tax_code(values["tax_code"], field="tax_code")
    if not values["short_name"]:
        known = builtin_table().get(values["tax_code"])
        if known is None:
            raise CatalogError("该税收分类编码不在内置编码表中，请填写简称", field="short_name")
        values["short_name"] = known.short_name
    check_length(values["short_name"], 40, field="short_name", label="简称")
    rate = parse_rate(data.get("rate", ""), field="rate")
    check_rate_allowed(rate, TaxpayerKind(taxpayer.kind), field="rate")
    values["rate"] = rate.key
    check_length(values["spec"], ITEM_SPEC, field="spec", label="规格型号")
    check_length(values["unit"], ITEM_UNIT, field="unit", label="单位")
    price = values["unit_price"]
    values["unit_price"] = parse_price(price, field="unit_price", label="单价") if price else None
    if values["unit_price"] is not None and values["unit_price"] <= 0:
        raise CatalogError("单价必须大于0", field="unit_price")
    mode = data.get("price_mode")
    values["price_mode"] = (
        PriceMode.INCLUSIVE
        if mode == PriceMode.INCLUSIVE or (mode != PriceMode.EXCLUSIVE and _flag(mode))
        else PriceMode.EXCLUSIVE
    )
    return values


CUSTOMER_FIELDS = ("name", "tax_id", "address", "phone", "bank", "account", "email", "mobile")
PRODUCT_FIELDS = ("name", "tax_code", "short_name", "rate", "spec", "unit", "unit_price")


@dataclass(frozen=True)
class Catalog:
    name: str
    label: str
    model: type[models.Model]
    columns: tuple[str, ...]
    clean: Callable[[Taxpayer, dict[str, Any]], dict[str, Any]]
    key: tuple[str, ...]

    def header(self, name: str) -> str:
        return str(self.model._meta.get_field(name).verbose_name)


CATALOGS = {
    "customers": Catalog(
        "customers", "客户", Customer, (*CUSTOMER_FIELDS, "individual"), customer_clean, ("name",)
    ),
    "products": Catalog(
        "products",
        "商品",
        Product,
        (*PRODUCT_FIELDS, "price_mode"),
        product_clean,
        ("name", "spec"),
    ),
}


def catalog(name: str) -> Catalog:
    try:
        return CATALOGS[name]
    except KeyError:
        raise CatalogError(
            Text("没有名为“{0}”的目录（customers 或 products）", name), field="catalog"
        ) from None


def _upsert(locked: Taxpayer, book: Catalog, values: dict[str, Any]) -> tuple[Any, bool]:
    lookup = {name: values[name] for name in book.key}
    defaults = {k: v for k, v in values.items() if k not in lookup}
    return book.model.objects.update_or_create(  # type: ignore[attr-defined]
        taxpayer=locked, **lookup, defaults=defaults
    )


def catalog_save(*, taxpayer: Taxpayer, name: str, data: dict[str, Any], actor: str) -> Any:
    """Create or update one customer or product."""
    book = catalog(name)
    values = book.clean(taxpayer, data)
    with transaction.atomic():
        locked = taxpayer_lock(taxpayer.pk)
        item, created = _upsert(locked, book, values)
        event_append(
            taxpayer=locked,
            type=f"{name}.{'created' if created else 'updated'}",
            actor=actor,
            at=timezone.now(),
            payload={"id": item.pk, "name": values["name"]},
        )
        return item


@transaction.atomic
def catalog_delete(*, taxpayer: Taxpayer, name: str, pk: int, actor: str) -> None:
    book = catalog(name)
    locked = taxpayer_lock(taxpayer.pk)
    item = book.model.objects.filter(taxpayer=locked, pk=pk).first()  # type: ignore[attr-defined]
    if item is None:
        raise NotFound(Text("{0}不存在", book.label), field="id")
    item.delete()
    event_append(
        taxpayer=locked,
        type=f"{name}.deleted",
        actor=actor,
        at=timezone.now(),
        payload={"id": pk, "name": item.name},
    )


# --- files --------------------------------------------------------------------------------


def _cell(value: Any, column: str) -> Any:
    """A spreadsheet cell as text; refuses identifiers Excel has already turned into floats."""
    if isinstance(value, float):
        if column in TEXT_COLUMNS and abs(value) >= 1e15:
            raise CatalogError(
                "长数字已被Excel转换为科学计数法而丢失精度，请将该列设置为文本格式后重新填写",
                field=column,
            )
        return str(int(value)) if value.is_integer() else str(Decimal(str(value)))
    return value


def _rows(content: bytes, filename: str) -> Iterable[list[Any]]:
    if filename.lower().endswith((".xlsx", ".xlsm")):
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise CatalogError("无法读取该Excel文件", field="file") from None
        return [list(row) for row in sheet.iter_rows(values_only=True)]  # type: ignore[union-attr]
    if filename.lower().endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
            except UnicodeDecodeError:
                continue
            return list(csv.reader(io.StringIO(text)))
        raise CatalogError("CSV文件编码无法识别（应为UTF-8或GBK）", field="file")
    raise CatalogError("只支持 .csv 和 .xlsx 文件", field="file")


def _records(book: Catalog, content: bytes, filename: str) -> list[tuple[int, dict[str, Any]]]:
    rows = list(_rows(content, filename))
    if not rows:
        raise CatalogError("文件是空的", field="file")
    names = {book.header(column): column for column in book.columns}
    names.update({column: column for column in book.columns})
    header = [names.get(str(cell or "").strip()) for cell in rows[0]]
    if "name" not in header:
        raise CatalogError(Text("第1行应为表头，且包含“{0}”列", book.header("name")), field="file")
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if all(cell is None or str(cell).strip() == "" for cell in row):
            continue
        records.append((number, {key: cell for key, cell in zip(header, row, strict=False) if key}))
    return records


def catalog_import(
    *, taxpayer: Taxpayer, name: str, content: bytes, filename: str, actor: str
) -> ImportReport:
    """Import a CSV or Excel file of customers or products; all rows or none."""
    book = catalog(name)
    report = ImportReport()
    cleaned: dict[tuple[Any, ...], dict[str, Any]] = {}
    for number, record in _records(book, content, filename):
        try:
            values = book.clean(taxpayer, {k: _cell(v, k) for k, v in record.items()})
        except DomainError as error:
            report.errors.append(RowError(number, error.field, error.message))
            continue
        key = tuple(values[k] for k in book.key)
        if key in cleaned:
            report.errors.append(RowError(number, "name", f"与前面的行重复：{values['name']}"))
        cleaned[key] = values
    if report.errors:
        raise ImportRefused(report.errors)
    with transaction.atomic():
        locked = taxpayer_lock(taxpayer.pk)
        for values in cleaned.values():
            _, created = _upsert(locked, book, values)
            report.created += created
            report.updated += not created
        event_append(
            taxpayer=locked,
            type=f"{name}.imported",
            actor=actor,
            at=timezone.now(),
            payload={"file": filename, "created": report.created, "updated": report.updated},
        )
    return report


def _export_value(item: Any, column: str) -> str:
    value = getattr(item, column)
    if column == "individual":
        return "是" if value else "否"
    if column == "price_mode":
        return "是" if value == PriceMode.INCLUSIVE else "否"
    if column == "rate":
        return parse_rate(value).label
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return "" if value is None else str(value)


def catalog_export(*, taxpayer: Taxpayer, name: str, format: str) -> bytes:
    """Every customer or product as CSV (UTF-8 with BOM, opens in Excel) or Excel."""
    book = catalog(name)
    items = book.model.objects.filter(taxpayer=taxpayer)  # type: ignore[attr-defined]
    header = [book.header(column) for column in book.columns]
    rows = [[_export_value(item, column) for column in book.columns] for item in items]
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue().encode("utf-8-sig")
    if format != "xlsx":
        raise CatalogError("导出格式应为 csv 或 xlsx", field="format")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = book.label  # type: ignore[union-attr]
    sheet.append(header)  # type: ignore[union-attr]
    for row in rows:
        sheet.append(row)  # type: ignore[union-attr]
    for index, column in enumerate(book.columns, start=1):
        if column in TEXT_COLUMNS:
            for (cell,) in sheet.iter_rows(min_col=index, max_col=index, min_row=2):  # type: ignore[union-attr]
                cell.number_format = "@"
    out_bytes = io.BytesIO()
    workbook.save(out_bytes)
    return out_bytes.getvalue()
