"""The lines of an invoice face's table, from its words and where they stand
(:mod:`fapiao.domain.facelayout` finds the header and 合计 rows): a row's figures are told by
their order around the rate (数量, 单价, 金额 | 税率 | 税额), since they are right-aligned under
headers that are centred; its text by the column it stands under; a row with no 金额
continues the line above (a name or spec wrapped)."""

from __future__ import annotations

import re

from fapiao.domain.facewords import Label, Word, box_of, first_label, money_of
from fapiao.domain.reading import Line

#: the table's columns, by the header printed over each
COLUMNS = {
    "项目名称": "name",
    "货物或应税劳务、服务名称": "name",
    "货物或应税劳务名称": "name",
    "规格型号": "spec",
    "单位": "unit",
    "数量": "quantity",
    "单价": "unit_price",
    "金额": "amount",
    "税率/征收率": "rate",
    "税率": "rate",
    "税额": "tax",
}
_RATE = re.compile(r"-?\d+(?:\.\d+)?%|免税|不征税|\*{2,}")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_TEXT_COLUMNS = ("name", "spec", "unit")


def _figure(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text.strip()) or _RATE.fullmatch(text.strip()))


def segments(row: list[Word]) -> list[Word]:
    """The row's words that stand close together (less than 0.6 of a height apart) as one:
    a cell's text split into runs (``*`` ``黑色金属`` ``*`` ``螺``, ``HRB400`` ``φ`` ``16E``).
    A figure stays on its own (an OFD's boxes are as wide as their cells, touching)."""
    merged: list[list[Word]] = []
    for word in row:
        last = merged[-1][-1] if merged else None
        close = last is not None and word.x0 - last.x1 < 0.6 * max(word.height, last.height)
        apart = last is not None and (word.part or last.part)
        if close and not apart and not any(_figure(w.text) for w in (word, last) if w):
            merged[-1].append(word)
        else:
            merged.append([word])
    return [box_of(group, "".join(w.text.strip() for w in group)) for group in merged]


def _column(segment: Word, columns: list[tuple[Label, str]], among: tuple[str, ...]) -> str:
    """The column of ``among`` whose header ``segment`` overlaps most, else the nearest."""
    chosen = [(label, name) for label, name in columns if name in among]
    if not chosen:
        return ""

    def fit(item: tuple[Label, str]) -> tuple[float, float]:
        box = item[0].box
        overlap = min(segment.x1, box.x1) - max(segment.x0, box.x0)
        return (max(overlap, 0.0), -abs(segment.cx - box.cx))

    return max(chosen, key=fit)[1]


def _cells(row: list[Word], columns: list[tuple[Label, str]]) -> dict[str, str]:
    """A row's cells. The figures are told by their order around the rate (金额 just before
    it, 税额 after it, 单价 and 数量 before 金额), since they are right-aligned under headers
    that are centred; text goes to the name, spec or unit column it stands under."""
    parts = segments(row)
    rate_at = next((i for i, p in enumerate(parts) if _RATE.fullmatch(p.text)), None)
    cells: dict[str, list[str]] = {}
    figures = [i for i, p in enumerate(parts) if _NUMBER.fullmatch(p.text)]
    named: dict[int, str] = {}
    if rate_at is not None:
        named[rate_at] = "rate"
        after = [i for i in figures if i > rate_at]
        before = [i for i in figures if i < rate_at]
        if after:
            named[after[0]] = "tax"
        if before:
            named[before[-1]] = "amount"
            rest = before[:-1][-2:]
            if len(rest) == 2:
                named[rest[0]], named[rest[1]] = "quantity", "unit_price"
            elif rest:
                named[rest[0]] = _column(parts[rest[0]], columns, ("quantity", "unit_price"))
    for index, part in enumerate(parts):
        name = named.get(index) or _column(
            part, columns, _TEXT_COLUMNS if rate_at is not None else tuple(COLUMNS.values())
        )
        cells.setdefault(name, []).append(part.text)
    return {name: "".join(texts) for name, texts in cells.items()}


def lines_of(rows: list[list[Word]], labels: list[Label]) -> list[Line]:
    header = [label for label in labels if label.name in COLUMNS]
    if not header:
        return []
    header_row = max({h.row for h in header}, key=lambda r: sum(h.row == r for h in header))
    columns = [(label, COLUMNS[label.name]) for label in header if label.row == header_row]
    if not any(name == "amount" for _, name in columns):
        return []
    end = first_label(labels, "合计")
    last = end.row if end is not None and end.row > header_row else len(rows)
    lines: list[Line] = []
    for row in rows[header_row + 1 : last]:
        text = _cells(row, columns)
        amount = money_of(text.get("amount", ""))
        if amount is not None:
            lines.append(
                Line(
                    name=text.get("name", ""),
                    spec=text.get("spec", ""),
                    unit=text.get("unit", ""),
                    quantity=text.get("quantity", ""),
                    unit_price=text.get("unit_price", ""),
                    amount=amount,
                    rate=text.get("rate", ""),
                    tax=money_of(text.get("tax", "")),
                )
            )
        elif lines:  # the line above continued: its name or spec wrapped
            line = lines[-1]
            line.name += text.get("name", "")
            spec = text.get("spec", "")
            line.spec = f"{line.spec} {spec}".strip() if spec else line.spec
    return lines
