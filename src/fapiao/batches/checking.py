"""Checking a detail file before anything is issued: every 单据号 read as the single issue reads
a draft and checked by the same rules (DOMAIN), every bad row reported with its column, the
invoices over the single-invoice limit split (when asked) and identical lines merged (when
asked), and the preview's figures: totals by kind and rate, the stock or credit they use."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from fapiao.core.clock import local_date
from fapiao.domain.batchfile import (
    BY_KEY,
    Group,
    RowError,
    draft_data,
    fill_from_catalogs,
    line_data,
    locate,
    mode_of,
)
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.invoice import validate_draft
from fapiao.domain.kinds import ChannelType, InvoiceKind, parse_kind, spec
from fapiao.domain.money import ZERO, parse_money
from fapiao.domain.rates import TaxpayerKind, parse_rate
from fapiao.domain.splitting import merge_lines, split_lines
from fapiao.domain.tax import Computed, PriceMode
from fapiao.invoicing.drafts import DraftInput, parse_draft, seller_of
from fapiao.invoicing.models import Channel, Customer, Product, Taxpayer
from fapiao.invoicing.selectors import channel_as_dict


@dataclass
class Planned:
    """One invoice to issue: its 单据号, part, the rows it comes from, its draft and figures."""

    order: str
    part: int
    parts: int
    rows: list[int]
    data: dict[str, Any]
    kind: InvoiceKind
    computed: Computed


@dataclass(frozen=True)
class Options:
    split: bool = True
    merge: bool = False
    limit: Decimal | None = None  # the clerk's own limit, within the channel's
    kind: str = ""  # the kind of rows that name none

    def as_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "merge": self.merge,
            "kind": self.kind,
            "limit": None if self.limit is None else f"{self.limit:f}",
        }


class Catalogs:
    """The taxpayer's customers (by name and by tax id) and products (by name and spec), read
    once for the whole file."""

    def __init__(self, taxpayer: Taxpayer) -> None:
        fields = ("name", "tax_id", "address", "phone", "bank", "account", "email", "mobile")
        self.customers: dict[str, dict[str, str]] = {}
        for row in Customer.objects.filter(taxpayer=taxpayer).values(*fields, "individual"):
            values = {name: row[name] for name in fields}
            values["individual"] = "是" if row["individual"] else ""
            self.customers.setdefault(row["name"], values)
            if row["tax_id"]:
                self.customers.setdefault(row["tax_id"], values)
        self.products: dict[tuple[str, str], dict[str, str]] = {}
        # a product's price is in its own mode; one given in the other mode is not filled
        self.modes: dict[tuple[str, str], str] = {}
        for item in Product.objects.filter(taxpayer=taxpayer):
            key = (item.name, item.spec)
            self.products[key] = {
                "tax_code": item.tax_code,
                "short_name": item.short_name,
                "rate": item.rate,
                "unit": item.unit,
                "unit_price": "" if item.unit_price is None else f"{item.unit_price.normalize():f}",
            }
            if item.unit_price is not None:
                self.modes[key] = item.price_mode

    def fill(self, group: Group) -> None:
        values = group.values
        customer = self.customers.get(values.get("buyer_tax_id", "")) or self.customers.get(
            values.get("buyer_name", "")
        )
        mode = "inclusive" if mode_of(values.get("mode", "")) == "inclusive" else "exclusive"
        products = {
            key: item if self.modes.get(key, mode) == mode else {**item, "unit_price": ""}
            for key in {(line.get("name", ""), line.get("spec", "")) for line in group.lines}
            if (item := self.products.get(key)) is not None
        }
        fill_from_catalogs(group, customer=customer, products=products)


class Checker:
    """Checks the groups of one file against one taxpayer and channel."""

    def __init__(self, taxpayer: Taxpayer, channel: Channel, options: Options, drawer: str):
        self.taxpayer, self.channel, self.options, self.drawer = taxpayer, channel, options, drawer
        self.seller = seller_of(taxpayer)
        self.kind = TaxpayerKind(taxpayer.kind)
        self.state = channel_as_dict(channel, today=local_date(timezone.now()))
        self.catalogs = Catalogs(taxpayer)

    def limit(self, kind: InvoiceKind) -> Decimal | None:
        """The single-invoice limit of ``kind`` on the channel, or the clerk's lower one."""
        found = self.state.get("monitoring", {}).get(kind.value)
        limits = [Decimal(found["single_limit"])] if found else []
        if self.options.limit is not None:
            limits.append(self.options.limit)
        return min(limits) if limits else None

    def _validated(self, data: dict[str, Any]) -> tuple[DraftInput, Computed]:
        draft = parse_draft(data)
        item = spec(draft.kind)
        if item.channel.value != self.channel.type:
            raise DomainError(
                Text("{0}不能通过开票渠道“{1}”开具", item.name, self.channel.name), field="kind"
            )
        return draft, validate_draft(draft.for_seller(self.seller), taxpayer_kind=self.kind)

    def _line_errors(self, group: Group, data: dict[str, Any]) -> list[RowError]:
        """Each line checked on its own (with the line a discount follows), so that every bad
        row of a refused invoice is named, not only the first."""
        errors = []
        for index, line in enumerate(data["lines"]):
            lines = (
                [line]
                if index == 0 or not line.get("discount")
                else data["lines"][index - 1 : index + 1]
            )
            try:
                self._validated({**data, "lines": lines})
            except DomainError as error:
                path = error.field or ""
                if path.startswith("lines.") or path == "lines":
                    shift = index - (len(lines) - 1)
                    if path.startswith("lines."):
                        at = int(path.split(".")[1]) + shift
                        path = ".".join(["lines", str(at), *path.split(".")[2:]])
                    row, column = locate(group, path)
                    errors.append(RowError(row, column, error.message))
        return errors

    def check(self, group: Group) -> tuple[list[Planned], list[RowError]]:
        """The invoices of one 单据号, or the errors of its rows."""
        self.catalogs.fill(group)
        data = draft_data(group, kind=self.options.kind, drawer=self.drawer)
        sources: list[list[int]] | None = None
        try:
            draft, computed = self._validated(data)
            if self.options.merge:
                merged, sources = merge_lines(draft.draft.lines)
                if len(merged) < len(draft.draft.lines):
                    data = {**data, "lines": [line_data(line) for line in merged]}
                    if draft.draft.mode is PriceMode.INCLUSIVE:
                        data["lines"] = [{**line, "tax": ""} for line in data["lines"]]
                    draft, computed = self._validated(data)
        except DomainError as error:
            firsts = None if sources is None else [indices[0] for indices in sources]
            row, column = locate(group, error.field, sources=firsts)
            errors = [RowError(row, column, error.message)]
            if not (error.field or "").startswith("lines.") or sources is not None:
                return [], errors
            more = [e for e in self._line_errors(group, data) if (e.row, e.column) != (row, column)]
            return [], errors + more
        rows_of = self._rows_of(group, sources)
        limit = self.limit(draft.kind)
        amount = computed.totals.amount
        if limit is None or amount <= limit:
            return [Planned(group.order, 1, 1, group.rows, data, draft.kind, computed)], []
        if not self.options.split:
            message = Text("合计金额{0}元超过单张发票限额{1}元；可选择“超限额拆分”", amount, limit)
            return [], [RowError(group.first_row, BY_KEY["amount"].label, message)]
        try:
            invoices = split_lines(computed.lines, limit)
        except DomainError as error:
            row, column = locate(
                group, error.field, sources=[i[0] for i in sources] if sources else None
            )
            return [], [RowError(row, column, error.message)]
        planned = []
        for part, parts in enumerate(invoices, start=1):
            part_data = {
                **data,
                "mode": PriceMode.EXCLUSIVE.value,
                "lines": [line_data(p.line) for p in parts],
            }
            part_draft, part_computed = self._validated(part_data)
            rows = sorted({row for p in parts for row in rows_of[p.source]})
            planned.append(
                Planned(
                    group.order,
                    part,
                    len(invoices),
                    rows,
                    part_data,
                    part_draft.kind,
                    part_computed,
                )
            )
        return planned, []

    @staticmethod
    def _rows_of(group: Group, sources: list[list[int]] | None) -> list[list[int]]:
        if sources is None:
            return [[row] for row in group.rows]
        return [[group.rows[index] for index in indices] for indices in sources]


def summary(planned: list[Planned], state: dict[str, Any], channel: Channel) -> dict[str, Any]:
    """The preview's figures: totals by kind and rate, the invoices per kind, what the channel
    has left and a warning where it will not last."""
    by: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    count: dict[str, int] = defaultdict(int)
    amount = tax = ZERO
    for item in planned:
        count[item.kind.value] += 1
        amount += item.computed.totals.amount
        tax += item.computed.totals.tax
        for rate in item.computed.totals.by_rate:
            sums = by[(item.kind.value, rate.rate.key)]
            sums[0] += rate.amount
            sums[1] += rate.tax
    warnings: list[str] = []
    if channel.type == ChannelType.DIGITAL:
        left = state.get("credit_left")
        if left is not None and Decimal(left) < amount:
            warnings.append(
                str(
                    Text("本月剩余授信额度{0}元，少于本批合计金额{1}元：用完时将暂停", left, amount)
                )
            )
    else:
        for kind, needed in count.items():
            have = state.get("stock", {}).get(kind) or 0
            if have < needed:
                warnings.append(
                    str(
                        Text(
                            "{0}库存剩余{1}份，本批需要{2}份：用完时将暂停",
                            spec(InvoiceKind(kind)).name,
                            have,
                            needed,
                        )
                    )
                )
    return {
        "invoices": len(planned),
        "split": sum(1 for item in planned if item.part == 1 and item.parts > 1),
        "amount": f"{amount:.2f}",
        "tax": f"{tax:.2f}",
        "total": f"{amount + tax:.2f}",
        "by_kind": dict(count),
        "by_kind_rate": [
            {
                "kind": kind,
                "kind_name": spec(InvoiceKind(kind)).short_name,
                "rate": parse_rate(rate).label,
                "amount": f"{a:.2f}",
                "tax": f"{t:.2f}",
            }
            for (kind, rate), (a, t) in by.items()
        ],
        "channel": {key: state.get(key) for key in ("name", "credit_left", "stock")},
        "warnings": warnings,
    }


def options_of(data: dict[str, Any]) -> Options:
    """The clerk's choices (from a form, the API or the command line), checked."""
    limit_text = str(data.get("limit") or "").strip()
    limit = None
    if limit_text:
        limit = parse_money(limit_text, field="limit", label="拆分限额")
        if limit <= 0:
            raise DomainError("拆分限额必须大于0", field="limit")
    kind = str(data.get("kind") or "").strip()
    if kind:
        kind = parse_kind(kind).value

    def flag(name: str, default: bool) -> bool:
        value = data.get(name, default)
        return value is True or str(value).strip().lower() in ("1", "true", "on", "yes", "是")

    return Options(split=flag("split", True), merge=flag("merge", False), limit=limit, kind=kind)
