"""Reading an invoice's OFD (ours or another issuer's): CustomData, the text of its pages, the
fields its CustomTag.xml names, and the attached original invoice and signature."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_xml

from fapiao.core.archives import INVOICE, BoundedZip
from fapiao.documents.ofd_parts import NS
from fapiao.domain.errors import DomainError, Text


class BadOfd(DomainError):
    code = "bad_ofd"


def parse_ofd(content: bytes) -> dict[str, Any]:
    """What an OFD of an invoice says: CustomData, the text of its pages, the tagged fields,
    and the attached original invoice and signature when present."""
    archive = BoundedZip(content, INVOICE, label="OFD文件")
    try:
        return _parsed(archive)
    except (KeyError, ET.ParseError, DefusedXmlException) as error:
        raise BadOfd(Text("不是有效的OFD文件：{0}", error), field="file") from None


def _parsed(archive: BoundedZip) -> dict[str, Any]:
    ofd = safe_xml(archive.read("OFD.xml"))
    names = archive.names()
    custom = {item.get("Name", ""): (item.text or "") for item in ofd.iter(f"{{{NS}}}CustomData")}
    texts: dict[int, str] = {}
    page_texts, placed = [], []
    templates = [
        _placed(safe_xml(archive.read(n)), {})
        for n in sorted(names)
        if n.endswith("/Content.xml") and "/Tpls/" in n
    ]
    for name in sorted(n for n in names if n.endswith("/Content.xml") and "/Pages/" in n):
        words = _placed(safe_xml(archive.read(name)), texts)
        page_texts.append([word[0] for word in words])
        placed.append([word for template in templates for word in template] + words)
    tagged: dict[str, str] = {}
    tag_files = [n for n in names if n.endswith("Tags/CustomTag.xml")]
    try:  # the tags are a help to the reader: malformed ones are passed over, not fatal
        root = safe_xml(archive.read(tag_files[0])) if tag_files else None
    except ET.ParseError:
        root = None
    for field in [] if root is None else root.iter():
        refs = [ref.text or "" for ref in field.findall(f"{{{NS}}}ObjectRef")]
        if refs and all(ref.strip().isdigit() for ref in refs):
            tagged[field.tag.split("}")[-1]] = "".join(texts.get(int(ref), "") for ref in refs)
    result: dict[str, Any] = {
        "custom": custom,
        "pages": page_texts,
        "tagged": tagged,
        "placed": placed,
    }
    for attached in ("original_invoice", "signature"):
        name = f"Doc_0/Attachs/{attached}.xml"
        if name in names:
            result[attached] = archive.read(name)
    # other attached data files: a 数电 XML, an XBRL instance of the invoice
    result["attachments"] = {
        name: archive.read(name)
        for name in sorted(names)
        if "/Attachs/" in name
        and name.lower().endswith((".xml", ".xbrl"))
        and name.rsplit("/", 1)[-1] not in ("original_invoice.xml", "signature.xml")
    }
    return result


def _placed(
    page: ET.Element, texts: dict[int, str]
) -> list[tuple[str, float, float, float, float]]:
    """Each text object's text and box (x, y, width, height in mm, y downwards); ``texts``
    gets each object's text by its ID (what CustomTag.xml points at)."""
    words = []
    for element in page.iter(f"{{{NS}}}TextObject"):
        text = "".join(code.text or "" for code in element.iter(f"{{{NS}}}TextCode"))
        texts[int(element.get("ID", "0"))] = text
        try:
            x, y, width, height = (float(v) for v in element.get("Boundary", "").split()[:4])
        except ValueError:
            x = y = width = height = 0.0
        words.append((text, x, y, width, height))
    return words
