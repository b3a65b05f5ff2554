"""商品和服务税收分类编码: the 19-digit code, its 简称 and the ``*简称*名称`` rule (DOMAIN §3).

A curated table of common codes ships in ``data/taxcodes.csv``; the full national table can be
loaded from a file of the same columns (``code,short_name,name,rate``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from fapiao.domain.errors import DomainError, Text
from fapiao.domain.rates import TaxRate, parse_rate

TAX_CODE_DIGITS = 19
_CODE = re.compile(r"[1-6]\d{18}")
_PREFIXED = re.compile(r"^\*([^*]+)\*")

#: The first digit of a code: what is sold.
CATEGORIES = {
    "1": "货物", "2": "劳务", "3": "服务", "4": "无形资产", "5": "不动产", "6": "不征税项目",
}  # fmt: skip


class BadTaxCode(DomainError):
    code = "bad_tax_code"


@dataclass(frozen=True, slots=True)
class TaxCode:
    code: str
    short_name: str  # 简称
    name: str
    rate: TaxRate  # the usual rate

    @property
    def category(self) -> str:
        return CATEGORIES[self.code[0]]


def validate_tax_code(code: str, *, field: str = "tax_code") -> str:
    text = code.strip()
    if not _CODE.fullmatch(text):
        raise BadTaxCode("税收分类编码应为19位数字，首位为1至6", field=field)
    return text


def display_name(short_name: str, name: str) -> str:
    """The item name as printed: ``*信息技术服务*软件开发服务``.

    A name that already carries a ``*…*`` prefix gets it replaced, never doubled.
    """
    bare = _PREFIXED.sub("", name.strip(), count=1)
    return f"*{short_name}*{bare}"


def split_display_name(text: str) -> tuple[str, str]:
    """``*谷物*稻谷`` → (``谷物``, ``稻谷``); without a prefix the 简称 is empty."""
    match = _PREFIXED.match(text.strip())
    if not match:
        return "", text.strip()
    return match.group(1), text.strip()[match.end() :]


class TaxCodeTable:
    def __init__(self, codes: Iterable[TaxCode]) -> None:
        self._codes = {item.code: item for item in codes}

    def __len__(self) -> int:
        return len(self._codes)

    def __iter__(self) -> Iterator[TaxCode]:
        return iter(self._codes.values())

    def get(self, code: str) -> TaxCode | None:
        return self._codes.get(code)

    def search(self, text: str, *, limit: int = 20) -> list[TaxCode]:
        """Codes whose number starts with, or whose names contain, ``text``."""
        needle = text.strip()
        found = [
            item
            for item in self._codes.values()
            if item.code.startswith(needle) or needle in item.name or needle in item.short_name
        ]
        return found[:limit]


def read_table(rows: Iterable[str]) -> TaxCodeTable:
    """Parse CSV lines with the header ``code,short_name,name,rate``; errors name the row."""
    codes = []
    reader = csv.DictReader(rows)
    missing = {"code", "short_name", "name", "rate"} - set(reader.fieldnames or ())
    if missing:
        raise BadTaxCode(
            Text("税收分类编码表缺少列：{0}", "、".join(sorted(missing))), field="file"
        )
    for row_number, row in enumerate(reader, start=2):
        where = f"row.{row_number}"
        code = validate_tax_code(row["code"], field=f"{where}.code")
        short_name, name = row["short_name"].strip(), row["name"].strip()
        if not short_name or not name:
            raise BadTaxCode(Text("第{0}行：简称和名称不能为空", row_number), field=where)
        codes.append(
            TaxCode(code, short_name, name, parse_rate(row["rate"], field=f"{where}.rate"))
        )
    return TaxCodeTable(codes)


def load_table(path: Path) -> TaxCodeTable:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return read_table(handle)


@cache
def builtin_table() -> TaxCodeTable:
    """The curated table that ships with Fapiao."""
    text = resources.files("fapiao.domain").joinpath("data/taxcodes.csv").read_text("utf-8")
    return read_table(text.splitlines())
