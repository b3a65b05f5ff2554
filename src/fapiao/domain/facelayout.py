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
from dataclasses import replace
from datetime import date
from decimal import Decimal

from fapiao.domain.facetable import COLUMNS, lines_of
from fapiao.domain.facewords import (
    CJK,
    Label,
    Word,
    box_of,
    first_label,
    joined,
    money_of,
    normalise,
    ocr_repaired,
    rows_of,
)
from fapiao.domain.reading import Candidate, Source

_KINDS = (  # the title printed, most specific first
    ("电子发票(增值税专用发票)", "DIGITAL_SPECIAL"),
    ("电子发票(普通发票)", "DIGITAL_ORDINARY"),
    ("增值税电子专用发票", "VAT_SPECIAL_ELECTRONIC"),
    ("增值税电子普通发票", "VAT_ORDINARY_ELECTRONIC"),
    ("增值税专用发票", "VAT_SPECIAL_PAPER"),
    ("增值税普通发票", "VAT_ORDINARY_PAPER"),
)
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
            found.append(Label(label, box_of(row[start : end + 1], label), rest, index))
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
    return joined(run).strip()


def _digits(label: Label | None, rows: list[list[Word]], labels: list[Label]) -> str:
    return re.sub(r"\s", "", _value(label, rows, labels))


def date_of(text: str) -> date | None:
    match = re.search(r"(20\d{2})\D{0,3}?(\d{1,2})\D{0,3}?(\d{1,2})", text)
    try:
        return date(int(match[1]), int(match[2]), int(match[3])) if match else None
    except ValueError:
        return None


def _width(text: str) -> int:
    return sum(2 if CJK.match(char) else 1 for char in text)


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
    repair = ocr_repaired if source == Source.OCR else str
    words = [
        part
        for w in words
        if w.text.strip()
        for part in split(Word(repair(normalise(w.text)), w.x0, w.y0, w.x1, w.y1, w.score))
    ]
    rows = rows_of(words)
    labels = labels_of(rows)
    text = "".join(joined(row) for row in rows)
    fields: dict[str, object] = {}
    fields["kind"] = kind_of(text)
    number = re.search(r"\d{20}|\d{8}", _digits(first_label(labels, "发票号码"), rows, labels))
    code = re.search(r"\d{12}|\d{10}", _digits(first_label(labels, "发票代码"), rows, labels))
    check = re.sub(r"\D", "", _value(first_label(labels, "校验码"), rows, labels))
    fields.update(
        invoice_number=number[0] if number else None,
        invoice_code=code[0] if code else None,
        date=date_of(_value(first_label(labels, "开票日期"), rows, labels)),
        check_code=check if len(check) == 20 else None,
        issuer=next(iter(_value(first_label(labels, "开票人"), rows, labels).split()), None),
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
    return Candidate(source, fields, lines_of(rows, labels), confidence)


def _totals(rows: list[list[Word]], labels: list[Label]) -> dict[str, object]:
    found: dict[str, object] = {}
    # the row of 价税合计（大写）, or, where that label is misread, of （小写）
    words_label = first_label(labels, "价税合计(大写)") or first_label(labels, "(小写)")
    total_label = first_label(labels, "合计")
    row = None
    if total_label is not None:
        row = joined(_right_of(total_label, rows, labels))
    elif words_label is not None and words_label.row > 0:  # 合计 misread: the row above
        row = joined(rows[words_label.row - 1])
    figures = [money_of(f) for f in _FIGURE.findall(row or "")]
    if row is not None and figures:
        found["amount_excl_tax"] = figures[0]
        found["tax"] = figures[-1] if len(figures) > 1 else (Decimal(0) if "*" in row else None)
    if words_label is not None:
        after = [w for w in rows[words_label.row] if w.x0 >= words_label.box.x1 - 0.5]
        row = joined([replace(words_label.box, text=words_label.rest), *after])
        figures = [money_of(f) for f in _FIGURE.findall(row)]
        found["total"] = figures[-1] if figures else None
        if words_label.name == "价税合计(大写)":
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
    return "\n".join(joined(row) for row in rows_of(inside)).strip()
