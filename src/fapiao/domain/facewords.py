"""The words of an invoice's face and where they stand: a run of text and its box, the text
normalised (full-width forms and lookalikes folded, glyphs spaced apart joined), words in rows,
the labels printed. What :mod:`fapiao.domain.facelayout` and :mod:`fapiao.domain.facetable`
read the fields and the lines from."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")


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


#: what OCR reads the yuan sign as (V39379.52, Y12.50), before an amount in 元 and 分
_YUAN_MISREAD = re.compile(r"(?:^|(?<=[\s)）:]))[VYvy羊半](?=-?\d[\d,]*\.\d{2}(?![\d.]))")


def ocr_repaired(text: str) -> str:
    """OCR's known misreadings of an invoice's face put right: a yuan sign read as a letter or
    a like-shaped character before an amount with its 分 ("V39379.52" → "¥39379.52")."""
    return _YUAN_MISREAD.sub("¥", text)


def joined(words: Iterable[Word]) -> str:
    """Words of a cell or a row joined: no space where either side is Chinese."""
    out = ""
    for word in words:
        text = word.text.strip()
        if out and text and not (CJK.search(out[-1]) or CJK.search(text[0])):
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


def box_of(words: list[Word], text: str) -> Word:
    return Word(
        text,
        min(w.x0 for w in words),
        min(w.y0 for w in words),
        max(w.x1 for w in words),
        max(w.y1 for w in words),
    )


def money_of(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "").replace("¥", "").strip())
    except InvalidOperation:
        return None


def first_label(labels: list[Label], name: str, nth: int = 0) -> Label | None:
    found = [label for label in labels if label.name == name]
    return found[nth] if len(found) > nth else None
