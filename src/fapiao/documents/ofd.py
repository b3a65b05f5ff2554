"""The invoice as OFD (GB/T 33190-2016): a ZIP of XML parts with the pages as text, path and
image objects, the CJK font embedded as a subset, ``OFD.xml`` CustomData with the key fields,
``Doc_0/Tags/CustomTag.xml`` naming the text objects of each field, for old-style kinds the
``Doc_0/Attachs/original_invoice.xml`` of the e-invoice schema, and the invoice's signature
attached as ``Doc_0/Attachs/signature.xml``.
"""

from __future__ import annotations

import functools
import io
import threading
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections import defaultdict
from typing import Any

import segno
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_xml
from fontTools.fontBuilder import FontBuilder
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._g_l_y_f import Glyph

from fapiao.core.archives import INVOICE, BoundedZip
from fapiao.documents.fonts import Face, FontFile, face_file, font_file
from fapiao.documents.layout import draw_document
from fapiao.documents.layout import page_size as layout_page_size
from fapiao.documents.model import Document, money
from fapiao.documents.surface import BLACK, LABEL, PT, RGB, Surface, char_width, face_of
from fapiao.domain.errors import DomainError, Text

NS = "http://www.ofdspec.org/2016"
INVOICE_NS = "http://www.edrm.org.cn/schema/e-invoice/2019"
FONT_ID, IMAGE_ID, COLOR_SPACE_ID = 2, 3, 4
#: the font resource of each face (the first is FONT_ID), and its file in the package
FACE_IDS = {Face.KAI: FONT_ID, Face.SERIF: 7, Face.MONO: 8, Face.SANS: 9}
FONT_FAMILY = "FapiaoCJK"
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


class BadOfd(DomainError):
    code = "bad_ofd"


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


@functools.cache
def _base_font(found: FontFile) -> tuple[TTFont, dict[int, str], threading.Lock]:
    """A font embedded, read once per process (its glyphs left encoded), its character map,
    and the lock that guards what is read of it later."""
    font = TTFont(str(found.path), fontNumber=found.index, lazy=True)
    return font, font.getBestCmap(), threading.Lock()


def _glyph(glyf: Any, name: str) -> Glyph:
    """A copy of the font's glyph ``name`` as it is encoded (never decoded and encoded again)."""
    stored = glyf.glyphs[name]
    return Glyph(getattr(stored, "data", None) or stored.compile(glyf))


def font_subset(
    chars: set[str], found: FontFile | None = None, *, family: str = FONT_FAMILY
) -> bytes:
    """The embedded font cut down to ``chars``: a TrueType file of their glyphs (and the parts of
    composite ones) as the font encodes them, their metrics and a Unicode map, built from the
    font read once. About 2 ms a document where subsetting the whole font took 200 ms. The
    font-wide bounds (head, maxp) are the whole font's: true of the subset too."""
    base, cmap, lock = _base_font(found or font_file())
    mapping = {ord(c): cmap[ord(c)] for c in chars if ord(c) in cmap}
    with lock:
        glyf, hmtx = base["glyf"], base["hmtx"]
        glyphs: dict[str, Glyph] = {}
        todo = [".notdef", *sorted(set(mapping.values()))]
        while todo:
            name = todo.pop(0)
            if name in glyphs:
                continue
            glyphs[name] = glyph = _glyph(glyf, name)
            if glyph.isComposite():
                todo.extend(glyph.getComponentNames(glyf))
        metrics = {name: hmtx[name] for name in glyphs}
        head, hhea, os2, maxp = base["head"], base["hhea"], base["OS/2"], base["maxp"]
    order = list(glyphs)
    builder = FontBuilder(head.unitsPerEm, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(mapping)
    builder.font["loca"] = newTable("loca")
    table = builder.font["glyf"] = newTable("glyf")
    table.glyphs, table.glyphOrder = glyphs, order
    builder.setupHorizontalMetrics(metrics)
    builder.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent)
    builder.setupNameTable({"familyName": family, "styleName": "Regular"})
    builder.setupOS2(
        sTypoAscender=os2.sTypoAscender, sTypoDescender=os2.sTypoDescender,
        usWinAscent=os2.usWinAscent, usWinDescent=os2.usWinDescent,
    )  # fmt: skip
    builder.setupPost()
    builder.setupMaxp()
    for name in ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours",
                 "maxComponentElements", "maxComponentDepth"):  # fmt: skip
        setattr(builder.font["maxp"], name, getattr(maxp, name))
    for name in ("xMin", "yMin", "xMax", "yMax"):
        setattr(builder.font["head"], name, getattr(head, name))
    builder.font.recalcBBoxes = False  # the glyphs stay as they are encoded
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def qr_png(payload: str) -> bytes:
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False, mask=2).save(out, kind="png", scale=6, border=1)
    return out.getvalue()


def _xml(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="utf-8")


def _el(
    tag: str, parent: ET.Element | None = None, text: str | None = None, **attributes: str
) -> ET.Element:
    name = f"{{{NS}}}{tag}"
    element = (
        ET.Element(name, attributes) if parent is None else ET.SubElement(parent, name, attributes)
    )
    if text is not None:
        element.text = text
    return element


def custom_data(doc: Document) -> dict[str, str]:
    """The key fields, as ``OFD.xml`` CustomData carries them."""
    data = {
        "发票代码": doc.code,
        "发票号码": doc.number,
        "开票日期": doc.issued_on.strftime("%Y年%m月%d日"),
        "校验码": doc.check_code,
        "购买方名称": doc.buyer.name,
        "购买方纳税人识别号": doc.buyer.tax_id,
        "销售方名称": doc.seller.name,
        "销售方纳税人识别号": doc.seller.tax_id,
        "合计金额": money(doc.amount),
        "合计税额": money(doc.tax),
        "价税合计": money(doc.total),
    }
    return {name: value for name, value in data.items() if value}


def original_invoice(doc: Document) -> bytes:
    """``original_invoice.xml`` of an old-style e-invoice (the 2019 e-invoice schema)."""
    ET.register_namespace("fp", INVOICE_NS)

    def sub(parent: ET.Element, tag: str, text: str = "") -> ET.Element:
        element = ET.SubElement(parent, f"{{{INVOICE_NS}}}{tag}")
        element.text = text
        return element

    root = ET.Element("eInvoice", {"Version": "1.0"})
    for tag, value in (
        ("DocID", "01"),
        ("InvoiceCode", doc.code),
        ("InvoiceNo", doc.number),
        ("TypeCode", doc.spec.qr_type),
        ("IssueDate", doc.issued_on.strftime("%Y年%m月%d日")),
        ("InvoiceCheckCode", doc.check_code),
        ("MachineNo", doc.device_number),
        ("TaxControlCode", doc.signature),
    ):
        sub(root, tag, value)
    for role, party in (("Buyer", doc.buyer), ("Seller", doc.seller)):
        block = sub(root, role)
        sub(block, f"{role}Name", party.name)
        sub(block, f"{role}TaxID", party.tax_id)
        sub(block, f"{role}AddrTel", f"{party.address}{party.phone}")
        sub(block, f"{role}FinancialAccount", f"{party.bank}{party.account}")
    sub(root, "TaxInclusiveTotalAmount", money(doc.total))
    sub(root, "TaxExclusiveTotalAmount", money(doc.amount))
    sub(root, "TaxTotalAmount", money(doc.tax))
    sub(root, "Payee", doc.payee)
    sub(root, "Checker", doc.reviewer)
    sub(root, "InvoiceClerk", doc.drawer)
    sub(root, "Note", doc.remarks)
    sub(root, "GraphCode", doc.qr)  # the QR payload, as the real files carry it
    goods = sub(root, "GoodsInfos")
    for line in doc.lines:
        item = sub(goods, "GoodsInfo")
        for tag, value in (
            ("Item", line.name),
            ("Specification", line.spec),
            ("MeasurementDimension", line.unit),
            ("Price", line.unit_price),
            ("Quantity", line.quantity),
            ("Amount", money(line.amount)),
            ("TaxScheme", line.rate),
            ("TaxAmount", line.tax_text),
        ):
            sub(item, tag, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")


def _signature(doc: Document) -> bytes:
    root = ET.Element("FapiaoSignature")
    fields = (
        ("InvoiceNumber", doc.ident),
        ("SignatureAlgorithm", doc.signature_algorithm),
        ("KeyId", doc.key_fingerprint),
        ("SignatureValue", doc.signature),
    )
    for tag, value in fields:
        ET.SubElement(root, tag).text = value
    return _xml(root)


def render_ofd(doc: Document) -> bytes:
    """The invoice as OFD bytes."""
    ET.register_namespace("ofd", NS)
    surface = OfdPage(layout_page_size(doc))
    draw_document(doc, surface)
    box = f"0 0 {_number(PAGE_AREA[0])} {_number(PAGE_AREA[1])}"
    parts: dict[str, bytes] = {}

    ofd = _el("OFD", Version="1.1", DocType="OFD")
    body = _el("DocBody", ofd)
    info = _el("DocInfo", body)
    _el("DocID", info, uuid.uuid5(uuid.NAMESPACE_URL, f"fapiao:{doc.ident}").hex)
    _el("Title", info, f"{doc.spec.name} {doc.ident}")
    _el("Author", info, doc.seller.name)
    _el("CreationDate", info, doc.issued_on.isoformat())
    _el("ModDate", info, doc.issued_on.isoformat())
    _el("Creator", info, "Fapiao")
    customs = _el("CustomDatas", info)
    _el("CustomData", customs, TEMPLATE_VERSION, Name="template-version")
    for name, value in custom_data(doc).items():
        _el("CustomData", customs, value, Name=name)
    _el("CustomData", customs, "fapiao", Name="native-producer")
    _el("CustomData", customs, producer_version(), Name="producer-version")
    _el("DocRoot", body, "Doc_0/Document.xml")
    parts["OFD.xml"] = _xml(ofd)

    document = _el("Document")
    common = _el("CommonData", document)
    _el("MaxUnitID", common, str(surface.next_id))
    area = _el("PageArea", common)
    _el("PhysicalBox", area, box)
    _el("PublicRes", common, "PublicRes.xml")
    _el("DocumentRes", common, "DocumentRes.xml")
    pages = _el("Pages", document)
    for index in range(len(surface.pages)):
        _el("Page", pages, ID=str(index + 1), BaseLoc=f"Pages/Page_{index}/Content.xml")
    _el("Attachments", document, "Attachs/Attachments.xml")
    _el("CustomTags", document, "Tags/CustomTags.xml")
    parts["Doc_0/Document.xml"] = _xml(document)

    public = _el("Res", BaseLoc="Res")
    spaces = _el("ColorSpaces", public)
    _el("ColorSpace", spaces, ID=str(COLOR_SPACE_ID), Type="RGB")
    params = _el("DrawParams", public)
    for color, param_id in DRAW_PARAMS.items():
        param = _el("DrawParam", params, ID=str(param_id))
        value = " ".join(map(str, color))
        _el("FillColor", param, Value=value, ColorSpace=str(COLOR_SPACE_ID))
        _el("StrokeColor", param, Value=value, ColorSpace=str(COLOR_SPACE_ID))
    fonts = _el("Fonts", public)
    for face, chars in surface.chars.items():
        family = f"Fapiao{face.value.title()}"
        font = _el("Font", fonts, ID=str(FACE_IDS[face]), FontName=family, FamilyName=family)
        _el("FontFile", font, f"{face.value}.ttf")
        parts[f"Doc_0/Res/{face.value}.ttf"] = font_subset(chars, face_file(face), family=family)
    parts["Doc_0/PublicRes.xml"] = _xml(public)
    media_res = _el("Res", BaseLoc="Res")
    medias = _el("MultiMedias", media_res)
    media = _el("MultiMedia", medias, ID=str(IMAGE_ID), Type="Image", Format="PNG")
    _el("MediaFile", media, "qr.png")
    parts["Doc_0/DocumentRes.xml"] = _xml(media_res)
    parts["Doc_0/Res/qr.png"] = qr_png(surface.qr_payload or doc.qr)

    for index, objects in enumerate(surface.pages):
        page = _el("Page")
        page_area = _el("Area", page)
        _el("PhysicalBox", page_area, box)
        layer = _el("Layer", _el("Content", page), ID=str(surface._id()))
        layer.extend(objects)
        parts[f"Doc_0/Pages/Page_{index}/Content.xml"] = _xml(page)

    tags = _el("CustomTags")
    tag = _el("CustomTag", tags, TypeID="invoice")
    _el("FileLoc", tag, "CustomTag.xml")
    parts["Doc_0/Tags/CustomTags.xml"] = _xml(tags)
    root = _el("root", version="1.0")
    parties: dict[str, ET.Element] = {}
    for name, references in surface.tags.items():
        role = PARTY_TAGS.get(name)
        parent = root if role is None else parties.get(role)
        if parent is None:
            parent = parties[role] = _el(role, root)  # type: ignore[arg-type]
        field = _el(name, parent)
        for page_number, object_id in references:
            _el("ObjectRef", field, str(object_id), PageRef=str(page_number))
    parts["Doc_0/Tags/CustomTag.xml"] = _xml(root)

    attachments = _el("Attachments")
    files = [("signature", _signature(doc))]
    if not doc.spec.digital:
        files.insert(0, ("original_invoice", original_invoice(doc)))
    for name, content in files:
        attachment = _el(
            "Attachment",
            attachments,
            Name=name,
            Format="xml",
            Visible="false",
            CreationDate=doc.issued_at.strftime("%Y-%m-%dT%H:%M:%S"),
            Size=_number(len(content) / 1024),
        )
        _el("FileLoc", attachment, f"{name}.xml")
        parts[f"Doc_0/Attachs/{name}.xml"] = content
    parts["Doc_0/Attachs/Attachments.xml"] = _xml(attachments)

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


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
    page_texts = []
    for name in sorted(n for n in names if n.endswith("/Content.xml") and "/Pages/" in n):
        page = safe_xml(archive.read(name))
        words = []
        for element in page.iter(f"{{{NS}}}TextObject"):
            text = "".join(code.text or "" for code in element.iter(f"{{{NS}}}TextCode"))
            texts[int(element.get("ID", "0"))] = text
            words.append(text)
        page_texts.append(words)
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
    result: dict[str, Any] = {"custom": custom, "pages": page_texts, "tagged": tagged}
    for attached in ("original_invoice", "signature"):
        name = f"Doc_0/Attachs/{attached}.xml"
        if name in names:
            result[attached] = archive.read(name)
    return result
