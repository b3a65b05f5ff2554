"""The older layout of the 税控 kinds: title with the province, code, number, check code,
密码区, 215 × 140 mm."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from fapiao.documents.fonts import Face
from fapiao.documents.model import Document, money
from fapiao.documents.surface import (
    LABEL,
    LEADING,
    PT,
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
from fapiao.domain.invoice import Party
from fapiao.domain.regions import region_name

CLASSIC_SIZE = (215.0, 140.0)


CLASSIC_COLUMNS = line_columns(
    ("货物或应税劳务、服务名称", "规格型号", "单位", "数 量", "单 价", "金 额", "税率", "税 额"),
    (7, 68, 87, 97, 122, 144, 170, 180, 209),
)


CLASSIC_TABLE = (56.0, 86.0)


def classic_title(doc: Document) -> str:
    place = region_name(doc.region) if doc.region else ""
    kind = "电子" if not doc.spec.paper else ""
    return f"{place}增值税{kind}{'专用' if doc.spec.special else '普通'}发票"


#: the 16 characters a real 密码区 is written in, one per 4 bits
CIPHER_ALPHABET = "0123456789+-*/<>"
CIPHER_ROWS, CIPHER_WIDTH = 4, 27


def cipher_lines(doc: Document) -> list[str]:
    """密码区 as real ones look: 4 rows of 27 characters of ``0-9+-*/<>``, 4 bits each, spelling
    the first 54 bytes of the invoice's signature (the whole signature is in the PDF's keywords,
    the OFD's signature.xml and the 数电 XML)."""
    try:
        raw = base64.b64decode(doc.signature or "", validate=True)
    except ValueError:
        raw = (doc.signature or "").encode()
    symbols = "".join(
        CIPHER_ALPHABET[byte >> 4] + CIPHER_ALPHABET[byte & 15]
        for byte in raw[: CIPHER_ROWS * CIPHER_WIDTH // 2]
    )
    return [symbols[i : i + CIPHER_WIDTH] for i in range(0, len(symbols), CIPHER_WIDTH)]


def grouped(check_code: str) -> str:
    return " ".join(check_code[i : i + 5] for i in range(0, len(check_code), 5))


def draw_classic(page: Surface, doc: Document, face: Sequence[Row]) -> list[str]:
    """The face; the lines of 备注 that did not fit it, for a continuation page."""
    left, right = 7, 209
    page.qr(13, 3, 20, doc.qr)
    if doc.device_number:
        page.text(8, 26, "机器编号：", 8.5, color=LABEL)
        page.text(24, 26, doc.device_number, 8.5)
    title = classic_title(doc)
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
        facts.append(("校 验 码：", grouped(doc.check_code)))
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
            if index == 1:  # the tax id, monospaced as real invoices print it
                page.text(
                    37, y, value, one_line(value, 83, 9, face=Face.MONO), tag=tag, face=Face.MONO
                )
                continue
            # the whole value in its row: smaller, then on two lines (within the field limits)
            lines, size = fit(value, 83, 5.0, 8.5)
            step = size * LEADING * PT
            draw_block(page, 37, y - (len(lines) - 1) * step / 2, lines, size, tag=tag)

    party(32.5, doc.buyer, "Buyer")
    cipher = cipher_lines(doc)
    if doc.red:
        page.text(130, 32, "销项负数", 9)
    for index, text in enumerate(cipher):
        page.text(130, 36 + index * 4, text, one_line(text, 78, 10, face=Face.MONO), face=Face.MONO)
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
    remarks, size = fit(doc.remarks, 78, 19.5, 8) if doc.remarks else ([], 8.0)
    shown = lines_fitting(19.5, size)
    draw_block(page, 129.5, 105, remarks[:shown], size, tag="Note")
    signers = (
        (12, "收款人：", doc.payee, "Payee"),
        (68, "复核：", doc.reviewer, "Checker"),
        (118, "开票人：", doc.drawer, "InvoiceClerk"),
        (165, "销售方：（章）", "", ""),
    )
    for (x, label, value, tag), (after, *_) in zip(signers, (*signers[1:], (209,)), strict=True):
        page.text(x, 130, label, 9, color=LABEL)
        start = x + text_width(label, 9) + 1
        page.text(start, 130, value, one_line(value, after - start - 2, 9), tag=tag)
    return remarks[shown:]
