"""The fields of an invoice's printed face, from its words and where they stand: a PDF's text
layer, an OFD's text objects, or the boxes OCR found in a picture.

The layout, not the order of the text, says what a word is: a value stands to the right of its
label on the label's row (发票号码, 开票日期, 名称, 纳税人识别号, 开票人), the buyer's labels
come before the seller's in reading order (left of them in the 数电 layout, above them in the
older one), the lines stand between the table's header row and 合计 in the columns the header
names, and a row with no 金额 continues the line above it. Text is normalised first: full-width
and lookalike code points (Kangxi radicals) to the ordinary ones, glyphs spaced apart joined.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from fapiao.domain.reading import Candidate, Line

_KINDS = (  # the title printed, most specific first
    ("电子发票(增值税专用发票)", "DIGITAL_SPECIAL"),
    ("电子发票(普通发票)", "DIGITAL_ORDINARY"),
    ("增值税电子专用发票", "VAT_SPECIAL_ELECTRONIC"),
    ("增值税电子普通发票", "VAT_ORDINARY_ELECTRONIC"),
    ("增值税专用发票", "VAT_SPECIAL_PAPER"),
    ("增值税普通发票", "VAT_ORDINARY_PAPER"),
)
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
LABELS = (
    "发票号码",
    "发票代码",
    "开票日期",
    "校验码",
    "机器编号",
    "名称",
    "纳税人识别号",
    "统一社会信用代码/纳税人识别号",
    "地址、电话",
    "开户行及账号",
    "合计",
    "价税合计(大写)",
    "(小写)",
    "开票人",
    "收款人",
    "复核",
    "销售方:(章)",
    "密码区",
    *COLUMNS,
)
_MONEY_WORDS = re.compile(r"[(（]?负数[)）]?|[零壹贰叁肆伍陆柒捌玖拾佰仟万亿圆元角分整正]+")
_FIGURE = re.compile(r"¥\s*(-?\d[\d,]*\.\d{2})")
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")


@dataclass(frozen=True)
class Word:
    """A run of text and its box, top-down (y grows downwards), in any unit."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    score: float = 1.0
    part: bool = False  # one of the space-separated parts of a box (OCR joins cells)

    @property
    def height(self) -> float:
        return max(self.y1 - self.y0, 1e-6)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


def normalise(text: str) -> str:
    """NFKC (full-width digits and colons, Kangxi radicals), ￥ as ¥, glyphs spaced apart
    joined: "9 1 5 1" → "9151", "内 江" → "内江"."""
    text = unicodedata.normalize("NFKC", text).replace("￥", "¥").replace("\r", "\n")
    text = re.sub(r"(?<=\S) (?=\S(?: |$))", "", text) if re.fullmatch(r"(\S )+\S", text) else text
    return re.sub(r"(?<=[\u3400-\u9fff:(),、/]) +| +(?=[\u3400-\u9fff:(),、/])", "", text)


def _joined(words: Iterable[Word]) -> str:
    """Words of a cell or a row joined: no space where either side is Chinese."""
    out = ""
    for word in words:
        text = word.text.strip()
        if out and text and not (_CJK.search(out[-1]) or _CJK.search(text[0])):
            out += " "
        out += text
    return out


def rows_of(words: list[Word]) -> list[list[Word]]:
    """The words in rows (their vertical middles within half a height), each left to right,
    the rows top to bottom."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.cy, w.x0)):
        row = rows[-1] if rows else None
        if row and abs(word.cy - sum(w.cy for w in row) / len(row)) <= 0.5 * max(
            word.height, row[0].height
        ):
            row.append(word)
        else:
            rows.append([word])
    return [sorted(row, key=lambda w: w.x0) for row in rows]


@dataclass(frozen=True)
class Label:
    name: str
    box: Word  # the words it spans, as one
    rest: str  # what follows it in its last word ("发票号码:2451…" from OCR)
    row: int


def _box(words: list[Word], text: str) -> Word:
    return Word(
        text,
        min(w.x0 for w in words),
        min(w.y0 for w in words),
        max(w.x1 for w in words),
        max(w.y1 for w in words),
    )


def labels_of(rows: list[list[Word]]) -> list[Label]:
    """Every label printed, found across the words it is split into (单 位, 合 计)."""
    found = []
    for index, row in enumerate(rows):
        start = 0
        while start < len(row):
            best = None
            text = ""
            for end in range(start, min(start + 4, len(row))):
                text += re.sub(r"[\s:]", "", row[end].text)
                for label in LABELS:
                    bare = label.replace(":", "")
                    if text.startswith(bare) and (best is None or len(label) > len(best[0])):
                        best = (label, end, text[len(bare) :])
            if best is None:
                start += 1
                continue
            label, end, rest = best
            found.append(Label(label, _box(row[start : end + 1], label), rest, index))
            start = end + 1
    return found


#: glyphs printed down the side of a box (购买方信息, 密码区, 备注): where a value ends
MARKS = set("购买方销售信息密码区备注")


def _right_of(label: Label, rows: list[list[Word]], labels: list[Label]) -> list[Word]:
    """The words after ``label`` on its row, up to the next label or box."""
    stops = [
        other.box.x0 for other in labels if other.row == label.row and other.box.x0 > label.box.x0
    ] + [
        w.x0
        for row in rows
        for w in row
        if w.text.strip()
        and set(w.text.strip()) <= MARKS
        and w.x0 > label.box.x0
        and abs(w.cy - label.box.cy) < 1.5 * label.box.height
    ]
    end = min(stops, default=float("inf"))
    return [
        w
        for w in rows[label.row]
        if w.cx > label.box.x1
        and w.x1 <= end + 0.5
        and not any(o.box.x0 <= w.cx <= o.box.x1 and o.row == label.row for o in labels)
    ]


def _value(label: Label | None, rows: list[list[Word]], labels: list[Label]) -> str:
    """The label's value: what follows it in its own word, then the run of words after it
    (a wide gap ends the run: what stands beyond belongs to another box)."""
    if label is None:
        return ""
    run: list[Word] = [Word(label.rest, label.box.x0, label.box.y0, label.box.x1, label.box.y1)]
    for word in _right_of(label, rows, labels):
        if word.x0 - run[-1].x1 > 3 * max(word.height, run[-1].height):
            break
        run.append(word)
    return _joined(run).strip()


def _digits(label: Label | None, rows: list[list[Word]], labels: list[Label]) -> str:
    return re.sub(r"\s", "", _value(label, rows, labels))


def date_of(text: str) -> date | None:
    match = re.search(r"(20\d{2})\D{0,3}?(\d{1,2})\D{0,3}?(\d{1,2})", text)
    try:
        return date(int(match[1]), int(match[2]), int(match[3])) if match else None
    except ValueError:
        return None


def _money(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "").replace("¥", "").strip())
    except InvalidOperation:
        return None


def _first(labels: list[Label], name: str, nth: int = 0) -> Label | None:
    found = [label for label in labels if label.name == name]
    return found[nth] if len(found) > nth else None


def _width(text: str) -> int:
    return sum(2 if _CJK.match(char) else 1 for char in text)


def split(word: Word) -> list[Word]:
    """A box's space-separated parts, each with its share of the box: OCR reads ``7.44
    3589.38`` or ``*螺纹钢* HRB400`` as one box across two cells."""
    parts = word.text.split()
    if len(parts) < 2:
        return [word]
    unit = (word.x1 - word.x0) / max(_width(word.text), 1)
    out, x = [], word.x0
    for match in re.finditer(r"\S+", word.text):
        x = word.x0 + _width(word.text[: match.start()]) * unit
        end = x + _width(match.group()) * unit
        out.append(Word(match.group(), x, word.y0, end, word.y1, word.score, part=True))
    return out


def kind_of(text: str) -> str | None:
    """The kind the title prints; a title partly hidden by a stamp still tells 数电 by 电子发票
    beside 专用发票 or 普通发票."""
    found = next((kind for title, kind in _KINDS if title in text), None)
    if found is None and "电子发票" in text and "增值税电子" not in text:
        if "专用发票" in text:
            return "DIGITAL_SPECIAL"
        if "普通发票" in text:
            return "DIGITAL_ORDINARY"
    return found


def read_face(words: list[Word], *, source: str) -> Candidate:
    """The fields the face shows; what is not found stays out."""
    words = [
        part
        for w in words
        if w.text.strip()
        for part in split(Word(normalise(w.text), w.x0, w.y0, w.x1, w.y1, w.score))
    ]
    rows = rows_of(words)
    labels = labels_of(rows)
    text = "".join(_joined(row) for row in rows)
    fields: dict[str, object] = {}
    fields["kind"] = kind_of(text)
    number = re.search(r"\d{20}|\d{8}", _digits(_first(labels, "发票号码"), rows, labels))
    code = re.search(r"\d{12}|\d{10}", _digits(_first(labels, "发票代码"), rows, labels))
    check = re.sub(r"\D", "", _value(_first(labels, "校验码"), rows, labels))
    fields.update(
        invoice_number=number[0] if number else None,
        invoice_code=code[0] if code else None,
        date=date_of(_value(_first(labels, "开票日期"), rows, labels)),
        check_code=check if len(check) == 20 else None,
        issuer=next(iter(_value(_first(labels, "开票人"), rows, labels).split()), None),
    )
    names = [label for label in labels if label.name == "名称"]
    ids = [label for label in labels if label.name.endswith("纳税人识别号")]
    for side, nth in (("buyer", 0), ("seller", 1)):
        if len(names) > nth:
            fields[f"{side}_name"] = _value(names[nth], rows, labels) or None
        if len(ids) > nth:
            tax_id = re.search(r"[0-9A-Z]{15,20}", _value(ids[nth], rows, labels))
            fields[f"{side}_tax_id"] = tax_id[0] if tax_id else None
    fields.update(_totals(rows, labels))
    fields["remarks"] = _remarks(rows) or None
    # OCR scores its boxes: the weakest one bounds what was read (a text layer has none)
    weakest = min((w.score for w in words), default=1.0)
    confidence = dict.fromkeys(fields, weakest) if weakest < 1 else {}
    return Candidate(source, fields, _lines(rows, labels), confidence)


def _totals(rows: list[list[Word]], labels: list[Label]) -> dict[str, object]:
    found: dict[str, object] = {}
    total_label = _first(labels, "合计")
    if total_label is not None:
        row = _joined(_right_of(total_label, rows, labels))
        figures = [_money(f) for f in _FIGURE.findall(row)]
        if figures:
            found["amount_excl_tax"] = figures[0]
            found["tax"] = figures[-1] if len(figures) > 1 else (Decimal(0) if "*" in row else None)
    words_label = _first(labels, "价税合计(大写)")
    if words_label is not None:
        row = _joined(w for w in rows[words_label.row] if w.x0 >= words_label.box.x1 - 0.5)
        figures = [_money(f) for f in _FIGURE.findall(row)]
        found["total"] = figures[-1] if figures else None
        spoken = "".join(_MONEY_WORDS.findall(row.split("¥")[0]))
        found["total_in_words"] = spoken or None
    return found


def _remarks(rows: list[list[Word]]) -> str:
    """The words right of the 备 / 注 (or 备注) printed down the remarks box's side, level with
    them."""
    marks = [w for row in rows for w in row if w.text.strip() in ("备", "注", "备注")]
    if not marks:
        return ""
    left = min(m.x1 for m in marks)
    margin = max(m.x1 - m.x0 for m in marks)  # a glyph's width, whichever way the text runs
    top, bottom = min(m.y0 for m in marks) - margin, max(m.y1 for m in marks) + margin
    inside = [
        w
        for row in rows
        for w in row
        if w.x0 > left and top <= w.cy <= bottom and w.text.strip() not in ("备", "注", "备注")
    ]
    return "\n".join(_joined(row) for row in rows_of(inside)).strip()


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
    return [_box(group, "".join(w.text.strip() for w in group)) for group in merged]


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


def _lines(rows: list[list[Word]], labels: list[Label]) -> list[Line]:
    header = [label for label in labels if label.name in COLUMNS]
    if not header:
        return []
    header_row = max({h.row for h in header}, key=lambda r: sum(h.row == r for h in header))
    columns = [(label, COLUMNS[label.name]) for label in header if label.row == header_row]
    if not any(name == "amount" for _, name in columns):
        return []
    end = _first(labels, "合计")
    last = end.row if end is not None and end.row > header_row else len(rows)
    lines: list[Line] = []
    for row in rows[header_row + 1 : last]:
        text = _cells(row, columns)
        amount = _money(text.get("amount", ""))
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
                    tax=_money(text.get("tax", "")),
                )
            )
        elif lines:  # the line above continued: its name or spec wrapped
            line = lines[-1]
            line.name += text.get("name", "")
            spec = text.get("spec", "")
            line.spec = f"{line.spec} {spec}".strip() if spec else line.spec
    return lines
