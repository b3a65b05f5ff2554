"""What a layout draws on: a surface (PDF or OFD), columns, text measured and wrapped, line
rows and whether they fit.

Positions are millimetres from the top-left corner; a text's ``y`` is its baseline."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth

from fapiao.documents.fonts import Face, registered
from fapiao.documents.model import DocLine, money

RGB = tuple[int, int, int]


LABEL: RGB = (153, 46, 26)


BLACK: RGB = (0, 0, 0)


PT = 0.3528  # mm per point


LEADING = 1.25  # line height as a multiple of the font size


@dataclass(frozen=True)
class Column:
    title: str
    left: float  # mm
    right: float
    align: str  # "l", "c" or "r"
    whole: bool = False  # a figure: kept on one line, smaller when it must be
    tag: str = ""  # the invoice field its cells show (an OFD's CustomTag)

    @property
    def width(self) -> float:
        """Room for text inside the cell, mm."""
        return self.right - self.left - 1.6


def face_of(color: RGB, face: Face | None) -> Face:
    """The face a text is set in: as asked, else labels in the Song face and values in Kai."""
    return face or (Face.SERIF if color == LABEL else Face.KAI)


@functools.cache
def char_width(char: str, size: float, face: Face = Face.KAI) -> float:
    """Advance of ``char`` in mm at ``size`` points, from the metrics of ``face``."""
    return stringWidth(char, registered(face), size) * PT


def text_width(text: str, size: float, face: Face = Face.KAI) -> float:
    """Width in mm of ``text`` at ``size`` points."""
    return sum(char_width(char, size, face) for char in text)


#: what a line break may not split: a run of digits and Latin letters (an amount, a unit price, an
#: account, a tax id), so that a reader of the file gets it as one token
_TOKENS = re.compile(r"[0-9A-Za-z.,:@_%+\-/]+|.", re.S)
#: the smallest size a value is printed at before its cell grows or it goes on
FLOOR = 4.5


def _chars(token: str, width: float, size: float) -> list[str]:
    """A token longer than a whole line, cut where it must be."""
    pieces, current, used = [], "", 0.0
    for char in token:
        advance = char_width(char, size)
        if current and used + advance > width:
            pieces.append(current)
            current, used = "", 0.0
        current += char
        used += advance
    return [*pieces, current]


def wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` broken into lines no wider than ``width`` mm: at its line breaks, CJK text
    anywhere, a run of digits and Latin letters only when it is longer than a line."""
    if "\n" in text:
        return [line for part in text.split("\n") for line in wrap(part, width, size)]
    lines: list[str] = []
    current, used = "", 0.0
    for piece in _TOKENS.findall(text):
        advance = text_width(piece, size)
        if current and used + advance > width:
            lines.append(current.rstrip())
            current, used = "", 0.0
            if piece.isspace():  # a break takes the space it falls on
                continue
        if advance > width:
            *whole, current = _chars(piece, width, size)
            lines.extend(whole)
            used = text_width(current, size)
            continue
        current += piece
        used += advance
    if current or not lines:
        lines.append(current)
    return lines


def one_line(text: str, width: float, size: float, face: Face = Face.KAI) -> float:
    """The size at which ``text`` fits ``width`` mm on one line (``size`` when it does)."""
    needed = text_width(text, size, face)
    return size if needed <= width else size * width / needed * 0.999


def lines_fitting(height: float, size: float) -> int:
    return max(1, int(height / (size * LEADING * PT) + 1e-9))


def draw_block(
    page: Surface, x: float, y: float, lines: Sequence[str], size: float, *, tag: str = ""
) -> None:
    """``lines`` from the baseline ``y`` down, one step of ``size`` apart."""
    for index, text in enumerate(lines):
        page.text(x, y + index * size * LEADING * PT, text, size, tag=tag)


def fit(text: str, width: float, height: float, size: float) -> tuple[list[str], float]:
    """``text`` wrapped at the largest size down to :data:`FLOOR` whose lines fit ``height`` mm;
    at the floor, the lines it needs (the caller grows the cell or goes on)."""
    current = size
    while True:
        lines = wrap(text, width, current)
        if len(lines) * current * LEADING * PT <= height or current <= FLOOR:
            return lines, current
        current = max(FLOOR, current - 0.25)


class Surface:
    """Where a layout draws: the primitives each renderer implements, and what follows."""

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float = 9,
        *,
        color: RGB = BLACK,
        align: str = "l",
        tag: str = "",
        face: Face | None = None,
    ) -> None:
        """Text with its baseline at ``y``; ``align`` says what ``x`` is (left, centre, right);
        ``tag`` names the invoice field the text shows; ``face`` as :func:`face_of` says."""
        raise NotImplementedError

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.8) -> None:
        raise NotImplementedError

    def circle(self, x: float, y: float, radius: float) -> None:
        raise NotImplementedError

    def qr(self, x: float, y: float, size: float, payload: str) -> None:
        """The QR code of ``payload`` in a ``size`` mm square whose top-left is (x, y)."""
        raise NotImplementedError

    def new_page(self) -> None:
        raise NotImplementedError

    def box(self, left: float, top: float, right: float, bottom: float, width: float = 1) -> None:
        corners = ((left, top), (right, top), (right, bottom), (left, bottom), (left, top))
        for (x1, y1), (x2, y2) in itertools.pairwise(corners):
            self.line(x1, y1, x2, y2, width)

    def vertical(self, left: float, right: float, top: float, bottom: float, text: str) -> None:
        """Characters stacked in a label column, centred."""
        size = 9
        step = size * LEADING * PT
        start = (top + bottom) / 2 - step * (len(text) - 1) / 2 + size * PT * 0.35
        for index, char in enumerate(text):
            self.text((left + right) / 2, start + index * step, char, size, color=LABEL, align="c")

    def circled_x(self, x: float, y: float, radius: float = 1.6) -> None:
        """⊗, drawn: a circle with a cross, centred on (x, y)."""
        self.circle(x, y, radius)
        d = radius * 0.7071
        self.line(x - d, y - d, x + d, y + d, 0.6)
        self.line(x - d, y + d, x + d, y - d, 0.6)


def draw_cell(page: Surface, column: Column, y: float, text: str, size: float) -> None:
    if column.align == "r":
        page.text(column.right - 1, y, text, size, align="r", tag=column.tag)
    elif column.align == "c":
        page.text((column.left + column.right) / 2, y, text, size, align="c", tag=column.tag)
    else:
        page.text(column.left + 0.8, y, text, size, tag=column.tag)


@dataclass(frozen=True)
class Row:
    cells: tuple[tuple[str, ...], ...]  # each column's wrapped text lines
    height: float  # mm
    sizes: tuple[float, ...]  # each column's font size, points


#: a line's fields in the order of :func:`line_values`: the field each shows (an OFD's CustomTag),
#: how it is aligned, and whether it is a figure kept whole on one line
LINE_FIELDS = (
    ("Item", "l", False),
    ("Specification", "l", False),
    ("MeasurementDimension", "c", False),
    ("Quantity", "r", True),
    ("Price", "r", True),
    ("Amount", "r", True),
    ("TaxScheme", "c", True),
    ("TaxAmount", "r", True),
)


def line_columns(
    titles: Sequence[str], edges: Sequence[float], *, tagged: bool = True
) -> tuple[Column, ...]:
    """The columns of a line table: a title for each of :data:`LINE_FIELDS`, between ``edges``
    (one more than the titles, mm)."""
    return tuple(
        Column(title, left, right, align, whole=whole, tag=tag if tagged else "")
        for title, left, right, (tag, align, whole) in zip(
            titles, edges[:-1], edges[1:], LINE_FIELDS, strict=True
        )
    )


def line_values(line: DocLine) -> tuple[str, ...]:
    return (
        line.name,
        line.spec,
        line.unit,
        line.quantity,
        line.unit_price,
        money(line.amount),
        line.rate,
        line.tax_text,
    )


def row_of(values: Sequence[str], columns: Sequence[Column], size: float) -> Row:
    """One table row: text wrapped inside its column, figures whole on one line."""
    cells, sizes = [], []
    for value, column in zip(values, columns, strict=True):
        if column.whole:
            cells.append((value,))
            sizes.append(one_line(value, column.width, size))
        else:
            cells.append(tuple(wrap(value, column.width, size)))
            sizes.append(size)
    height = max(len(cell) for cell in cells) * size * LEADING * PT
    return Row(tuple(cells), height, tuple(sizes))


def rows_of(lines: Sequence[DocLine], columns: Sequence[Column], size: float) -> list[Row]:
    """The table rows of ``lines``."""
    return [row_of(line_values(line), columns, size) for line in lines]


def draw_rows(
    page: Surface, rows: Sequence[Row], columns: Sequence[Column], top: float, size: float
) -> float:
    """Draw ``rows`` from ``top``; returns where they end."""
    step = size * LEADING * PT
    y = top
    for row in rows:
        for cell, column, cell_size in zip(row.cells, columns, row.sizes, strict=True):
            for index, text in enumerate(cell):
                draw_cell(page, column, y + step * (index + 0.8), text, cell_size)
        y += row.height
    return y


def paged(rows: Sequence[Row], height: float) -> list[list[Row]]:
    """``rows`` cut into pages of at most ``height`` mm of rows each (a page takes at least one)."""
    pages: list[list[Row]] = [[]]
    used = 0.0
    for row in rows:
        if pages[-1] and used + row.height > height:
            pages.append([])
            used = 0.0
        pages[-1].append(row)
        used += row.height
    return pages


def fits(rows: Sequence[Row], height: float, limit: int | None) -> bool:
    return (limit is None or len(rows) <= limit) and sum(r.height for r in rows) <= height
