"""Customers (购买方) and products (商品和服务) of a taxpayer: their rules, one at a time.

Files (CSV and Excel import and export) are :mod:`fapiao.invoicing.catalog_files`. Items are
matched on 名称 (customers) or 名称 + 规格型号 (products): a known one is updated, a new one
created.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from fapiao.core.contacts import check_email, check_mobile
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.invoice import Party, check_party
from fapiao.domain.limits import (
    ITEM_NAME,
    ITEM_SPEC,
    ITEM_UNIT,
    check_length,
    check_printable,
    require,
)
from fapiao.domain.money import parse_price
from fapiao.domain.rates import TaxpayerKind, check_rate_allowed, parse_rate
from fapiao.domain.tax import PriceMode
from fapiao.domain.taxcodes import builtin_table, validate_tax_code
from fapiao.domain.taxpayer_id import validate_buyer_id
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Customer, Product, Taxpayer
from fapiao.invoicing.selectors import NotFound

YES = {"是", "y", "yes", "true", "1", "含税"}
#: Columns whose values look like numbers but are identifiers: kept as text in Excel.
TEXT_COLUMNS = {"tax_id", "account", "phone", "mobile", "tax_code"}


class CatalogError(DomainError):
    code = "catalog"


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
    for name, label in (("name", "名称"), ("short_name", "简称"), ("spec", "规格型号"),
                        ("unit", "单位")):  # fmt: skip
        check_printable(values[name], field=name, label=label)
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


def catalog_items(*, taxpayer: Taxpayer, name: str) -> Any:
    """The taxpayer's customers or products, in the order they were made (a read)."""
    return catalog(name).model.objects.filter(taxpayer=taxpayer).order_by("pk")  # type: ignore[attr-defined]


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
