"""The sources of a received invoice file, each made a
:class:`~fapiao.domain.reading.Candidate` (:mod:`fapiao.receiving.reading` dispatches and
merges): the 数电 XML, an OFD's attached XML, CustomData, CustomTag fields and text objects,
a PDF page's text layer, QR code and Subject, a picture's OCR and QR code."""

from __future__ import annotations

import contextlib
import io
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_xml

from fapiao.documents.digital_xml import parse_xml
from fapiao.documents.ofd_read import parse_ofd
from fapiao.documents.readers import UnreadableFile
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.facelayout import date_of, read_face
from fapiao.domain.facewords import Word
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.qr import parse_qr
from fapiao.domain.reading import LABELS, MONEY, Candidate, Line, Reading, Source, merge

MAX_PAGES = 100
TIME_LIMIT = 60.0  # seconds a file may take
#: seconds a file read by OCR in the worker may take (a ZIP of photos, a long scan: seconds a
#: page), under the task engine's own timeout
OCR_TIME_LIMIT = 600.0


class Deadline:
    def __init__(self, name: str, seconds: float | None = None) -> None:
        self.name = name
        self.end = time.monotonic() + (TIME_LIMIT if seconds is None else seconds)

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise UnreadableFile(Text("读取文件“{0}”超时", self.name), field="file")


def qr_candidate(payload: str) -> Candidate:
    """What an invoice QR payload says (its amount is 价税合计 for 数电, else 合计金额)."""
    qr = parse_qr(payload)
    amount = "total" if qr.kind and spec(qr.kind).qr_amount_includes_tax else "amount_excl_tax"
    return Candidate(
        Source.QR,
        {
            "kind": qr.kind.value if qr.kind else None,
            "invoice_code": qr.code or None,
            "invoice_number": qr.number,
            "date": qr.issued_on,
            "check_code": qr.check_code if len(qr.check_code) == 20 else None,
            amount: qr.amount,
        },
    )


def _money(text: str | None) -> Decimal | None:
    cleaned = re.sub(r"[¥￥,\s]", "", text or "")
    try:
        return Decimal(cleaned) if cleaned else None
    except InvalidOperation:
        return None


def _day(text: str | None) -> Any:
    return date_of(text or "")


def xml_candidate(content: bytes) -> Candidate:
    facts = parse_xml(content)
    special = facts["special"]
    lines = [
        Line(
            name=line["name"],
            spec=line["spec"],
            unit=line["unit"],
            quantity=line["quantity"],
            unit_price=line["unit_price"],
            amount=line["amount"],
            rate=_rate_text(line["rate"]),
            tax=line["tax"],
        )
        for line in facts["lines"]
    ]
    return Candidate(
        Source.XML,
        {
            "kind": (
                InvoiceKind.DIGITAL_SPECIAL if special else InvoiceKind.DIGITAL_ORDINARY
            ).value,
            "invoice_number": facts["number"],
            "date": _day(facts["issued_on"]),
            "buyer_name": facts["buyer"]["name"],
            "buyer_tax_id": facts["buyer"]["tax_id"],
            "seller_name": facts["seller"]["name"],
            "seller_tax_id": facts["seller"]["tax_id"],
            "amount_excl_tax": facts["amount"],
            "tax": facts["tax"],
            "total": facts["total"],
            "total_in_words": facts["total_in_words"],
            "remarks": facts["remarks"],
            "issuer": facts["drawer"],
        },
        lines,
    )


def _rate_text(rate: str) -> str:
    """0.13 → 13%; 13% and the words (免税, 不征税) as they are."""
    try:
        value = Decimal(rate)
    except InvalidOperation:
        return rate
    return f"{(value * 100).normalize():f}%" if value < 1 else f"{value.normalize():f}%"


def _local(element: ET.Element, name: str) -> str:
    for child in element.iter():
        if child.tag.rsplit("}", 1)[-1] == name:
            return (child.text or "").strip()
    return ""


def _attached_candidate(content: bytes) -> Candidate | None:
    """The original_invoice.xml of an older e-invoice's OFD (namespace e-invoice/2019)."""
    try:
        root = safe_xml(content)
    except (ET.ParseError, DefusedXmlException):
        return None
    goods = [g for g in root.iter() if g.tag.rsplit("}", 1)[-1] == "GoodsInfo"]
    lines = [
        Line(
            name=_local(g, "Item"),
            spec=_local(g, "Specification"),
            unit=_local(g, "MeasurementDimension"),
            quantity=_local(g, "Quantity"),
            unit_price=_local(g, "Price"),
            amount=_money(_local(g, "Amount")),
            rate=_local(g, "TaxScheme"),
            tax=_money(_local(g, "TaxAmount")),
        )
        for g in goods
    ]
    candidate = Candidate(
        Source.ATTACHED,
        {
            "invoice_code": _local(root, "InvoiceCode"),
            "invoice_number": _local(root, "InvoiceNo"),
            "date": _day(_local(root, "IssueDate")),
            "check_code": _local(root, "InvoiceCheckCode"),
            "buyer_name": _local(root, "BuyerName"),
            "buyer_tax_id": _local(root, "BuyerTaxID"),
            "seller_name": _local(root, "SellerName"),
            "seller_tax_id": _local(root, "SellerTaxID"),
            "amount_excl_tax": _money(_local(root, "TaxExclusiveTotalAmount")),
            "tax": _money(_local(root, "TaxTotalAmount")),
            "total": _money(_local(root, "TaxInclusiveTotalAmount")),
            "remarks": _local(root, "Note"),
            "issuer": _local(root, "InvoiceClerk"),
        },
        lines,
    )
    graph = _local(root, "GraphCode")
    if graph.startswith("01,"):
        with contextlib.suppress(DomainError):
            candidate.fields["kind"] = qr_candidate(graph).fields["kind"]
    return candidate


#: where OFD.xml's CustomData and the CustomTag.xml fields keep each field
#: 数电 OFDs' CustomData is keyed by the printed labels; the kind is told elsewhere
_CUSTOM_KEYS = {name: label for name, label in LABELS.items() if name != "kind"}
_TAG_KEYS = {
    "invoice_code": "InvoiceCode",
    "invoice_number": "InvoiceNo",
    "date": "IssueDate",
    "buyer_name": "BuyerName",
    "buyer_tax_id": "BuyerTaxID",
    "seller_name": "SellerName",
    "seller_tax_id": "SellerTaxID",
    "amount_excl_tax": "TaxExclusiveTotalAmount",
    "tax": "TaxTotalAmount",
    "total": "TaxInclusiveTotalAmount",
    "issuer": "InvoiceClerk",
    "remarks": "Note",
}


def _mapped(source: str, values: dict[str, str], keys: dict[str, str]) -> Candidate:
    """A candidate of ``values`` kept under ``keys``: money and the date read, text as it is."""
    fields: dict[str, Any] = {}
    for name, key in keys.items():
        value = values.get(key)
        fields[name] = _money(value) if name in MONEY else _day(value) if name == "date" else value
    return Candidate(source, fields)


def _other_attachment(content: bytes) -> Candidate | None:
    """An OFD's other attached data: a 数电 XML (root ``EInvoice``), or an XBRL instance or
    other XML of the invoice, read by the element names the e-invoice schemas share
    (InvoiceNo, IssueDate, BuyerTaxID, TaxInclusiveTotalAmount …); None when it says nothing."""
    try:
        root = safe_xml(content)
    except (ET.ParseError, DefusedXmlException):
        return None
    if root.tag == "EInvoice":
        try:
            found = xml_candidate(content)
        except DomainError:
            return None
        found.source = Source.ATTACHED
        return found
    candidate = _attached_candidate(content)
    return candidate if candidate is not None and candidate.given() else None


def ofd_reading(content: bytes) -> Reading:
    parsed = parse_ofd(content)
    candidates = [
        _mapped(Source.CUSTOM, parsed["custom"], _CUSTOM_KEYS),
        _mapped(Source.TAGS, parsed["tagged"], _TAG_KEYS),
    ]
    if "original_invoice" in parsed and (found := _attached_candidate(parsed["original_invoice"])):
        candidates.append(found)
    for attached in parsed["attachments"].values():
        if (found := _other_attachment(attached)) is not None:
            candidates.append(found)
    if parsed["placed"]:
        words = [Word(t, x, y, x + w, y + h) for t, x, y, w, h in parsed["placed"][0]]
        candidates.append(read_face(words, source=Source.TEXT))
    return merge(candidates)


def pdf_readings(content: bytes, deadline: Deadline) -> Iterator[Reading]:
    import pypdfium2

    from fapiao.receiving.pictures import qr_payloads

    try:
        pdf = pypdfium2.PdfDocument(content)
    except pypdfium2.PdfiumError as error:
        raise UnreadableFile(Text("PDF文件无法读取：{0}", error), field="file") from None
    try:
        subject = _subject(content)
        if len(pdf) > MAX_PAGES:
            raise UnreadableFile(Text("PDF文件超过{0}页，请拆分后上传", MAX_PAGES), field="file")
        for index in range(len(pdf)):
            deadline.check()
            page = pdf[index]
            words = _page_words(page)
            picture = page.render(scale=3).to_pil()
            if not words:  # a scan: its picture is all there is
                if (scanned := _picture(picture, page=index + 1)) is not None:
                    yield scanned
                continue
            payloads = qr_payloads(picture)
            if index == 0 and subject.startswith("01,"):
                payloads.insert(0, subject)
            candidates = [read_face(words, source=Source.TEXT), *_qr_candidates(payloads)]
            if any(c.fields.get("invoice_number") for c in candidates):
                yield merge(candidates, page=index + 1)
    finally:
        pdf.close()


def _subject(content: bytes) -> str:
    """Our PDFs carry the QR payload in the document's Subject."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        return str((PdfReader(io.BytesIO(content)).metadata or {}).get("/Subject", "") or "")
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        return ""


def _page_words(page: Any) -> list[Word]:
    """Each run of text on the page and its box, y downwards (pdfium counts upwards)."""
    text = page.get_textpage()
    height = page.get_height()
    words = []
    for index in range(text.count_rects()):
        left, bottom, right, top = text.get_rect(index)
        run = text.get_text_bounded(left, bottom, right, top)
        for part in run.replace("\r", "\n").split("\n"):
            if part.strip():
                words.append(Word(part, left, height - top, right, height - bottom))
    return words


def image_readings(name: str, content: bytes) -> Iterator[Reading]:
    from fapiao.receiving.pictures import open_picture

    picture = open_picture(name, content)
    reading = _picture(picture)
    if reading is not None:
        yield reading


def _picture(picture: Any, *, page: int | None = None) -> Reading | None:
    """What OCR and the QR code say of a picture (a photo, a scan, a scanned PDF's page)."""
    from fapiao.receiving.ocr import ocr_words
    from fapiao.receiving.pictures import qr_codes, quarter_turn

    codes = qr_codes(picture)
    words = ocr_words(picture, turn=quarter_turn(codes))
    candidates = [read_face(words, source=Source.OCR)]
    candidates += _qr_candidates([payload for payload, _ in codes])
    if not any(c.fields.get("invoice_number") for c in candidates):
        return None
    return merge(candidates, page=page)


def _qr_candidates(payloads: list[str]) -> list[Candidate]:
    """The first payload that reads as an invoice QR."""
    for payload in payloads:
        with contextlib.suppress(DomainError):
            return [qr_candidate(payload)]
    return []
