"""What a layout draws on: a surface (PDF or OFD), columns, text measured and wrapped, line
rows and whether they fit.

Positions are millimetres from the top-left corner; a text's ``y`` is its baseline."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth

from fapiao.documents.fonts import registered_font
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


@functools.cache
def char_width(char: str, size: float) -> float:
    """Advance of ``char`` in mm at ``size`` points, from the embedded font's metrics."""
    return stringWidth(char, registered_font(), size) * PT


def text_width(text: str, size: float) -> float:
    """Width in mm of ``text`` at ``size`` points."""
    return sum(char_width(char, size) for char in text)


def wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` broken into lines no wider than ``width`` mm; CJK text breaks anywhere."""
    lines: list[str] = []
    current, used = "", 0.0
    for char in text:
        advance = char_width(char, size)
        if current and used + advance > width:
            lines.append(current)
            current, used = "", 0.0
        current += char
        used += advance
    if current or not lines:
        lines.append(current)
    return lines


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
    ) -> None:
        """Text with its baseline at ``y``; ``align`` says what ``x`` is (left, centre, right);
        ``tag`` names the invoice field the text shows."""
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
        page.text(column.right - 1, y, text, size, align="r")
    elif column.align == "c":
        page.text((column.left + column.right) / 2, y, text, size, align="c")
    else:
        page.text(column.left + 0.8, y, text, size)


@dataclass(frozen=True)
class Row:
    cells: tuple[tuple[str, ...], ...]  # each column's wrapped text lines
    height: float  # mm


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


def rows_of(lines: Sequence[DocLine], columns: Sequence[Column], size: float) -> list[Row]:
    """The table rows with their text wrapped inside each column."""
    rows = []
    for line in lines:
        cells = tuple(
            tuple(wrap(value, column.right - column.left - 1.6, size))
            for value, column in zip(line_values(line), columns, strict=True)
        )
        height = max(len(cell) for cell in cells) * size * LEADING * PT
        rows.append(Row(cells, height))
    return rows


def draw_rows(
    page: Surface, rows: Sequence[Row], columns: Sequence[Column], top: float, size: float
) -> float:
    """Draw ``rows`` from ``top``; returns where they end."""
    step = size * LEADING * PT
    y = top
    for row in rows:
        for cell, column in zip(row.cells, columns, strict=True):
            for index, text in enumerate(cell):
                draw_cell(page, column, y + step * (index + 0.8), text, size)
        y += row.height
    return y


def fits(rows: Sequence[Row], height: float, limit: int | None) -> bool:
    return (limit is None or len(rows) <= limit) and sum(r.height for r in rows) <= height
