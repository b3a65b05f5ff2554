"""How an invoice is laid out, drawn on any :class:`Surface` (the PDF and the OFD renderers).

Two layouts: the 数电 layout (电子发票（增值税专用发票）/（普通发票）, 210 × 140 mm) and the older
one shared by the 税控 kinds (title with the province, code, number, check code, 密码区;
215 × 140 mm). Lines that do not fit the face (or more than a paper kind's 8) go to 销货清单
pages and the face says "（详见销货清单）". The ⊗ before the amount in words is drawn, since no
shipped CJK font has U+2297. No official seal (监制章, 发票专用章) is drawn.

Positions are millimetres from the top-left corner; a text's ``y`` is its baseline.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth

from fapiao.documents.fonts import registered_font
from fapiao.documents.model import DocLine, Document, money
from fapiao.domain.invoice import Party
from fapiao.domain.regions import region_name

RGB = tuple[int, int, int]
LABEL: RGB = (153, 46, 26)
BLACK: RGB = (0, 0, 0)
PT = 0.3528  # mm per point
LIST_TITLE = "销售货物或者提供应税劳务、服务清单"
DETAIL_LINE = "（详见销货清单）"
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


def _cell(page: Surface, column: Column, y: float, text: str, size: float) -> None:
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


def _values(line: DocLine) -> tuple[str, ...]:
    return (
        line.name,
        line.spec,
        line.unit,
        line.quantity,
        line.unit_price,
        money(line.amount),
        line.rate,
        money(line.tax),
    )


def rows_of(lines: Sequence[DocLine], columns: Sequence[Column], size: float) -> list[Row]:
    """The table rows with their text wrapped inside each column."""
    rows = []
    for line in lines:
        cells = tuple(
            tuple(wrap(value, column.right - column.left - 1.6, size))
            for value, column in zip(_values(line), columns, strict=True)
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
                _cell(page, column, y + step * (index + 0.8), text, size)
        y += row.height
    return y


def fits(rows: Sequence[Row], height: float, limit: int | None) -> bool:
    return (limit is None or len(rows) <= limit) and sum(r.height for r in rows) <= height


def _detail_row(doc: Document) -> DocLine:
    """The one line a face shows when the lines are on the 销货清单."""
    return DocLine(DETAIL_LINE, "", "", "", "", doc.amount, "", doc.tax)


# --- the 数电 layout -----------------------------------------------------------------------

DIGITAL_SIZE = (210.0, 140.0)
DIGITAL_COLUMNS = (
    Column("项目名称", 4.5, 41, "l"),
    Column("规格型号", 41, 62, "l"),
    Column("单 位", 62, 80, "c"),
    Column("数 量", 80, 103, "r"),
    Column("单 价", 103, 128, "r"),
    Column("金 额", 128, 153, "r"),
    Column("税率/征收率", 153, 176, "c"),
    Column("税 额", 176, 205.5, "r"),
)
DIGITAL_TABLE = (59.0, 91.0)  # where line rows may go, mm from the top


def _digital_title(doc: Document) -> str:
    return "电子发票（增值税专用发票）" if doc.spec.special else "电子发票（普通发票）"


def _party_remarks(doc: Document) -> list[str]:
    """A 数电 face shows names and ids; addresses and banks go to 备注, as the platform does."""
    out = []
    for label, party in (("购方", doc.buyer), ("销方", doc.seller)):
        parts = [
            f"{label}{name}：{value}"
            for name, value in (
                ("地址", party.address),
                ("电话", party.phone),
                ("开户银行", party.bank),
                ("银行账号", party.account),
            )
            if value
        ]
        if parts:
            out.append("；".join(parts))
    return out


def draw_digital(page: Surface, doc: Document, face: Sequence[Row]) -> None:
    left, right = 4.5, 205.5
    page.qr(5, 4, 22, doc.qr)
    title = _digital_title(doc)
    page.text(105, 14, title, 17, color=LABEL, align="c")
    half = text_width(title, 17) / 2 + 4
    page.line(105 - half, 17.6, 105 + half, 17.6, 0.6)
    page.line(105 - half, 18.4, 105 + half, 18.4, 0.6)
    page.text(150, 13, "发票号码：", 9, color=LABEL)
    page.text(167, 13, doc.number, 9, tag="InvoiceNo")
    page.text(150, 19, "开票日期：", 9, color=LABEL)
    page.text(167, 19, doc.issued_on.strftime("%Y年%m月%d日"), 9, tag="IssueDate")
    page.box(left, 30, right, 124)
    # parties
    page.line(left, 52, right, 52)
    page.line(10.5, 30, 10.5, 52)
    page.line(104, 30, 104, 52)
    page.line(110, 30, 110, 52)
    page.vertical(left, 10.5, 30, 52, "购买方信息")
    page.vertical(104, 110, 30, 52, "销售方信息")
    for x, party, who in ((11.5, doc.buyer, "Buyer"), (111, doc.seller, "Seller")):
        page.text(x, 38, "名称：", 9, color=LABEL)
        for index, text in enumerate(wrap(party.name, 82, 9)[:2]):
            page.text(x + 9.5, 38 + index * 4, text, 9, tag=f"{who}Name")
        page.text(x, 47.5, "统一社会信用代码/纳税人识别号：", 8, color=LABEL)
        page.text(x + 45, 47.5, party.tax_id, 9.5, tag=f"{who}TaxID")
    # lines
    for column in DIGITAL_COLUMNS:
        page.text((column.left + column.right) / 2, 56.5, column.title, 9, color=LABEL, align="c")
    draw_rows(page, face, DIGITAL_COLUMNS, DIGITAL_TABLE[0], 8.5)
    page.text(23, 95, "合        计", 9, color=LABEL, align="c")
    page.text(152, 95, f"¥{money(doc.amount)}", 9, align="r", tag="TaxExclusiveTotalAmount")
    page.text(204.5, 95, f"¥{money(doc.tax)}", 9, align="r", tag="TaxTotalAmount")
    page.line(left, 97, right, 97)
    page.text(30, 102, "价税合计（大写）", 9, color=LABEL, align="c")
    page.line(56, 97, 56, 105)
    page.circled_x(60, 101)
    page.text(63, 102.3, doc.total_in_words, 9.5)
    page.text(140, 102.3, "（小写）", 9, color=LABEL)
    page.text(153, 102.3, f"¥{money(doc.total)}", 10, tag="TaxInclusiveTotalAmount")
    page.line(left, 105, right, 105)
    page.line(10.5, 105, 10.5, 124)
    page.vertical(left, 10.5, 105, 124, "备注")
    texts = [doc.remarks, *_party_remarks(doc)] if doc.remarks else _party_remarks(doc)
    remarks = [row for text in texts for row in wrap(text, 192, 8.5)]
    for index, text in enumerate(remarks[:5]):
        page.text(12, 109.5 + index * 3.6, text, 8.5)
    page.text(20, 131, "开票人：", 9, color=LABEL)
    page.text(33, 131, doc.drawer, 9, tag="InvoiceClerk")


# --- the older layout (税控 kinds) ------------------------------------------------------------

CLASSIC_SIZE = (215.0, 140.0)
CLASSIC_COLUMNS = (
    Column("货物或应税劳务、服务名称", 7, 68, "l"),
    Column("规格型号", 68, 87, "l"),
    Column("单位", 87, 97, "c"),
    Column("数 量", 97, 122, "r"),
    Column("单 价", 122, 144, "r"),
    Column("金 额", 144, 170, "r"),
    Column("税率", 170, 180, "c"),
    Column("税 额", 180, 209, "r"),
)
CLASSIC_TABLE = (56.0, 86.0)


def _classic_title(doc: Document) -> str:
    place = region_name(doc.region) if doc.region else ""
    kind = "电子" if not doc.spec.paper else ""
    return f"{place}增值税{kind}{'专用' if doc.spec.special else '普通'}发票"


def _cipher(doc: Document) -> list[str]:
    """密码区: the invoice's signature, in four rows."""
    text = doc.signature or ""
    width = max(1, -(-len(text) // 4))
    return [text[i : i + width] for i in range(0, len(text), width)][:4]


def _grouped(check_code: str) -> str:
    return " ".join(check_code[i : i + 5] for i in range(0, len(check_code), 5))


def draw_classic(page: Surface, doc: Document, face: Sequence[Row]) -> None:
    left, right = 7, 209
    page.qr(13, 3, 20, doc.qr)
    if doc.device_number:
        page.text(8, 26, "机器编号：", 8.5, color=LABEL)
        page.text(24, 26, doc.device_number, 8.5)
    title = _classic_title(doc)
    page.text(108, 15, title, 17, color=LABEL, align="c")
    half = text_width(title, 17) / 2 + 3
    page.line(108 - half, 18.6, 108 + half, 18.6, 0.6)
    page.line(108 - half, 19.4, 108 + half, 19.4, 0.6)
    facts = [
        ("发票代码：", doc.code),
        ("发票号码：", doc.number),
        ("开票日期：", doc.issued_on.strftime("%Y年%m月%d日")),
    ]
    if doc.check_code:
        facts.append(("校 验 码：", _grouped(doc.check_code)))
    tags = ("InvoiceCode", "InvoiceNo", "IssueDate", "InvoiceCheckCode")
    for index, ((label, value), tag) in enumerate(zip(facts, tags, strict=False)):
        page.text(150, 7 + index * 5.5, label, 8.5, color=LABEL)
        page.text(166, 7 + index * 5.5, value, 8.5, tag=tag)
    page.box(left, 28, right, 124)
    # buyer and 密码区
    page.line(left, 50, right, 50)
    page.line(15, 28, 15, 50)
    page.line(121, 28, 121, 50)
    page.line(128, 28, 128, 50)
    page.vertical(left, 15, 28, 50, "购买方")
    page.vertical(121, 128, 28, 50, "密码区")
    labels = ("名        称：", "纳税人识别号：", "地 址、电 话：", "开户行及账号：")

    def party(top: float, who: Party, role: str) -> None:
        values = (
            who.name,
            who.tax_id,
            f"{who.address} {who.phone}".strip(),
            f"{who.bank} {who.account}".strip(),
        )
        for index, (label, value) in enumerate(zip(labels, values, strict=True)):
            y = top + index * 5.2
            page.text(16, y, label, 8.5, color=LABEL)
            tag = f"{role}{('Name', 'TaxID', 'AddrTel', 'FinancialAccount')[index]}"
            page.text(37, y, wrap(value, 83, 8.5)[0], 8.5, tag=tag)

    party(32.5, doc.buyer, "Buyer")
    cipher = _cipher(doc)
    if doc.red:
        page.text(130, 32, "销项负数", 9)
    for index, text in enumerate(cipher):
        page.text(130, 36 + index * 4, text, 8)
    # lines
    for column in CLASSIC_COLUMNS:
        page.text((column.left + column.right) / 2, 54, column.title, 8.5, color=LABEL, align="c")
    for x in (68, 87, 97, 122, 144, 170, 180):
        page.line(x, 50, x, 93, 0.5)
    draw_rows(page, face, CLASSIC_COLUMNS, CLASSIC_TABLE[0], 8.5)
    page.text(37, 91.5, "合        计", 9, color=LABEL, align="c")
    page.text(169, 91.5, f"¥{money(doc.amount)}", 9, align="r", tag="TaxExclusiveTotalAmount")
    page.text(208, 91.5, f"¥{money(doc.tax)}", 9, align="r", tag="TaxTotalAmount")
    page.line(left, 93, right, 93)
    page.text(37, 98, "价税合计（大写）", 9, color=LABEL, align="c")
    page.line(68, 93, 68, 101, 0.5)
    page.circled_x(71.5, 97)
    page.text(74.5, 98.2, doc.total_in_words, 9.5)
    page.text(150, 98.2, "（小写）", 9, color=LABEL)
    page.text(163, 98.2, f"¥{money(doc.total)}", 10, tag="TaxInclusiveTotalAmount")
    page.line(left, 101, right, 101)
    # seller and 备注
    page.line(15, 101, 15, 124)
    page.line(121, 101, 121, 124)
    page.line(128, 101, 128, 124)
    page.vertical(left, 15, 101, 124, "销售方")
    page.vertical(121, 128, 101, 124, "备注")
    party(105.5, doc.seller, "Seller")
    for index, text in enumerate(wrap(doc.remarks, 79, 8)[:5]):
        page.text(129.5, 105.5 + index * 3.8, text, 8)
    signers = (
        (12, "收款人：", doc.payee, "Payee"),
        (68, "复核：", doc.reviewer, "Checker"),
        (118, "开票人：", doc.drawer, "InvoiceClerk"),
        (165, "销售方：（章）", "", ""),
    )
    for x, label, value, tag in signers:
        page.text(x, 130, label, 9, color=LABEL)
        page.text(x + text_width(label, 9) + 1, 130, value, 9, tag=tag)


# --- 销货清单 -----------------------------------------------------------------------------

LIST_COLUMNS = (
    Column("序号", 10, 20, "c"),
    Column("货物（劳务）名称", 20, 75, "l"),
    Column("规格型号", 75, 98, "l"),
    Column("单位", 98, 110, "c"),
    Column("数量", 110, 130, "r"),
    Column("单价", 130, 152, "r"),
    Column("金额", 152, 175, "r"),
    Column("税率", 175, 186, "c"),
    Column("税额", 186, 205, "r"),
)
LIST_TOP, LIST_BOTTOM = 40.0, 128.0


def _list_rows(lines: Sequence[DocLine], size: float) -> list[Row]:
    numbered = [
        DocLine(str(i), *_values(line)[1:5], amount=line.amount, rate=line.rate, tax=line.tax)
        for i, line in enumerate(lines, start=1)
    ]
    rows = []
    for item, line in zip(numbered, lines, strict=True):
        values = (item.name, line.name, *_values(line)[1:])
        cells = tuple(
            tuple(wrap(value, column.right - column.left - 1.6, size))
            for value, column in zip(values, LIST_COLUMNS, strict=True)
        )
        rows.append(Row(cells, max(len(c) for c in cells) * size * LEADING * PT))
    return rows


def _list_pages(rows: Sequence[Row]) -> list[list[Row]]:
    pages: list[list[Row]] = [[]]
    used = 0.0
    for row in rows:
        if pages[-1] and used + row.height > LIST_BOTTOM - LIST_TOP - 10:
            pages.append([])
            used = 0.0
        pages[-1].append(row)
        used += row.height
    return pages


def draw_list(
    page: Surface, doc: Document, rows: Sequence[Row], *, number: int, count: int, last: bool
) -> None:
    page.text(105, 16, LIST_TITLE, 13, color=LABEL, align="c")
    page.text(10, 26, f"购买方名称：{doc.buyer.name}", 8.5)
    page.text(10, 31, f"销售方名称：{doc.seller.name}", 8.5)
    ident = (
        f"发票代码：{doc.code}  发票号码：{doc.number}" if doc.code else f"发票号码：{doc.number}"
    )
    page.text(10, 36, ident, 8.5)
    page.text(205, 36, f"共{count}页  第{number}页", 8.5, align="r")
    page.box(10, 37, 205, LIST_BOTTOM)
    for column in LIST_COLUMNS:
        page.text((column.left + column.right) / 2, 41, column.title, 8.5, color=LABEL, align="c")
    page.line(10, 42.5, 205, 42.5, 0.5)
    end = draw_rows(page, rows, LIST_COLUMNS, 43, 8)
    if last:
        page.line(10, end + 1, 205, end + 1, 0.5)
        page.text(20, end + 5, "总计", 8.5, color=LABEL)
        page.text(174, end + 5, money(doc.amount), 8.5, align="r")
        page.text(204, end + 5, money(doc.tax), 8.5, align="r")
    page.text(10, 134, f"填开日期：{doc.issued_on.strftime('%Y年%m月%d日')}", 8.5)


# --- the whole document -------------------------------------------------------------------


def page_size(doc: Document) -> tuple[float, float]:
    """Width and height of the document's pages in mm."""
    return DIGITAL_SIZE if doc.spec.digital else CLASSIC_SIZE


def draw_document(doc: Document, surface: Surface) -> None:
    """The face, then the 销货清单 pages when the lines do not fit it."""
    digital = doc.spec.digital
    columns = DIGITAL_COLUMNS if digital else CLASSIC_COLUMNS
    top, bottom = DIGITAL_TABLE if digital else CLASSIC_TABLE
    rows = rows_of(doc.lines, columns, 8.5)
    listed = not fits(rows, bottom - top, doc.spec.face_lines)
    face = rows_of([_detail_row(doc)], columns, 8.5) if listed else rows
    (draw_digital if digital else draw_classic)(surface, doc, face)
    if listed:
        pages = _list_pages(_list_rows(doc.lines, 8))
        for number, chunk in enumerate(pages, start=1):
            surface.new_page()
            draw_list(
                surface, doc, chunk, number=number, count=len(pages), last=number == len(pages)
            )
