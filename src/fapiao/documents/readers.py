"""查验 inputs read from an invoice file of ours: the PDF's QR payload (its Subject), the
数电 XML, or the OFD's CustomData."""

from __future__ import annotations

import io
import re
from typing import Any

from django.conf import settings

from fapiao.documents.digital_xml import parse_xml
from fapiao.domain.errors import DomainError, Text


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
        subject = (PdfReader(io.BytesIO(content)).metadata or {}).get("/Subject", "")
    except (PyPdfError, ValueError) as error:
        raise UnreadableFile(Text("PDF文件无法读取：{0}", error), field="file") from None
    if not str(subject).startswith("01,"):
        raise UnreadableFile("PDF文件中没有发票二维码信息", field="file")
    return {"qr": str(subject)}


def _from_ofd(content: bytes) -> dict[str, Any]:
    from fapiao.documents.ofd import parse_ofd  # fontTools: loaded when an OFD comes

    custom = parse_ofd(content)["custom"]
    day = re.sub(r"\D", "-", custom.get("开票日期", "")).strip("-")
    return {
        "code": custom.get("发票代码", ""),
        "number": custom.get("发票号码", ""),
        "issued_on": day,
        "amount": custom.get("合计金额"),
        "check6": custom.get("校验码", "")[-6:] or None,
        "total": custom.get("价税合计"),
    }


def _from_xml(content: bytes) -> dict[str, Any]:
    facts = parse_xml(content)
    return {
        "code": "",
        "number": facts["number"],
        "issued_on": facts["issued_on"][:10],
        "total": str(facts["total"]),
    }
