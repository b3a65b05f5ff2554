"""Rendered documents read back: PDF text, fonts and QR code; 数电 XML; OFD (also by easyofd)."""

from __future__ import annotations

import base64
import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy
import pdfplumber
import pypdfium2
import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops
from pypdf import PdfReader

from fapiao.documents.digital_xml import parse_xml, render_xml
from fapiao.documents.model import DocLine, Document
from fapiao.documents.ofd import render_ofd
from fapiao.documents.ofd_read import parse_ofd
from fapiao.documents.pdf import render_pdf
from fapiao.documents.services import document_of, document_render
from fapiao.domain.invoice import Party
from fapiao.domain.kinds import InvoiceKind
from fapiao.domain.lifecycle import RedReason
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import Invoice
from fapiao.invoicing.red_invoices import invoice_issue_red
from fapiao.invoicing.services import invoice_issue
from tests.integration.world import SPECIAL_BUYER, World, make_world

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 30, tzinfo=SH)
GOLDEN = Path(__file__).parent.parent / "golden"
D = Decimal
LINES = [
    {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "1000",
     "spec": "V2.0", "unit": "项", "quantity": "1"},
    {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "-100",
     "discount": True},
    {"name": "培训费（含教材、场地、讲师及结业考核的全部费用）", "tax_code": "3070201020000000000",
     "rate": "6%", "quantity": "4", "unit_price": "250", "unit": "人次"},
    {"name": "修理修配劳务", "tax_code": "2020000000000000000", "rate": "13%",
     "quantity": "7.44", "unit_price": "3589.38053097345", "unit": "次", "spec": "CK6150"},
]  # fmt: skip


@pytest.fixture
def world() -> World:
    return make_world(credit=None, stock=20)


def issue(world: World, kind: InvoiceKind, lines: list[dict[str, Any]] | None = None) -> Invoice:
    digital = kind.value.startswith("DIGITAL")
    return invoice_issue(
        taxpayer=world.taxpayer,
        channel=world.digital if digital else world.device,
        draft=parse_draft(
            {
                "kind": kind.value,
                "buyer": SPECIAL_BUYER,
                "lines": lines or LINES,
                "remarks": "项目编号：WX-2026-118",
                "drawer": "周煜敏",
                "payee": "李娜",
                "reviewer": "王强",
            }
        ),
        request_id=None,
        actor="clerk",
        issued_at=NOW,
        now=NOW,
    )


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(content: bytes) -> str:
    return squeeze("".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def assert_pdf_shows(content: bytes, invoice: Invoice) -> None:
    """Every fact of the invoice is in the PDF's text layer, exactly."""
    doc = document_of(invoice)
    text = pdf_text(content)
    expected = [
        doc.number, doc.issued_on.strftime("%Y年%m月%d日"), doc.buyer.name, doc.buyer.tax_id,
        doc.seller.name, doc.seller.tax_id, f"¥{doc.amount:.2f}", f"¥{doc.tax:.2f}",
        f"¥{doc.total:.2f}", doc.total_in_words, doc.drawer,
    ]  # fmt: skip
    if doc.code:
        expected.append(doc.code)
    for line in doc.lines:
        expected += [squeeze(line.name), f"{line.amount:.2f}", f"{line.tax:.2f}", line.rate]
        expected += [value for value in (line.quantity, line.unit_price, line.unit) if value]
    missing = [item for item in expected if squeeze(item) not in text]
    assert not missing, f"not in the PDF text: {missing}"


def fonts_embedded(content: bytes) -> list[str]:
    """The base font names of every font used, after checking each one embeds its outlines."""
    names = []
    for page in PdfReader(io.BytesIO(content)).pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target["/FontDescriptor"].get_object()
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), (
                f"{font['/BaseFont']} is not embedded"
            )
            names.append(str(font["/BaseFont"]))
    return names


def decoded_qr(content: bytes) -> str:
    image = pypdfium2.PdfDocument(content)[0].render(scale=4).to_pil()
    found = zxingcpp.read_barcodes(image)
    assert found, "no QR code found on the page"
    return found[0].text


@pytest.mark.parametrize("kind", list(InvoiceKind))
def test_every_kind_renders_a_pdf_with_all_its_facts(world: World, kind: InvoiceKind) -> None:
    invoice = issue(world, kind)
    content = document_render(invoice, "pdf")
    assert content.startswith(b"%PDF")
    assert_pdf_shows(content, invoice)
    assert fonts_embedded(content)
    assert decoded_qr(content) == invoice.qr
    titles = {
        InvoiceKind.DIGITAL_SPECIAL: "电子发票（增值税专用发票）",
        InvoiceKind.DIGITAL_ORDINARY: "电子发票（普通发票）",
        InvoiceKind.VAT_SPECIAL_PAPER: "江苏增值税专用发票",
        InvoiceKind.VAT_ORDINARY_PAPER: "江苏增值税普通发票",
        InvoiceKind.VAT_SPECIAL_ELECTRONIC: "江苏增值税电子专用发票",
        InvoiceKind.VAT_ORDINARY_ELECTRONIC: "江苏增值税电子普通发票",
    }
    assert titles[kind] in pdf_text(content)


def test_red_invoice_and_the_sales_list(world: World) -> None:
    many = [
        {"name": f"配件{i:02d}", "tax_code": "2020000000000000000", "rate": "13%",
         "quantity": str(i), "unit_price": "10.5", "unit": "个"}
        for i in range(1, 13)
    ]  # fmt: skip
    paper = issue(world, InvoiceKind.VAT_ORDINARY_PAPER, many)
    content = document_render(paper, "pdf")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 2
    face, listing = (squeeze(page.extract_text()) for page in reader.pages)
    assert "（详见销货清单）" in face and "配件01" not in face
    assert "销售货物或者提供应税劳务、服务清单" in listing
    assert all(f"配件{i:02d}" in listing for i in range(1, 13))
    assert_pdf_shows(content, paper)

    blue = issue(world, InvoiceKind.VAT_ORDINARY_ELECTRONIC)
    red = invoice_issue_red(blue=blue, actor="clerk", reason=RedReason.WRONG, now=NOW)
    content = document_render(red, "pdf")
    assert_pdf_shows(content, red)
    text = pdf_text(content)
    assert "销项负数" in text and f"¥{red.total}" in text and red.total < 0
    assert squeeze(red.remarks) in text


def test_print_offset_moves_everything_and_the_cache_keeps_each_rendering(world: World) -> None:
    invoice = issue(world, InvoiceKind.VAT_SPECIAL_PAPER)

    def x_of_number(content: bytes) -> float:
        found: list[float] = []
        PdfReader(io.BytesIO(content)).pages[0].extract_text(
            visitor_text=lambda text, cm, tm, *_: (
                found.append(tm[4]) if text.strip() == invoice.number else None
            )
        )
        return found[0]

    plain = document_render(invoice, "pdf")
    assert document_render(invoice, "pdf") == plain  # from the cache
    shifted = document_render(invoice, "pdf", offset=(5.0, 3.0))
    assert shifted != plain
    assert x_of_number(shifted) - x_of_number(plain) == pytest.approx(5 / 25.4 * 72, abs=0.01)


def test_digital_xml_round_trip_and_the_platforms_sample(world: World) -> None:
    invoice = issue(world, InvoiceKind.DIGITAL_SPECIAL)
    content = document_render(invoice, "xml")
    parsed = parse_xml(content)
    assert (parsed["number"], parsed["issued_on"]) == (invoice.number, "2026-11-23")
    assert (parsed["amount"], parsed["tax"], parsed["total"]) == (
        invoice.amount, invoice.tax, invoice.total
    )  # fmt: skip
    assert parsed["special"] and parsed["blue"]
    assert parsed["seller"]["tax_id"] == invoice.seller["tax_id"]
    assert parsed["buyer"]["account"] == SPECIAL_BUYER["account"]
    stored = list(invoice.lines.all())
    assert [(line["amount"], line["tax"], line["tax_code"]) for line in parsed["lines"]] == [
        (line.amount, line.tax, line.tax_code) for line in stored
    ]
    assert parsed["lines"][3]["unit_price"] == "3589.38053097345"
    assert parsed["total_in_words"] == document_of(invoice).total_in_words
    assert parsed["signature"] == invoice.signature
    assert b"<TotalTax-includedAmount>" in content and b"<TotaltaxIncludedAmount>" in content
    # the platform's element order, with the labels and the seller's authentication it carries
    top = [element.tag for element in ET.fromstring(content)]
    assert top == ["Header", "EInvoiceData", "SellerAuthentication", "TaxSupervisionInfo",
                   "FapiaoSignature"]  # fmt: skip
    header = [element.tag for element in ET.fromstring(content).find("Header")]
    assert header == ["EIid", "EInvoiceTag", "Version", "InherentLabel", "UndefinedLabel"]
    assert b"<TaxBureauName>\xe5\x9b\xbd\xe5\xae\xb6\xe7\xa8\x8e\xe5\x8a\xa1" in content
    sample = (
        parse_xml(Path("/work/shared/samples/shudian-ordinary.xml").read_bytes())
        if Path("/work/shared/samples/shudian-ordinary.xml").exists()
        else None
    )
    if sample is not None:
        assert (sample["number"], sample["total"]) == ("25322000000365404822", D("250.00"))
    paper = issue(world, InvoiceKind.VAT_ORDINARY_ELECTRONIC)
    with pytest.raises(Exception, match="没有数电XML"):
        document_render(paper, "xml")


def test_ofd_fields_read_back_and_by_an_independent_reader(world: World) -> None:
    from easyofd import OFD

    for kind in (InvoiceKind.DIGITAL_ORDINARY, InvoiceKind.VAT_ORDINARY_ELECTRONIC):
        invoice = issue(world, kind)
        content = document_render(invoice, "ofd")
        parsed = parse_ofd(content)
        custom = parsed["custom"]
        assert custom["发票号码"] == invoice.number
        assert custom["价税合计"] == f"{invoice.total:.2f}"
        assert custom["购买方纳税人识别号"] == SPECIAL_BUYER["tax_id"]
        assert parsed["tagged"]["InvoiceNo"] == invoice.number
        assert parsed["tagged"]["TaxInclusiveTotalAmount"] == f"¥{invoice.total:.2f}"
        words = "".join(parsed["pages"][0])
        assert document_of(invoice).total_in_words in words
        assert invoice.signature.encode() in parsed["signature"]
        if kind == InvoiceKind.VAT_ORDINARY_ELECTRONIC:
            original = parsed["original_invoice"]
            assert f"<fp:InvoiceCode>{invoice.code}</fp:InvoiceCode>".encode() in original
            assert f"<fp:InvoiceCheckCode>{invoice.check_code}<".encode() in original
        else:
            assert "original_invoice" not in parsed
        reader = OFD()
        reader.read(base64.b64encode(content).decode(), save_xml=False)
        page = next(iter(reader.data[0]["page_info"].values()))
        texts = [item.get("text") for item in page["text_list"]]
        reader.del_data()
        assert invoice.number in texts and f"¥{invoice.total:.2f}" in texts


FIXED = Document(
    kind=InvoiceKind.DIGITAL_SPECIAL,
    code="",
    number="26420000000000000001",
    issued_at=NOW,
    seller=Party("武汉江城示范科技有限公司", "91420100MA4K5TQ3XG"),
    buyer=Party("北京华章数据服务有限公司", "91110108MA01A2B3CF"),
    lines=(
        DocLine(
            "*信息技术服务*软件开发服务",
            "V2.0",
            "项",
            "1",
            "47169.811320755",
            D("47169.81"),
            "6%",
            D("2830.19"),
        ),
    ),
    amount=D("47169.81"),
    tax=D("2830.19"),
    total=D("50000.00"),
    qr="01,31,,26420000000000000001,50000.00,20261123,,A1B2,",
    drawer="周煜敏",
    region="42",
    signature="c2lnbmF0dXJlIG9mIGEgZml4ZWQgaW52b2ljZSBmb3IgdGhlIGdvbGRlbiBpbWFnZXMK",
)
GOLDEN_CASES = {
    "digital": FIXED,
    "classic": Document(
        **{
            **{f: getattr(FIXED, f) for f in FIXED.__dataclass_fields__},
            "kind": InvoiceKind.VAT_SPECIAL_ELECTRONIC,
            "code": "042002600113",
            "number": "00001001",
            "check_code": "37048473904177684897",
            "device_number": "661900000001",
            "qr": "01,08,042002600113,00001001,47169.81,20261123,37048473904177684897,C3D4,",
        }
    ),
}


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_golden_images(name: str) -> None:
    """The rendering of a fixed invoice matches the committed picture; set FAPIAO_GOLDEN=write
    to accept a deliberate change of layout."""
    import os

    image = pypdfium2.PdfDocument(render_pdf(GOLDEN_CASES[name]))[0].render(scale=1.5).to_pil()
    image = image.convert("L")
    path = GOLDEN / f"{name}.png"
    if os.environ.get("FAPIAO_GOLDEN") == "write":
        image.save(path)
    expected = Image.open(path).convert("L")
    assert expected.size == image.size
    diff = ImageChops.difference(expected, image).point(lambda v: 255 if v > 64 else 0)
    changed = sum(diff.histogram()[255:]) / (image.size[0] * image.size[1])
    assert changed < 0.002, f"{changed:.2%} of the pixels differ from {path.name}"


def test_ofd_of_fixed_document_has_its_font_and_qr() -> None:
    content = render_ofd(FIXED)
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(content))
    font = archive.read("Doc_0/Res/kai.ttf")  # the values' face; labels serif, ids mono
    assert font[:4] == b"\x00\x01\x00\x00" and 5_000 < len(font) < 200_000
    qr = Image.open(io.BytesIO(archive.read("Doc_0/Res/qr.png")))
    assert zxingcpp.read_barcodes(qr)[0].text == FIXED.qr
    assert render_xml(FIXED).count(b"<IssuItemInformation>") == 1


def test_exports_keep_numbers_as_text_and_the_zip_lists_every_file(world: World) -> None:
    import hashlib
    import json
    import zipfile

    from openpyxl import load_workbook

    from fapiao.documents.exports import invoices_csv, invoices_xlsx, invoices_zip

    digital = issue(world, InvoiceKind.DIGITAL_ORDINARY)
    paper = issue(world, InvoiceKind.VAT_ORDINARY_PAPER)
    invoices = Invoice.objects.order_by("pk")
    sheet = load_workbook(io.BytesIO(invoices_xlsx(invoices))).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    number = sheet.cell(row=2, column=header.index("发票号码") + 1)
    assert (number.value, number.data_type) == (digital.number, "s")  # 20 digits, as text
    total = sheet.cell(row=3, column=header.index("价税合计") + 1)
    assert (total.value, total.data_type, total.number_format) == (
        float(paper.total), "n", "0.00"
    )  # fmt: skip
    text = invoices_csv(invoices).decode("utf-8-sig")
    assert f"{paper.code},{paper.number}," in text and f",{paper.total:.2f}," in text

    archive = zipfile.ZipFile(io.BytesIO(invoices_zip(invoices, ["pdf", "xml"])))
    manifest = json.loads(archive.read("manifest.json"))
    assert [(m["number"], m["file"][-3:]) for m in manifest] == [
        (digital.number, "pdf"), (digital.number, "xml"), (paper.number, "pdf"),
    ]  # fmt: skip
    for entry in manifest:
        assert hashlib.sha256(archive.read(entry["file"])).hexdigest() == entry["sha256"]


def test_printing_uses_the_printers_offsets_and_marks_the_invoice(world: World) -> None:
    from fapiao.documents.printing import PrinterError, invoice_print, printer_save

    invoice = issue(world, InvoiceKind.VAT_SPECIAL_PAPER)
    with pytest.raises(PrinterError, match="偏移应在") as caught:
        printer_save(taxpayer=world.taxpayer, name="前台", offset_right=D("31"),
                     offset_down=D("0"))  # fmt: skip
    assert caught.value.field == "offset_right"
    printer = printer_save(
        taxpayer=world.taxpayer, name="前台", offset_right=D("2.5"), offset_down=D("-1.0")
    )
    content = invoice_print(invoice=invoice, printer=printer, actor="clerk")
    assert content == document_render(invoice, "pdf", offset=(2.5, -1.0))
    assert content != document_render(invoice, "pdf")
    invoice.refresh_from_db()
    assert invoice.status == "printed"
    other = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161")
    foreign = printer_save(taxpayer=other.taxpayer, name="别家", offset_right=D(0),
                           offset_down=D(0))  # fmt: skip
    with pytest.raises(PrinterError, match="不属于"):
        invoice_print(invoice=invoice, printer=foreign, actor="clerk")


def test_untaxed_lines_print_and_carry_stars_for_the_tax_and_real_stars_are_read(
    world: World,
) -> None:
    lines = [
        {"name": "农产品", "tax_code": "1010101010000000000", "rate": "免税", "amount": "300"},
        {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "100"},
    ]
    invoice = issue(world, InvoiceKind.DIGITAL_ORDINARY, lines)
    content = document_render(invoice, "xml")
    xml = squeeze(content.decode())
    assert "<TaxRate>免税</TaxRate><ComTaxAm>***</ComTaxAm>" in xml
    assert "<TaxRate>0.06</TaxRate><ComTaxAm>6.00</ComTaxAm>" in xml
    parsed = parse_xml(content)
    assert [(line["rate"], line["tax"]) for line in parsed["lines"]] == [
        ("免税", D("0")), ("0.06", D("6.00"))
    ]  # fmt: skip
    text = squeeze(pdf_text(document_render(invoice, "pdf")))
    assert "免税***" in text and "6%6.00" in text
    # what cannot be read as a figure is no figure, never a crash
    broken = content.replace(b"<TotalTax-includedAmount>406.00<", b"<TotalTax-includedAmount>*<")
    assert parse_xml(broken)["total"] == D("0")
    garbage = content.replace(b"<TotalTax-includedAmount>406.00<", b"<TotalTax-includedAmount>x<")
    assert parse_xml(garbage)["total"] is None


@settings(max_examples=25, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list(
    "电子发票增值税专用普通购买方名称纳税人识别号地址开户行账号合计价大写销售备注¥0123456789.,-*%()（）"
    "龘齉靐㵘鱻ABCxyz ")), min_size=1, max_size=40))  # fmt: skip
def test_the_embedded_subset_keeps_every_glyph_as_the_font_draws_it(text: str) -> None:
    from fontTools.ttLib import TTFont

    from fapiao.documents.fonts import font_file
    from fapiao.documents.ofd_font import font_subset

    found = font_file()
    full = TTFont(str(found.path), fontNumber=found.index, lazy=True)
    subset = TTFont(io.BytesIO(font_subset(set(text))))
    full_map, sub_map = full.getBestCmap(), subset.getBestCmap()
    for char in set(text):
        if ord(char) not in full_map:
            assert ord(char) not in sub_map
            continue
        name = sub_map[ord(char)]
        assert name == full_map[ord(char)]
        ours, theirs = subset["glyf"][name], full["glyf"][name]
        assert ours.getCoordinates(subset["glyf"])[0] == theirs.getCoordinates(full["glyf"])[0]
        assert subset["hmtx"][name] == full["hmtx"][name]


HAN = "发票增值税专用普通购买方销售名称地址电话开户银行账号软件技术服务有限公司江苏无锡梁溪区"


def _words(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=st.sampled_from(HAN + "ABCxyz0123456789"), min_size=size,
                   max_size=size)  # fmt: skip


@settings(max_examples=30, deadline=None)
@given(
    classic=st.booleans(),
    name=_words(100), seller=_words(100), address=_words(88), phone=st.from_regex(
        r"0[0-9]{3}-[0-9]{8}", fullmatch=True), bank=_words(70), account=st.from_regex(
        r"[0-9]{30}", fullmatch=True), remarks=_words(200), item=_words(100), spec=_words(40),
    unit=_words(20), price=st.from_regex(r"[1-9][0-9]{3}\.[0-9]{11}", fullmatch=True),
    quantity=st.from_regex(r"[1-9][0-9]{2}\.[0-9]{9}", fullmatch=True), drawer=_words(20),
)  # fmt: skip
def test_every_value_is_printed_whole_however_long(
    classic: bool, name: str, seller: str, address: str, phone: str, bank: str, account: str,
    remarks: str, item: str, spec: str, unit: str, price: str, quantity: str, drawer: str,
) -> None:  # fmt: skip
    buyer = Party(name, "91110108MA01A2B3CF", address, phone, bank, account)
    doc = Document(**{
        **{f: getattr(FIXED, f) for f in FIXED.__dataclass_fields__},
        "buyer": buyer,
        "seller": Party(seller, "91420100MA4K5TQ3XG", address, phone, bank, account),
        "lines": (DocLine(item, spec, unit, quantity, price, D("47169.81"), "6%", D("2830.19")),),
        "remarks": remarks, "drawer": drawer, "payee": drawer, "reviewer": drawer,
        **({"kind": InvoiceKind.VAT_SPECIAL_ELECTRONIC, "code": "042002600113",
            "number": "00001001", "check_code": "37048473904177684897",
            "device_number": "661900000001"} if classic else {}),
    })  # fmt: skip
    content = render_pdf(doc)
    pdf = pypdfium2.PdfDocument(content)
    printed = "\n".join(page.get_textpage().get_text_range() for page in pdf)
    pdf.close()
    with pdfplumber.open(io.BytesIO(content)) as plumbed:  # pdfminer's reading, as pdftotext's
        plumber = "\n".join(page.extract_text() or "" for page in plumbed.pages)
    ofd = parse_ofd(render_ofd(doc))["pages"]
    ofd_words = [word for page in ofd for word in page]
    for text in (printed, "".join(ofd_words)):
        flat = squeeze(text)
        for value in (name, seller, address, bank, remarks, item, spec, unit, drawer):
            assert squeeze(value) in flat
    # a figure is one token each way it is read (pdfminer orders a wrapped text's lines with the
    # labels beside them, so only figures are asked of it)
    for words in (printed.split(), plumber.split(), ofd_words):
        for figure in (account, price, quantity, phone):
            assert any(figure in word for word in words), figure


def test_remarks_longer_than_their_box_go_on_to_a_continuation_page() -> None:
    remarks = "\n".join(f"第{n:02d}项" for n in range(30))  # 30 rows: more than the box holds
    doc = Document(**{**{f: getattr(FIXED, f) for f in FIXED.__dataclass_fields__},
                      "remarks": remarks})  # fmt: skip
    pdf = pypdfium2.PdfDocument(render_pdf(doc))
    pages = [page.get_textpage().get_text_range() for page in pdf]
    pdf.close()
    assert len(pages) == 2 and "备注（续）" in pages[1] and FIXED.number in pages[1]
    assert all(f"第{n:02d}项" in "".join(pages) for n in range(30))
    assert "第29项" in pages[1] and "第00项" in pages[0]
    ofd = parse_ofd(render_ofd(doc))["pages"]
    assert len(ofd) == 2 and "第29项" in ofd[1]


def test_the_ofd_is_built_as_the_platforms_files_are() -> None:
    import zipfile

    ns = {"ofd": "http://www.ofdspec.org/2016"}
    for doc in GOLDEN_CASES.values():
        archive = zipfile.ZipFile(io.BytesIO(render_ofd(doc)))
        tags = ET.fromstring(archive.read("Doc_0/Tags/CustomTag.xml"))
        # parties nested, line items tagged: a reader finds the items and their figures
        assert tags.find("ofd:Buyer/ofd:BuyerName", ns) is not None
        assert tags.find("ofd:Seller/ofd:SellerTaxID", ns) is not None
        page = ET.fromstring(archive.read("Doc_0/Pages/Page_0/Content.xml"))
        texts = {
            o.get("ID"): "".join(o.itertext()) for o in page.iter(f"{{{ns['ofd']}}}TextObject")
        }

        def tagged(path: str, tags: Any = tags, texts: dict[Any, str] = texts) -> str:
            return "".join(texts[ref.text] for ref in tags.findall(f"{path}/ofd:ObjectRef", ns))

        line = doc.lines[0]
        assert tagged("ofd:Price") == line.unit_price and tagged("ofd:Quantity") == line.quantity
        assert tagged("ofd:Amount") == f"{line.amount:.2f}" and tagged("ofd:TaxScheme") == "6%"
        assert squeeze(tagged("ofd:Item")) == squeeze(line.name)
        # colours through PublicRes DrawParams, the ⊗ without arcs, the real page area
        public = ET.fromstring(archive.read("Doc_0/PublicRes.xml"))
        assert public.find("ofd:ColorSpaces/ofd:ColorSpace", ns).get("Type") == "RGB"
        params = {p.get("ID") for p in public.iter(f"{{{ns['ofd']}}}DrawParam")}
        used = {o.get("DrawParam") for o in page.iter() if o.get("DrawParam")}
        assert used and used <= params
        paths = [d.text or "" for d in page.iter(f"{{{ns['ofd']}}}AbbreviatedData")]
        assert any(" B " in path for path in paths) and not any(" A " in path for path in paths)
        assert page.find("ofd:Area/ofd:PhysicalBox", ns).text == "0 0 210 140"
        info = ET.fromstring(archive.read("OFD.xml")).find("ofd:DocBody/ofd:DocInfo", ns)
        custom = {c.get("Name"): c.text for c in info.iter(f"{{{ns['ofd']}}}CustomData")}
        assert custom["template-version"] and custom["native-producer"] == "fapiao"
        if not doc.spec.digital:
            original = archive.read("Doc_0/Attachs/original_invoice.xml").decode()
            assert f"<fp:GraphCode>{doc.qr}</fp:GraphCode>" in original
            assert "<fp:DocID>01</fp:DocID>" in original and "<fp:TypeCode>" in original


def test_a_digital_invoice_with_many_lines_goes_on_pages_of_its_own_face(world: World) -> None:
    many = [
        {"name": f"配件{i:02d}", "tax_code": "2020000000000000000", "rate": "13%",
         "quantity": str(i), "unit_price": "10.5", "unit": "个"}
        for i in range(1, 31)
    ]  # fmt: skip
    invoice = issue(world, InvoiceKind.DIGITAL_SPECIAL, many)
    pages = [squeeze(page.extract_text()) for page in
             PdfReader(io.BytesIO(document_render(invoice, "pdf"))).pages]  # fmt: skip
    count = len(pages)
    assert count >= 2 and not any("清单" in page for page in pages)
    for number, page in enumerate(pages, start=1):
        assert invoice.number in page and f"共{count}页第{number}页" in page
        assert ("小计" in page) == (number < count)
    assert all(any(f"配件{i:02d}" in page for page in pages) for i in range(1, 31))
    stored = list(invoice.lines.order_by("index"))
    subtotal = sum(line.amount for line in stored if line.name in pages[0])
    assert f"¥{subtotal:.2f}" in pages[0] and f"¥{invoice.amount:.2f}" in pages[-1]
    assert f"¥{invoice.amount:.2f}" not in pages[0]

    paper = issue(world, InvoiceKind.VAT_ORDINARY_PAPER, many)
    listing = [squeeze(page.extract_text()) for page in
               PdfReader(io.BytesIO(document_render(paper, "pdf"))).pages[1:]]  # fmt: skip
    assert listing and all("小计" in page for page in listing) and "总计" in listing[-1]


def test_the_cipher_area_and_tax_ids_are_monospaced_as_real_ones() -> None:
    import zipfile

    from fapiao.documents.fonts import Face
    from fapiao.documents.layout_classic import CIPHER_ALPHABET, cipher_lines
    from fapiao.documents.ofd import FACE_IDS

    signature = base64.b64encode(bytes(range(64))).decode()
    classic = GOLDEN_CASES["classic"]
    doc = Document(**{**{f: getattr(classic, f) for f in FIXED.__dataclass_fields__},
                      "signature": signature})  # fmt: skip
    rows = cipher_lines(doc)
    assert [len(row) for row in rows] == [27] * 4 and set("".join(rows)) <= set(CIPHER_ALPHABET)
    assert "".join(rows)[:4] == "0001"  # the signature's bytes 0x00 0x01, four bits a character
    text = squeeze(pdf_text(render_pdf(doc)))
    assert all(row in text for row in rows)
    fonts = fonts_embedded(render_pdf(doc))
    assert len(fonts) == 3, fonts  # labels in Song, values in Kai, ids monospaced
    archive = zipfile.ZipFile(io.BytesIO(render_ofd(doc)))
    assert archive.read("Doc_0/Res/mono.ttf")[:4] == b"\x00\x01\x00\x00"
    page = ET.fromstring(archive.read("Doc_0/Pages/Page_0/Content.xml"))
    mono = ["".join(o.itertext()) for o in page.iter() if o.get("Font") == str(FACE_IDS[Face.MONO])]
    assert doc.buyer.tax_id in mono and rows[0] in mono


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_an_independent_ofd_reader_finds_every_field_and_line(name: str) -> None:
    import ofdkit

    doc = GOLDEN_CASES[name]
    read = ofdkit.extract_invoice(render_ofd(doc))
    assert read is not None and read.invoice_number == doc.number
    assert (read.buyer.name, read.buyer.tax_id) == (doc.buyer.name, doc.buyer.tax_id)
    assert (read.seller.name, read.seller.tax_id) == (doc.seller.name, doc.seller.tax_id)
    assert read.total_amount == f"{doc.total:.2f}" and read.issuer == doc.drawer
    (item,) = read.items
    line = doc.lines[0]
    assert (item.name, item.quantity, item.unit_price, item.tax_rate) == (
        line.name, line.quantity, line.unit_price, line.rate
    )  # fmt: skip
    assert (item.amount, item.tax_amount) == (f"{line.amount:.2f}", f"{line.tax:.2f}")


def test_an_independent_ofd_renderer_draws_our_colours_and_the_circle_in_place() -> None:
    from easyofd.ofd import OFD

    reader = OFD()
    reader.read(base64.b64encode(render_ofd(FIXED)).decode(), save_xml=False)
    (picture,) = reader.to_jpg()
    reader.del_data()
    image = picture.convert("RGB")
    scale = image.size[0] / 210  # pixels per mm
    # the frame (its top at 30 mm) in the labels' red-brown, as the platform's files are drawn
    border = image.crop((int(20 * scale), int(29 * scale), int(180 * scale), int(31 * scale)))
    red, green, blue = numpy.asarray(border).astype(int).transpose(2, 0, 1)
    assert int(((red > 110) & (green < 90) & (blue < 80)).sum()) > 100
    # nothing drawn at the page origin (readers that miss an arc put it there)
    corner = image.crop((0, 0, int(3 * scale), int(3 * scale))).getextrema()
    assert all(low > 200 for low, _ in corner)
    # the ⊗ where the layout puts it: dark pixels around (60, 101) mm
    around = image.crop((int(57 * scale), int(98 * scale), int(63 * scale), int(104 * scale)))
    assert min(low for low, _ in around.getextrema()) < 100
