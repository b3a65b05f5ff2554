"""The invoice as PDF (reportlab), with the CJK TrueType font embedded (a subset per file)."""

from __future__ import annotations

import io

import segno
from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from fapiao.documents.fonts import Face, registered
from fapiao.documents.layout import draw_document, page_size
from fapiao.documents.model import Document
from fapiao.documents.surface import BLACK, LABEL, RGB, Surface, face_of


def qr_matrix(payload: str) -> tuple[bytearray, ...]:
    """The QR modules of ``payload``; a fixed mask, since any of the eight is valid and
    choosing the "best" costs most of the time."""
    return segno.make(payload, error="m", micro=False, mask=2).matrix


class PdfPage(Surface):
    """A reportlab canvas addressed in mm from the top-left, shifted by a print offset."""

    def __init__(self, canvas: Canvas, size: tuple[float, float], offset: tuple[float, float]):
        self.canvas = canvas
        self.size = size
        self.dx, self.dy = offset

        self._colors: dict[RGB, Color] = {}

    def _xy(self, x: float, y: float) -> tuple[float, float]:
        return (x + self.dx) * mm, (self.size[1] - y - self.dy) * mm

    def _color(self, rgb: RGB) -> Color:
        color = self._colors.get(rgb)
        if color is None:
            color = self._colors[rgb] = Color(*(c / 255 for c in rgb))
        return color

    def text(
        self, x: float, y: float, text: str, size: float = 9, *, color: RGB = BLACK,
        align: str = "l", tag: str = "", face: Face | None = None,
    ) -> None:  # fmt: skip
        if not text:
            return
        canvas = self.canvas
        canvas.setFillColor(self._color(color))
        canvas.setFont(registered(face_of(color, face)), size)
        px, py = self._xy(x, y)
        if align == "r":
            canvas.drawRightString(px, py, text)
        elif align == "c":
            canvas.drawCentredString(px, py, text)
        else:
            canvas.drawString(px, py, text)

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.8) -> None:
        self.canvas.setStrokeColor(self._color(LABEL))
        self.canvas.setLineWidth(width)
        self.canvas.line(*self._xy(x1, y1), *self._xy(x2, y2))

    def circle(self, x: float, y: float, radius: float) -> None:
        self.canvas.setStrokeColor(self._color(BLACK))
        self.canvas.setLineWidth(0.6)
        self.canvas.circle(*self._xy(x, y), radius * mm, stroke=1, fill=0)

    def qr(self, x: float, y: float, size: float, payload: str) -> None:
        """Vector squares (runs of dark modules), one module of quiet zone inside the square."""
        matrix = qr_matrix(payload)
        module = size / (len(matrix) + 2)
        canvas = self.canvas
        canvas.setFillColor(self._color(BLACK))
        path = canvas.beginPath()
        for row_index, row in enumerate(matrix):
            top = y + (row_index + 1) * module
            start = None
            for col_index, dark in enumerate([*row, 0]):
                if dark and start is None:
                    start = col_index
                elif not dark and start is not None:
                    px, py = self._xy(x + (start + 1) * module, top + module)
                    path.rect(px, py, (col_index - start) * module * mm, module * mm)
                    start = None
        canvas.drawPath(path, stroke=0, fill=1)

    def new_page(self) -> None:
        self.canvas.showPage()
        self.canvas.setPageSize((self.size[0] * mm, self.size[1] * mm))


def render_pdf(doc: Document, *, offset: tuple[float, float] = (0.0, 0.0)) -> bytes:
    """The invoice as PDF bytes; ``offset`` (mm, right and down) shifts everything for a
    printer feeding pre-printed paper forms."""
    size = page_size(doc)
    out = io.BytesIO()
    canvas = Canvas(
        out,
        pagesize=(size[0] * mm, size[1] * mm),
        pageCompression=1,
        initialFontName=registered(Face.KAI),  # else an unused, unembedded Helvetica is listed
    )
    canvas.setTitle(f"{doc.spec.name} {doc.ident}")
    canvas.setAuthor(doc.seller.name)
    canvas.setSubject(doc.qr)
    if doc.signature:
        canvas.setKeywords(f"signature:{doc.signature}")
    canvas.setCreator("Fapiao")
    draw_document(doc, PdfPage(canvas, size, offset))
    canvas.showPage()
    canvas.save()
    return out.getvalue()
