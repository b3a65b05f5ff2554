"""Documents of stored invoices: the :class:`Document` of an invoice, and its renderings."""

from __future__ import annotations

import io
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from fapiao.documents.digital_xml import render_xml
from fapiao.documents.model import UNTAXED, DocLine, Document
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.invoice import Party
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.money import format_plain
from fapiao.domain.rates import TaxpayerKind, parse_rate
from fapiao.domain.taxcodes import display_name
from fapiao.invoicing.keys import fingerprint
from fapiao.invoicing.ledger import digest, invoice_digest
from fapiao.invoicing.models import Invoice


def document_of(invoice: Invoice) -> Document:
    """The invoice as its documents print it."""
    lines = tuple(
        DocLine(
            name=display_name(line.short_name, line.name),
            spec=line.spec,
            unit=line.unit,
            quantity="" if line.quantity is None else format_plain(line.quantity),
            unit_price="" if line.unit_price is None else format_plain(line.unit_price),
            amount=line.amount,
            rate=(rate := parse_rate(line.rate)).label,
            tax=line.tax,
            tax_code=line.tax_code,
            rate_value=rate.label if rate.label in UNTAXED else line.rate,
        )
        for line in invoice.lines.all()
    )
    key = invoice.signing_key
    return Document(
        kind=InvoiceKind(invoice.kind),
        code=invoice.code,
        number=invoice.number,
        issued_at=timezone.localtime(invoice.issued_at),
        seller=Party(**invoice.seller),
        buyer=Party(**invoice.buyer),
        lines=lines,
        amount=invoice.amount,
        tax=invoice.tax,
        total=invoice.total,
        qr=invoice.qr,
        check_code=invoice.check_code,
        remarks=invoice.remarks,
        payee=invoice.payee,
        reviewer=invoice.reviewer,
        drawer=invoice.drawer,
        red=invoice.red,
        region=invoice.taxpayer.region,
        device_number=invoice.channel.device_number,
        signature=invoice.signature,
        signature_algorithm=key.algorithm,
        key_fingerprint=fingerprint(key),
    )


#: Bump when a renderer's output changes, so cached files are made again.
RENDER_VERSION = "2"  # figures whole, 备注 continued, QR as real ones, *** for untaxed lines
FORMATS = {"pdf": "application/pdf", "xml": "application/xml", "ofd": "application/ofd"}


class DocumentUnavailable(DomainError):
    code = "document_unavailable"


def _cache_dir() -> Path:
    return Path(settings.VAR_DIR) / "documents"


def document_render(
    invoice: Invoice, format: str, *, offset: tuple[float, float] = (0.0, 0.0)
) -> bytes:
    """The invoice as ``format`` (pdf, xml, ofd), made on demand and cached by content hash:
    the same invoice content, renderer version and print offset give the same file."""
    if format not in FORMATS:
        raise DocumentUnavailable("文件格式应为 pdf、xml 或 ofd", field="format")
    kind = spec(InvoiceKind(invoice.kind))
    if format == "xml" and not kind.digital:
        raise DocumentUnavailable(Text("{0}没有数电XML，请下载PDF或OFD", kind.name), field="format")
    key = digest([invoice_digest(invoice), format, RENDER_VERSION, list(offset)])
    path = _cache_dir() / key[:2] / f"{key}.{format}"
    if path.is_file():  # a cached file needs no document built
        return path.read_bytes()
    doc = document_of(invoice)
    # the renderers (reportlab, fontTools) load when a file is first made, not at start-up
    if format == "pdf":
        from fapiao.documents.pdf import render_pdf

        content = render_pdf(doc, offset=offset)
    elif format == "xml":
        content = render_xml(doc, taxpayer_general=invoice.taxpayer.kind == TaxpayerKind.GENERAL)
    else:
        from fapiao.documents.ofd import render_ofd

        content = render_ofd(doc)
    _store(path, content)
    return content


def _store(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(content)
    partial.replace(path)  # atomic: a reader sees the whole file or none


#: the preview's resolution: a 240 mm wide invoice comes out about 1,000 pixels wide
PREVIEW_SCALE = 1.5


def document_preview(invoice: Invoice) -> bytes:
    """The PDF's first page as a PNG, for the invoice's page (a picture every browser shows,
    where a PDF in a frame may be a blank box); cached beside the PDF."""
    key = digest([invoice_digest(invoice), "preview", RENDER_VERSION, PREVIEW_SCALE])
    path = _cache_dir() / key[:2] / f"{key}.png"
    if path.is_file():
        return path.read_bytes()
    import pypdfium2

    pdf = pypdfium2.PdfDocument(document_render(invoice, "pdf"))
    try:
        image = pdf[0].render(scale=PREVIEW_SCALE).to_pil()
    finally:
        pdf.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    _store(path, out.getvalue())
    return out.getvalue()


def document_filename(invoice: Invoice, format: str) -> str:
    """``<kind>_<number>_<total>.<format>``, as the platform names its downloads."""
    return f"{spec(InvoiceKind(invoice.kind)).short_name}_{invoice}_{invoice.total}.{format}"
