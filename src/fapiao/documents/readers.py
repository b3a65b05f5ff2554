"""查验 inputs read from an invoice file, ours or another issuer's: a PDF's QR payload (the
Subject of ours, or the code printed on its first page) or else its printed text, the 数电 XML,
or the OFD's CustomData, its tagged fields (CustomTag.xml) and its page text, in that order of
trust."""

from __future__ import annotations

import io
import re
from typing import Any

from django.conf import settings

from fapiao.documents.digital_xml import parse_xml
from fapiao.documents.ofd_read import parse_ofd
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.printed import Printed, read_printed


class UnreadableFile(DomainError):
    code = "unreadable_file"


def file_size_check(name: str, size: int) -> None:
    """Refuse an invoice file larger than ``FAPIAO_FILE_MAX_BYTES`` before it is read."""
    limit = settings.FAPIAO_FILE_MAX_BYTES
    if size > limit:
        raise UnreadableFile(
            Text("文件“{0}”过大（{1}MB），发票文件不超过{2}MB", name, -(-size // 2**20),
                 limit // 2**20),
            field="file",
        )  # fmt: skip


def inputs_from_file(name: str, content: bytes) -> dict[str, Any]:
    """The 查验 inputs an uploaded PDF, XML or OFD carries (archives read within bounds)."""
    file_size_check(name, len(content))
    head = content[:8]
    if head.startswith(b"%PDF"):
        return _from_pdf(content)
    if head.startswith(b"PK"):
        return _from_ofd(content)
    if content.lstrip()[:1] == b"<":
        return _from_xml(content)
    raise UnreadableFile(
        Text("无法识别文件“{0}”：请上传本系统开具的PDF、OFD或XML", name), field="file"
    )


def _from_pdf(content: bytes) -> dict[str, Any]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(content))
        subject = str((reader.metadata or {}).get("/Subject", "") or "")
        text = (
            "" if subject.startswith("01,") or not reader.pages else reader.pages[0].extract_text()
        )
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        raise UnreadableFile(Text("PDF文件无法读取：{0}", error), field="file") from None
    if subject.startswith("01,"):
        return {"qr": subject}
    qr = _printed_qr(content)
    if qr:
        return {"qr": qr}
    printed = read_printed(text or "")
    if not printed.number:
        raise UnreadableFile("PDF文件中没有可识别的发票号码", field="file")
    return _inputs(printed)


def _printed_qr(content: bytes) -> str:
    """The invoice QR payload printed on the first page, decoded from its picture; empty when
    there is none (pdfium draws the page, zxing-cpp reads the code)."""
    import pypdfium2
    import zxingcpp

    try:
        pdf = pypdfium2.PdfDocument(content)
    except pypdfium2.PdfiumError:
        return ""
    try:
        if len(pdf) == 0:
            return ""
        image = pdf[0].render(scale=3).to_pil().convert("L")
    finally:
        pdf.close()
    for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        if code.text.startswith("01,"):
            return str(code.text)
    return ""


def _inputs(printed: Printed, **given: Any) -> dict[str, Any]:
    """Inputs from what the face prints, what ``given`` holds first (the file's own fields)."""
    day = printed.issued_on.isoformat() if printed.issued_on else ""
    found = {
        "code": printed.code,
        "number": printed.number,
        "issued_on": day,
        "amount": None if printed.amount is None else str(printed.amount),
        "check6": printed.check_code[-6:] or None,
        "total": None if printed.total is None else str(printed.total),
    }
    return {name: given.get(name) or value for name, value in found.items()}


def _yuan(text: str | None) -> str | None:
    value = re.sub(r"[¥￥,\s]", "", text or "")
    return value or None


def _from_ofd(content: bytes) -> dict[str, Any]:
    parsed = parse_ofd(content)
    custom, tagged = parsed["custom"], parsed["tagged"]
    printed = read_printed(" ".join(word for page in parsed["pages"] for word in page))
    day = custom.get("开票日期") or tagged.get("IssueDate") or ""
    return _inputs(
        printed,
        code=custom.get("发票代码"),
        number=custom.get("发票号码") or tagged.get("InvoiceNo"),
        issued_on=re.sub(r"\D", "-", day).strip("-"),
        amount=custom.get("合计金额") or _yuan(tagged.get("TaxExclusiveTotalAmount")),
        check6=custom.get("校验码", "")[-6:],
        total=custom.get("价税合计") or _yuan(tagged.get("TaxInclusiveTotalAmount")),
    )


def _from_xml(content: bytes) -> dict[str, Any]:
    facts = parse_xml(content)
    return {
        "code": "",
        "number": facts["number"],
        "issued_on": facts["issued_on"][:10],
        "total": str(facts["total"]),
    }
