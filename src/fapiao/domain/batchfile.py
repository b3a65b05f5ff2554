"""批量开具's detail file: its columns, rows grouped into invoices by 单据号, each invoice as the
draft the single issue takes, and a draft's refusal traced back to the row and column it came
from.

One row is one line. The rows of one 单据号 make one invoice whatever their order in the file;
the invoice's own fields (kind, buyer, remarks …) are read from the first row that fills them,
and a later row giving a different value is an error of that row. Cells arrive as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fapiao.domain.errors import DomainError, Text
from fapiao.domain.tax import LineInput


class BadFile(DomainError):
    code = "bad_batch_file"


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    invoice: bool  # the invoice's field (same on every row of a 单据号), else the line's
    note: str  # how to fill it, for the template's 说明 sheet


COLUMNS: tuple[Column, ...] = (
    Column("order", "单据号", True, "必填。同一单据号的各行合并为一张发票，每行一条明细"),
    Column(
        "kind",
        "发票种类",
        True,
        "数电普票、数电专票、电子普票、电子专票、普票、专票；空则用页面所选",
    ),
    Column("mode", "价格模式", True, "含税 或 不含税；空为不含税"),
    Column("buyer_name", "购买方名称", True, "必填；客户目录中已有的名称可只填名称"),
    Column("buyer_tax_id", "购买方纳税人识别号", True, "专票必填；个人可不填"),
    Column("buyer_address", "购买方地址", True, "专票必填"),
    Column("buyer_phone", "购买方电话", True, "专票必填"),
    Column("buyer_bank", "购买方开户行", True, "专票必填"),
    Column("buyer_account", "购买方银行账号", True, "专票必填"),
    Column("buyer_individual", "自然人", True, "是 或 否；购买方为个人时填是"),
    Column("buyer_email", "收票邮箱", True, "填写后开具成功即发送邮件"),
    Column("buyer_mobile", "收票手机", True, "选填"),
    Column("remarks", "备注", True, "选填，最多200字"),
    Column("payee", "收款人", True, "选填"),
    Column("reviewer", "复核人", True, "选填"),
    Column("name", "项目名称", False, "必填；商品目录中已有的项目可只填名称（和规格型号）"),
    Column("tax_code", "税收分类编码", False, "19位；商品目录中已有的项目可不填"),
    Column("spec", "规格型号", False, "选填"),
    Column("unit", "单位", False, "选填"),
    Column("quantity", "数量", False, "选填；与单价同填时金额可不填"),
    Column("unit_price", "单价", False, "选填；按价格模式含税或不含税"),
    Column("amount", "金额", False, "按价格模式含税或不含税；填了单价和数量时可不填"),
    Column("rate", "税率", False, "如 13%、6%、免税；商品目录中已有的项目可不填"),
    Column("tax", "税额", False, "选填；不填则自动计算"),
    Column("discount", "折扣行", False, "是 或 否；折扣行紧跟被折扣的行，金额为负数"),
)
BY_KEY = {column.key: column for column in COLUMNS}
#: the column our error file adds; read back, it is ignored
ERROR_COLUMN = "错误信息"
YES = frozenset({"是", "y", "yes", "true", "1", "含税"})
INCLUSIVE = frozenset({"含税", "是", "inclusive"})
EXCLUSIVE = frozenset({"", "不含税", "否", "exclusive"})
#: a draft's fields (as :func:`draft_data` names them) and the column each comes from
_FIELD_COLUMNS = {
    "kind": "kind",
    "mode": "mode",
    "remarks": "remarks",
    "payee": "payee",
    "reviewer": "reviewer",
    "channel": "kind",
    "buyer": "buyer_name",
    **{
        f"buyer.{name}": f"buyer_{name}"
        for name in (
            "name",
            "tax_id",
            "address",
            "phone",
            "bank",
            "account",
            "individual",
            "email",
            "mobile",
        )
    },
}


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # as a spreadsheet counts: the header is row 1
    column: str  # the column's label
    message: str


@dataclass
class Group:
    """The rows of one 单据号: the invoice's values (and the row each was read from) and its
    lines (and their rows)."""

    order: str
    values: dict[str, str] = field(default_factory=dict)
    value_rows: dict[str, int] = field(default_factory=dict)
    lines: list[dict[str, str]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    @property
    def first_row(self) -> int:
        return self.rows[0]


def header_keys(cells: Sequence[Any]) -> list[str | None]:
    """The column key of each header cell (by its label or key; None for a column we do not
    know, such as our own 错误信息); refuses a header without 单据号 or 项目名称."""
    names = {column.label: column.key for column in COLUMNS}
    names.update({column.key: column.key for column in COLUMNS})
    keys = [names.get(str(cell if cell is not None else "").strip()) for cell in cells]
    for needed in ("order", "name"):
        if needed not in keys:
            raise BadFile(
                Text("第1行应为表头，且包含“{0}”列（请使用下载的模板）", BY_KEY[needed].label),
                field="file",
            )
    return keys


def group_rows(
    keys: Sequence[str | None], rows: Iterable[tuple[int, Sequence[str]]]
) -> tuple[list[Group], list[RowError]]:
    """The invoices the rows make, in the order their 单据号 first appear, and the errors found
    while grouping (a row without 单据号, an invoice field differing between rows)."""
    groups: dict[str, Group] = {}
    errors: list[RowError] = []
    invoice_keys = [(at, key) for at, key in enumerate(keys) if key and BY_KEY[key].invoice]
    line_keys = [(at, key) for at, key in enumerate(keys) if key and not BY_KEY[key].invoice]
    order_at = keys.index("order")
    for number, cells in rows:
        order = cells[order_at].strip() if order_at < len(cells) else ""
        if not order:
            errors.append(RowError(number, BY_KEY["order"].label, "请填写单据号"))
            continue
        group = groups.get(order)
        if group is None:
            group = groups[order] = Group(order)
        for at, key in invoice_keys:
            value = cells[at].strip() if at < len(cells) else ""
            if not value or key == "order":
                continue
            known = group.values.get(key)
            if known is None:
                group.values[key] = value
                group.value_rows[key] = number
            elif known != value:
                errors.append(
                    RowError(
                        number,
                        BY_KEY[key].label,
                        Text(
                            "同一单据号的各行{0}应一致（第{1}行为“{2}”）",
                            BY_KEY[key].label,
                            group.value_rows[key],
                            known,
                        ),
                    )
                )
        group.lines.append(
            {key: cells[at].strip() if at < len(cells) else "" for at, key in line_keys}
        )
        group.rows.append(number)
    return list(groups.values()), errors


def _flag(value: str) -> bool:
    return value.strip().lower() in YES


def mode_of(value: str) -> str:
    """The price mode a 价格模式 cell names (``inclusive``, ``exclusive``), else the cell."""
    text = value.strip().lower()
    if text in INCLUSIVE:
        return "inclusive"
    if text in EXCLUSIVE:
        return "exclusive"
    return value  # refused by the draft's reader, naming the column


def draft_data(group: Group, *, kind: str = "", drawer: str = "") -> dict[str, Any]:
    """The group as the draft JSON the single issue reads (``invoicing.drafts.parse_draft``);
    ``kind`` when the rows name none."""
    values = group.values
    buyer: dict[str, Any] = {
        name: values.get(f"buyer_{name}", "")
        for name in ("name", "tax_id", "address", "phone", "bank", "account", "email", "mobile")
    }
    buyer["individual"] = _flag(values.get("buyer_individual", ""))
    lines = []
    for line in group.lines:
        item: dict[str, Any] = {
            key: line.get(key, "")
            for key in (
                "name",
                "tax_code",
                "spec",
                "unit",
                "quantity",
                "unit_price",
                "amount",
                "rate",
                "tax",
            )
        }
        item["discount"] = _flag(line.get("discount", ""))
        item["short_name"] = line.get("short_name", "")
        lines.append(item)
    return {
        "kind": values.get("kind") or kind,
        "mode": mode_of(values.get("mode", "")),
        "buyer": buyer,
        "lines": lines,
        "remarks": values.get("remarks", ""),
        "payee": values.get("payee", ""),
        "reviewer": values.get("reviewer", ""),
        "drawer": drawer,
    }


def fill_from_catalogs(
    group: Group,
    *,
    customer: Mapping[str, str] | None,
    products: Mapping[tuple[str, str], Mapping[str, str]],
) -> None:
    """Blank cells filled from the catalogs: the buyer's details from ``customer`` (found by
    the caller by name or tax id), a line's code, 简称, rate, unit and price from the product
    of its name and spec. What the file gives is kept."""
    if customer is not None:
        for name, value in customer.items():
            key = f"buyer_{name}"
            if value and not group.values.get(key):
                group.values[key] = value
    for line in group.lines:
        product = products.get((line.get("name", ""), line.get("spec", "")))
        if product is None:
            continue
        for key in ("tax_code", "short_name", "rate", "unit"):
            if not line.get(key) and product.get(key):
                line[key] = product[key]
        if not line.get("unit_price") and not line.get("amount") and product.get("unit_price"):
            line["unit_price"] = product["unit_price"]


def locate(
    group: Group, field_path: str | None, *, sources: Sequence[int] | None = None
) -> tuple[int, str]:
    """The row and column label a refusal of the group's draft names (``lines.3.rate`` is the
    fourth line's 税率). ``sources`` maps merged lines to the first line they stand for."""
    path = field_path or ""
    if path.startswith("lines."):
        _, index_text, *rest = [*path.split("."), ""]
        if index_text.isdigit():
            index = int(index_text)
            if sources is not None and index < len(sources):
                index = sources[index]
            row = group.rows[min(index, len(group.rows) - 1)]
            key = rest[0] if rest and rest[0] in BY_KEY else "name"
            return row, BY_KEY[key].label
    if path == "lines":
        return group.first_row, BY_KEY["amount"].label
    key = _FIELD_COLUMNS.get(path, "order")
    return group.value_rows.get(key, group.first_row), BY_KEY[key].label


def line_data(line: LineInput) -> dict[str, Any]:
    """A line as the draft JSON names it (figures as text), for a merged or split invoice."""

    def text(value: Decimal | None) -> str:
        return "" if value is None else f"{value:f}"

    return {
        "name": line.name,
        "tax_code": line.tax_code,
        "short_name": line.short_name,
        "spec": line.spec,
        "unit": line.unit,
        "quantity": text(line.quantity),
        "unit_price": text(line.unit_price),
        "amount": text(line.amount),
        "rate": line.rate.key,
        "tax": text(line.tax),
        "discount": line.discount,
    }
