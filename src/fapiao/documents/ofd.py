"""The invoice as OFD (GB/T 33190-2016): a ZIP of XML parts with the pages as text, path and
image objects, the CJK font embedded as a subset, ``OFD.xml`` CustomData with the key fields,
``Doc_0/Tags/CustomTag.xml`` naming the text objects of each field, for old-style kinds the
``Doc_0/Attachs/original_invoice.xml`` of the e-invoice schema, and the invoice's signature
attached as ``Doc_0/Attachs/signature.xml``.
"""

from __future__ import annotations

import functools
import io
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections import defaultdict

from fapiao.documents.fonts import Face, face_file
from fapiao.documents.layout import draw_document
from fapiao.documents.layout import page_size as layout_page_size
from fapiao.documents.model import Document
from fapiao.documents.ofd_font import font_subset
from fapiao.documents.ofd_parts import (
    NS,
    custom_data,
    el,
    original_invoice,
    qr_png,
    signature_xml,
    xml_bytes,
)
from fapiao.documents.surface import BLACK, LABEL, PT, RGB, Surface, char_width, face_of

FONT_ID, IMAGE_ID, COLOR_SPACE_ID = 2, 3, 4
#: the font resource of each face (the first is FONT_ID), and its file in the package
FACE_IDS = {Face.KAI: FONT_ID, Face.SERIF: 7, Face.MONO: 8, Face.SANS: 9}
#: DrawParams in PublicRes, by colour, as the platform's files give colours (readers that look
#: only there, such as easyofd, draw them too)
DRAW_PARAMS = {LABEL: 5, BLACK: 6}
#: the page area of real invoice OFDs, mm
PAGE_AREA = (210.0, 140.0)
TEMPLATE_VERSION = "fapiao-1.1"


@functools.cache
def producer_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fapiao")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "0"


#: CustomTag fields nested in a party, as in the platform's files
PARTY_TAGS = {
    f"{role}{field}": role
    for role in ("Buyer", "Seller")
    for field in ("Name", "TaxID", "AddrTel", "FinancialAccount")
}


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


class OfdPage(Surface):
    """Collects a page's objects; ``new_page`` starts the next one."""

    def __init__(self, size: tuple[float, float]) -> None:
        self.size = size
        self.pages: list[list[ET.Element]] = [[]]
        self.next_id = 10
        self.tags: dict[str, list[tuple[int, int]]] = defaultdict(list)  # tag → (page, object)
        self.chars: dict[Face, set[str]] = defaultdict(set)  # the characters of each face
        self.qr_payload = ""

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _add(self, tag: str, **attributes: str) -> ET.Element:
        element = ET.Element(f"{{{NS}}}{tag}", attributes)
        self.pages[-1].append(element)
        return element

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
        face: Face | None = None,
    ) -> None:
        if not text:
            return
        face = face_of(color, face)
        self.chars[face].update(text)
        advances = [char_width(char, size, face) for char in text]
        width = sum(advances)
        left = x - width if align == "r" else x - width / 2 if align == "c" else x
        height = size * PT
        object_id = self._id()
        element = self._add(
            "TextObject",
            ID=str(object_id),
            Boundary=" ".join(_number(v) for v in (left, y - height, width + 0.5, height * 1.3)),
            Font=str(FACE_IDS[face]),
            Size=_number(height),
        )
        if color in DRAW_PARAMS:
            element.set("DrawParam", str(DRAW_PARAMS[color]))
        if color != BLACK:
            ET.SubElement(
                element, f"{{{NS}}}FillColor", Value=" ".join(map(str, color)),
                ColorSpace=str(COLOR_SPACE_ID),
            )  # fmt: skip
        code = ET.SubElement(element, f"{{{NS}}}TextCode", X="0", Y=_number(height))
        if len(text) > 1:
            code.set("DeltaX", " ".join(_number(a) for a in advances[:-1]))
        code.text = text
        if tag:
            self.tags[tag].append((len(self.pages), object_id))

    def _path(self, data: str, width: float, color: RGB) -> None:
        element = self._add(
            "PathObject",
            ID=str(self._id()),
            Boundary=f"0 0 {_number(self.size[0])} {_number(self.size[1])}",
            LineWidth=_number(width * PT),
        )
        if color in DRAW_PARAMS:
            element.set("DrawParam", str(DRAW_PARAMS[color]))
        ET.SubElement(
            element, f"{{{NS}}}StrokeColor", Value=" ".join(map(str, color)),
            ColorSpace=str(COLOR_SPACE_ID),
        )  # fmt: skip
        ET.SubElement(element, f"{{{NS}}}AbbreviatedData").text = data

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.8) -> None:
        self._path(f"M {_number(x1)} {_number(y1)} L {_number(x2)} {_number(y2)}", width, LABEL)

    def circle(self, x: float, y: float, radius: float) -> None:
        """Four cubic Béziers (every OFD reader draws those; arcs are drawn at the page origin
        by some)."""
        k = radius * 0.5523
        n = _number
        quarters = (
            (x + radius, y), (x, y + radius), (x - radius, y), (x, y - radius), (x + radius, y)
        )  # fmt: skip
        handles = ((0, k, k, 0), (-k, 0, 0, k), (0, -k, -k, 0), (k, 0, 0, -k))
        data = [f"M {n(quarters[0][0])} {n(quarters[0][1])}"]
        for (x0, y0), (x1, y1), (a, b, c, d) in zip(
            quarters[:-1], quarters[1:], handles, strict=True
        ):
            data.append(f"B {n(x0 + a)} {n(y0 + b)} {n(x1 + c)} {n(y1 + d)} {n(x1)} {n(y1)}")
        self._path(" ".join([*data, "C"]), 0.6, BLACK)

    def qr(self, x: float, y: float, size: float, payload: str) -> None:
        self.qr_payload = payload
        self._add(
            "ImageObject",
            ID=str(self._id()),
            Boundary=" ".join(_number(v) for v in (x, y, size, size)),
            CTM=f"{_number(size)} 0 0 {_number(size)} 0 0",
            ResourceID=str(IMAGE_ID),
        )

    def new_page(self) -> None:
        self.pages.append([])


def render_ofd(doc: Document) -> bytes:
    """The invoice as OFD bytes."""
    ET.register_namespace("ofd", NS)
    surface = OfdPage(layout_page_size(doc))
    draw_document(doc, surface)
    box = f"0 0 {_number(PAGE_AREA[0])} {_number(PAGE_AREA[1])}"
    parts: dict[str, bytes] = {}

    ofd = el("OFD", Version="1.1", DocType="OFD")
    body = el("DocBody", ofd)
    info = el("DocInfo", body)
    el("DocID", info, uuid.uuid5(uuid.NAMESPACE_URL, f"fapiao:{doc.ident}").hex)
    el("Title", info, f"{doc.spec.name} {doc.ident}")
    el("Author", info, doc.seller.name)
    el("CreationDate", info, doc.issued_on.isoformat())
    el("ModDate", info, doc.issued_on.isoformat())
    el("Creator", info, "Fapiao")
    customs = el("CustomDatas", info)
    el("CustomData", customs, TEMPLATE_VERSION, Name="template-version")
    for name, value in custom_data(doc).items():
        el("CustomData", customs, value, Name=name)
    el("CustomData", customs, "fapiao", Name="native-producer")
    el("CustomData", customs, producer_version(), Name="producer-version")
    el("DocRoot", body, "Doc_0/Document.xml")
    parts["OFD.xml"] = xml_bytes(ofd)

    document = el("Document")
    common = el("CommonData", document)
    el("MaxUnitID", common, str(surface.next_id))
    area = el("PageArea", common)
    el("PhysicalBox", area, box)
    el("PublicRes", common, "PublicRes.xml")
    el("DocumentRes", common, "DocumentRes.xml")
    pages = el("Pages", document)
    for index in range(len(surface.pages)):
        el("Page", pages, ID=str(index + 1), BaseLoc=f"Pages/Page_{index}/Content.xml")
    el("Attachments", document, "Attachs/Attachments.xml")
    el("CustomTags", document, "Tags/CustomTags.xml")
    parts["Doc_0/Document.xml"] = xml_bytes(document)

    public = el("Res", BaseLoc="Res")
    spaces = el("ColorSpaces", public)
    el("ColorSpace", spaces, ID=str(COLOR_SPACE_ID), Type="RGB")
    params = el("DrawParams", public)
    for color, param_id in DRAW_PARAMS.items():
        param = el("DrawParam", params, ID=str(param_id))
        value = " ".join(map(str, color))
        el("FillColor", param, Value=value, ColorSpace=str(COLOR_SPACE_ID))
        el("StrokeColor", param, Value=value, ColorSpace=str(COLOR_SPACE_ID))
    fonts = el("Fonts", public)
    for face, chars in surface.chars.items():
        family = f"Fapiao{face.value.title()}"
        font = el("Font", fonts, ID=str(FACE_IDS[face]), FontName=family, FamilyName=family)
        el("FontFile", font, f"{face.value}.ttf")
        parts[f"Doc_0/Res/{face.value}.ttf"] = font_subset(chars, face_file(face), family=family)
    parts["Doc_0/PublicRes.xml"] = xml_bytes(public)
    media_res = el("Res", BaseLoc="Res")
    medias = el("MultiMedias", media_res)
    media = el("MultiMedia", medias, ID=str(IMAGE_ID), Type="Image", Format="PNG")
    el("MediaFile", media, "qr.png")
    parts["Doc_0/DocumentRes.xml"] = xml_bytes(media_res)
    parts["Doc_0/Res/qr.png"] = qr_png(surface.qr_payload or doc.qr)

    for index, objects in enumerate(surface.pages):
        page = el("Page")
        page_area = el("Area", page)
        el("PhysicalBox", page_area, box)
        layer = el("Layer", el("Content", page), ID=str(surface._id()))
        layer.extend(objects)
        parts[f"Doc_0/Pages/Page_{index}/Content.xml"] = xml_bytes(page)

    tags = el("CustomTags")
    tag = el("CustomTag", tags, TypeID="invoice")
    el("FileLoc", tag, "CustomTag.xml")
    parts["Doc_0/Tags/CustomTags.xml"] = xml_bytes(tags)
    root = el("root", version="1.0")
    parties: dict[str, ET.Element] = {}
    for name, references in surface.tags.items():
        role = PARTY_TAGS.get(name)
        parent = root if role is None else parties.get(role)
        if parent is None:
            parent = parties[role] = el(role, root)  # type: ignore[arg-type]
        field = el(name, parent)
        for page_number, object_id in references:
            el("ObjectRef", field, str(object_id), PageRef=str(page_number))
    parts["Doc_0/Tags/CustomTag.xml"] = xml_bytes(root)

    attachments = el("Attachments")
    files = [("signature", signature_xml(doc))]
    if not doc.spec.digital:
        files.insert(0, ("original_invoice", original_invoice(doc)))
    for name, content in files:
        attachment = el(
            "Attachment",
            attachments,
            Name=name,
            Format="xml",
            Visible="false",
            CreationDate=doc.issued_at.strftime("%Y-%m-%dT%H:%M:%S"),
            Size=_number(len(content) / 1024),
        )
        el("FileLoc", attachment, f"{name}.xml")
        parts[f"Doc_0/Attachs/{name}.xml"] = content
    parts["Doc_0/Attachs/Attachments.xml"] = xml_bytes(attachments)

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()
