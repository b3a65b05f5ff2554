"""How an invoice is laid out, drawn on any :class:`Surface` (the PDF and the OFD renderers).

Two layouts: the 数电 layout (电子发票（增值税专用发票）/（普通发票）, 210 × 140 mm) and the older
one shared by the 税控 kinds (title with the province, code, number, check code, 密码区;
215 × 140 mm). A 数电 invoice whose lines do not fit goes on to pages of its own face; the
older kinds' lines that do not fit (or more than a paper kind's 8) go to 销货清单 pages and the
face says "（详见销货清单）". 备注 longer than its box goes on to 备注（续） pages. The ⊗
before the amount in words is drawn, since no shipped CJK font has U+2297. No official seal
(监制章, 发票专用章) is drawn.

Positions are millimetres from the top-left corner; a text's ``y`` is its baseline.
"""

from __future__ import annotations

from fapiao.documents.layout_classic import (
    CLASSIC_COLUMNS,
    CLASSIC_SIZE,
    CLASSIC_TABLE,
    draw_classic,
)
from fapiao.documents.layout_digital import (
    DIGITAL_COLUMNS,
    DIGITAL_SIZE,
    DIGITAL_TABLE,
    draw_digital,
)
from fapiao.documents.layout_list import draw_list, list_pages, list_rows
from fapiao.documents.model import DocLine, Document, Sheet
from fapiao.documents.surface import (
    LABEL,
    Surface,
    draw_block,
    fits,
    lines_fitting,
    paged,
    rows_of,
)

DETAIL_LINE = "（详见销货清单）"


def detail_row(doc: Document) -> DocLine:
    """The one line a face shows when the lines are on the 销货清单."""
    return DocLine(DETAIL_LINE, "", "", "", "", doc.amount, "", doc.tax)


# --- the 数电 layout -----------------------------------------------------------------------


# --- the older layout (税控 kinds) ------------------------------------------------------------


# --- 销货清单 -----------------------------------------------------------------------------


# --- the whole document -------------------------------------------------------------------


CONTINUED_SIZE = 8.0


def draw_continued(surface: Surface, doc: Document, lines: list[str]) -> None:
    """The rest of 备注, on as many pages as it takes, each saying whose invoice it is."""
    per_page = lines_fitting(100, CONTINUED_SIZE)
    for start in range(0, len(lines), per_page):
        surface.new_page()
        surface.text(105, 16, "备注（续）", 13, color=LABEL, align="c")
        ident = (
            f"发票代码：{doc.code}  发票号码：{doc.number}"
            if doc.code
            else f"发票号码：{doc.number}"
        )
        surface.text(10, 26, ident, 8.5)
        draw_block(surface, 10, 34, lines[start : start + per_page], CONTINUED_SIZE, tag="Note")


def page_size(doc: Document) -> tuple[float, float]:
    """Width and height of the document's pages in mm."""
    return DIGITAL_SIZE if doc.spec.digital else CLASSIC_SIZE


def draw_document(doc: Document, surface: Surface) -> None:
    """The face; lines that do not fit it go on: a 数电 invoice on pages of its own face (as the
    platform prints them), an older kind on 销货清单 pages (with 小计 per page)."""
    digital = doc.spec.digital
    columns = DIGITAL_COLUMNS if digital else CLASSIC_COLUMNS
    top, bottom = DIGITAL_TABLE if digital else CLASSIC_TABLE
    rows = rows_of(doc.lines, columns, 8.5)
    if digital:
        pages = paged(rows, bottom - top)
        starts = [0]
        for page in pages:
            starts.append(starts[-1] + len(page))
        rest: list[str] = []
        for number, chunk in enumerate(pages, start=1):
            if number > 1:
                surface.new_page()
            lines = doc.lines[starts[number - 1] : starts[number]]
            sheet = Sheet(number, len(pages), lines) if len(pages) > 1 else None
            rest = draw_digital(surface, doc, chunk, sheet)
        if rest:
            draw_continued(surface, doc, rest)
        return
    listed = not fits(rows, bottom - top, doc.spec.face_lines)
    face = rows_of([detail_row(doc)], columns, 8.5) if listed else rows
    rest = draw_classic(surface, doc, face)
    if rest:  # 备注 longer than its box: it goes on, never cut
        draw_continued(surface, doc, rest)
    if listed:
        listing = list_rows(doc.lines, 8)
        pages = list_pages(listing)
        start = 0
        for number, chunk in enumerate(pages, start=1):
            surface.new_page()
            lines = doc.lines[start : start + len(chunk)]
            start += len(chunk)
            draw_list(
                surface, doc, chunk, number=number, count=len(pages), last=number == len(pages),
                lines=lines,
            )  # fmt: skip
