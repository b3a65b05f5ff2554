"""The 数电 layout: 电子发票（增值税专用发票）/（普通发票）, 210 × 140 mm, QR top left, number and
date top right, buyer and seller side by side, addresses and banks in 备注."""

from __future__ import annotations

from collections.abc import Sequence

from fapiao.documents.fonts import Face
from fapiao.documents.model import Document, Sheet, money
from fapiao.documents.surface import (
    LABEL,
    Row,
    Surface,
    draw_block,
    draw_rows,
    fit,
    line_columns,
    lines_fitting,
    one_line,
    text_width,
)

DIGITAL_SIZE = (210.0, 140.0)


DIGITAL_COLUMNS = line_columns(
    ("项目名称", "规格型号", "单 位", "数 量", "单 价", "金 额", "税率/征收率", "税 额"),
    (4.5, 41, 62, 80, 103, 128, 153, 176, 205.5),
)


DIGITAL_TABLE = (59.0, 91.0)  # where line rows may go, mm from the top


def digital_title(doc: Document) -> str:
    return "电子发票（增值税专用发票）" if doc.spec.special else "电子发票（普通发票）"


def party_remarks(doc: Document) -> list[str]:
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


def draw_digital(
    page: Surface, doc: Document, face: Sequence[Row], sheet: Sheet | None = None
) -> list[str]:
    """The face (``sheet``: one page of several, whose 合计 row is the page's 小计 but on the
    last); the lines of 备注 that did not fit it, for a continuation page."""
    left, right = 4.5, 205.5
    page.qr(5, 4, 22, doc.qr)
    title = digital_title(doc)
    page.text(105, 14, title, 17, color=LABEL, align="c")
    half = text_width(title, 17) / 2 + 4
    page.line(105 - half, 17.6, 105 + half, 17.6, 0.6)
    page.line(105 - half, 18.4, 105 + half, 18.4, 0.6)
    page.text(150, 13, "发票号码：", 9, color=LABEL)
    page.text(167, 13, doc.number, 9, tag="InvoiceNo")
    page.text(150, 19, "开票日期：", 9, color=LABEL)
    page.text(167, 19, doc.issued_on.strftime("%Y年%m月%d日"), 9, tag="IssueDate")
    if sheet is not None:
        page.text(205.5, 27, f"共{sheet.count}页 第{sheet.number}页", 8.5, align="r")
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
        names, size = fit(party.name, 82, 8.3, 9)  # three lines at the floor hold 100 characters
        draw_block(page, x + 9.5, 38, names, size, tag=f"{who}Name")
        page.text(x, 47.5, "统一社会信用代码/纳税人识别号：", 8, color=LABEL)
        size = one_line(party.tax_id, 46, 9.5, face=Face.MONO)  # monospaced, as real invoices
        page.text(x + 45, 47.5, party.tax_id, size, tag=f"{who}TaxID", face=Face.MONO)
    # lines
    for column in DIGITAL_COLUMNS:
        page.text((column.left + column.right) / 2, 56.5, column.title, 9, color=LABEL, align="c")
    draw_rows(page, face, DIGITAL_COLUMNS, DIGITAL_TABLE[0], 8.5)
    if sheet is None or sheet.last:
        page.text(23, 95, "合        计", 9, color=LABEL, align="c")
        page.text(152, 95, f"¥{money(doc.amount)}", 9, align="r", tag="TaxExclusiveTotalAmount")
        page.text(204.5, 95, f"¥{money(doc.tax)}", 9, align="r", tag="TaxTotalAmount")
    else:
        page.text(23, 95, "小        计", 9, color=LABEL, align="c")
        page.text(152, 95, f"¥{money(sheet.amount)}", 9, align="r")
        page.text(204.5, 95, f"¥{money(sheet.tax)}", 9, align="r")
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
    texts = [doc.remarks, *party_remarks(doc)] if doc.remarks else party_remarks(doc)
    remarks, size = fit("\n".join(texts), 192, 16, 8.5) if texts else ([], 8.5)
    shown = lines_fitting(16, size)
    draw_block(page, 12, 109, remarks[:shown], size, tag="Note")
    page.text(20, 131, "开票人：", 9, color=LABEL)
    page.text(33, 131, doc.drawer, 9, tag="InvoiceClerk")
    return remarks[shown:]
