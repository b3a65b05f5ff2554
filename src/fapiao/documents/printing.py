"""Printing: per-printer offsets for pre-printed paper forms, and the printed mark."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from fapiao.documents.models import Paper, Printer
from fapiao.documents.services import document_render
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.lifecycle import Action
from fapiao.invoicing.corrections import invoice_mark
from fapiao.invoicing.models import Invoice, Taxpayer
from fapiao.security.audit import audit_append

OFFSET_LIMIT = Decimal(30)  # mm; more is a wrong setting, not a misaligned feed
MM = 72 / 25.4  # PDF points in a millimetre
#: plain sheets (width, height in mm)
SHEETS = {Paper.A4: (210, 297), Paper.A5: (210, 148)}


class PrinterError(DomainError):
    code = "printer"


def printer_save(
    *,
    taxpayer: Taxpayer,
    name: str,
    offset_right: Decimal,
    offset_down: Decimal,
    paper: str = Paper.INVOICE,
    actor: str = "system",
) -> Printer:
    """Create or adjust a printer's paper and offsets (mm, between −30 and 30); audited with
    what it was before."""
    name = name.strip()
    if paper not in Paper.values:
        raise PrinterError("请选择纸张", field="paper")
    if not name:
        raise PrinterError("请填写打印机名称", field="name")
    for field, value in (("offset_right", offset_right), ("offset_down", offset_down)):
        if abs(value) > OFFSET_LIMIT:
            raise PrinterError(Text("偏移应在±{0}毫米之内", OFFSET_LIMIT), field=field)
    old = Printer.objects.filter(taxpayer=taxpayer, name=name).first()
    before = {"offset_right": str(old.offset_right), "offset_down": str(old.offset_down),
              "paper": old.paper} if old else None  # fmt: skip
    printer, _ = Printer.objects.update_or_create(
        taxpayer=taxpayer,
        name=name,
        defaults={"offset_right": offset_right, "offset_down": offset_down, "paper": paper},
    )
    after = {"offset_right": str(offset_right), "offset_down": str(offset_down), "paper": paper}
    if before != after:
        audit_append("setting.changed", actor=actor, taxpayer=taxpayer,
                     payload={"what": f"printer:{name}", "before": before,
                              "after": after})  # fmt: skip
    return printer


@transaction.atomic
def invoice_print(*, invoice: Invoice, printer: Printer | None, actor: str) -> bytes:
    """The PDF to send to ``printer`` (shifted by its offsets), and the invoice marked printed."""
    if printer is not None and printer.taxpayer_id != invoice.taxpayer_id:
        raise PrinterError("打印机不属于该纳税人", field="printer")
    offset = (float(printer.offset_right), float(printer.offset_down)) if printer else (0.0, 0.0)
    content = document_render(invoice, "pdf", offset=offset)
    if printer is not None and printer.paper != Paper.INVOICE:
        content = on_sheet(content, SHEETS[Paper(printer.paper)])
    invoice_mark(
        invoice=invoice,
        action=Action.PRINT,
        actor=actor,
        detail=f"打印机 {printer}" if printer else "打印",
    )
    return content


def on_sheet(content: bytes, sheet: tuple[int, int]) -> bytes:
    """Each page of the PDF ``content`` at the top of a ``sheet`` (mm), centred across it and
    shrunk to its width when wider, at its own size otherwise."""
    import io

    from pypdf import PdfReader, PdfWriter, Transformation

    width, height = sheet[0] * MM, sheet[1] * MM
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(content)).pages:
        box = page.mediabox
        scale = min(1.0, width / float(box.width), height / float(box.height))
        left = (width - float(box.width) * scale) / 2
        top = height - float(box.height) * scale
        blank = writer.add_blank_page(width=width, height=height)
        blank.merge_transformed_page(page, Transformation().scale(scale).translate(left, top))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
