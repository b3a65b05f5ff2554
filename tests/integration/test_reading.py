"""Reading received invoices: the real samples (数电 PDF, older e-invoice PDF, both OFD kinds, 数电
XML) with every key field exact; our own invoices of every kind as PDF, OFD and XML read back
to what was issued; several invoices in one PDF and in a ZIP; a pasted QR; disagreements
flagged; malformed input refused in Chinese, never a traceback; ``fapiao read``."""

from __future__ import annotations

import io
import json
import os
import re
import time
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from django.core.management import CommandError, call_command
from PIL import Image, ImageDraw, ImageFilter
from pypdf import PdfReader, PdfWriter

from fapiao.documents.readers import UnreadableFile
from fapiao.documents.services import document_render
from fapiao.domain.kinds import InvoiceKind
from fapiao.invoicing.models import Invoice
from fapiao.receiving.reading import read_bounded, read_file
from tests.integration.test_documents import issue
from tests.integration.world import World, make_world

pytestmark = pytest.mark.django_db
#: the real samples, which are not committed (they carry real companies' data): beside the
#: checkout, where ``FAPIAO_SAMPLES`` says, or in the workplace's shared folder
SAMPLES = next(
    (
        path
        for path in (
            Path(os.environ.get("FAPIAO_SAMPLES", "/nonexistent")),
            Path(__file__).parents[3] / "shared" / "samples",
            Path("/work/shared/samples"),
        )
        if path.is_dir()
    ),
    Path(__file__).parents[3] / "shared" / "samples",
)
D = Decimal


def sample(name: str) -> bytes:
    path = SAMPLES / name
    if not path.exists():  # the samples stand beside the project's checkout
        pytest.skip(f"sample {name} not present")
    return path.read_bytes()


def only(name: str, content: bytes) -> dict[str, Any]:
    (reading,) = read_file(name, content)
    return reading.as_json()


def key(found: dict[str, Any]) -> dict[str, Any]:
    names = (
        "kind",
        "invoice_code",
        "invoice_number",
        "date",
        "check_code",
        "buyer_name",
        "buyer_tax_id",
        "seller_name",
        "seller_tax_id",
        "amount_excl_tax",
        "tax",
        "total",
        "issuer",
    )
    return {name: found[name] for name in names}


def test_a_digital_special_pdf_with_two_lines() -> None:
    found = only("a.pdf", sample("shudian-special.pdf"))
    assert key(found) == {
        "kind": "DIGITAL_SPECIAL",
        "invoice_code": None,
        "invoice_number": "24512000000202537619",
        "date": "2024-09-25",
        "check_code": None,
        "buyer_name": "内江市天润商贸有限公司",
        "buyer_tax_id": "91511002309361947N",
        "seller_name": "四川川海工程管理咨询有限公司",
        "seller_tax_id": "91511002572793472P",
        "amount_excl_tax": "113855.15",
        "tax": "14801.17",
        "total": "128656.32",
        "issuer": "刘亚莉",
    }
    assert found["total_in_words"] == "壹拾贰万捌仟陆佰伍拾陆圆叁角贰分"
    assert [
        (
            line["name"],
            line["spec"],
            line["unit"],
            line["quantity"],
            line["unit_price"],
            line["amount"],
            line["rate"],
            line["tax"],
        )
        for line in found["lines"]
    ] == [
        (
            "*黑色金属冶炼压延品*螺纹钢",
            "HRB400φ16E",
            "吨",
            "7.44",
            "3589.38053097345",
            "26704.99",
            "13%",
            "3471.65",
        ),
        (
            "*黑色金属冶炼压延品*螺纹钢",
            "HRB400φ22E 12m",
            "吨",
            "24.28",
            "3589.38053097345",
            "87150.16",
            "13%",
            "11329.52",
        ),
    ]
    # the printed QR agrees with the text: both sources stand behind the number and the total
    assert found["sources"]["invoice_number"] == "qr" and found["sources"]["buyer_name"] == "text"
    assert found["confidence"]["total"] > found["confidence"]["buyer_name"]
    assert found["warnings"] == [] and found["page"] == 1


def test_an_older_e_invoice_pdf_with_a_discount_line() -> None:
    found = only("b.pdf", sample("e-ordinary.pdf"))
    assert key(found) == {
        "kind": "VAT_ORDINARY_ELECTRONIC",
        "invoice_code": "041001900111",
        "invoice_number": "32321709",
        "date": "2019-09-19",
        "check_code": "66881990002947147011",
        "buyer_name": "个人",
        "buyer_tax_id": None,
        "seller_name": "郑州京东优凯贸易有限公司",
        "seller_tax_id": "91410100MA44HUD80N",
        "amount_excl_tax": "91.59",
        "tax": "11.91",
        "total": "103.50",
        "issuer": "王梅",
    }
    assert found["remarks"] == "订单号:103497458312"
    assert [(line["amount"], line["tax"], line["quantity"]) for line in found["lines"]] == [
        ("105.31", "13.69", "1"),
        ("-14.16", "-1.84", None),
        ("0.44", "0.06", "1"),
    ]
    assert found["warnings"] == []


def test_both_kinds_of_ofd() -> None:
    older = only("c.ofd", sample("e-ordinary-with-original-xml.ofd"))
    assert key(older) == {
        "kind": "VAT_ORDINARY_ELECTRONIC",
        "invoice_code": "050001700111",
        "invoice_number": "99999951",
        "date": "2020-10-10",
        "check_code": "14754822929856772523",
        "buyer_name": "科游迈利有限公司",
        "buyer_tax_id": "9150010807MGZHI002",
        "seller_name": "杭州融易算企业管理咨询有限公司",
        "seller_tax_id": "91500106MA2CE71F65",
        "amount_excl_tax": "300.00",
        "tax": "18.00",
        "total": "318.00",
        "issuer": "任盈盈",
    }
    assert older["sources"]["invoice_number"] == "attached_xml" and len(older["lines"]) == 3
    # the sample's tax ids are made up: their check digits fail, and that is said
    assert older["warnings"] == [
        "购买方纳税人识别号“9150010807MGZHI002”校验位不正确",
        "销售方纳税人识别号“91500106MA2CE71F65”校验位不正确",
    ]
    digital = only("d.ofd", sample("shudian-ordinary.ofd"))
    assert key(digital) == {
        "kind": "DIGITAL_SPECIAL",
        "invoice_code": None,  # its page prints 增值税专用发票
        "invoice_number": "24112000000048542163",
        "date": "2024-05-28",
        "check_code": None,
        "buyer_name": "海南麒麟云服科技有限公司",
        "buyer_tax_id": "91460300MAA92DJN95",
        "seller_name": "北京互联三六五科技有限公司",
        "seller_tax_id": "91110108690017781B",
        "amount_excl_tax": "4197.17",
        "tax": "251.83",
        "total": "4449.00",
        "issuer": "于俪",
    }
    assert digital["sources"]["buyer_name"] == "ofd_tags"
    assert digital["sources"]["amount_excl_tax"] == "ofd_custom"
    assert [line["name"] for line in digital["lines"]] == ["*信息技术服务*技术服务费"]


def test_the_platforms_xml() -> None:
    found = only("e.xml", sample("shudian-ordinary.xml"))
    assert key(found) == {
        "kind": "DIGITAL_ORDINARY",
        "invoice_code": None,
        "invoice_number": "25322000000365404822",
        "date": "2025-08-08",
        "check_code": None,
        "buyer_name": "江苏苏豪天鹏农产品集团有限公司",
        "buyer_tax_id": "9132020013590404XW",
        "seller_name": "无锡市安协安全培训中心",
        "seller_tax_id": "52320200509244470T",
        "amount_excl_tax": "235.85",
        "tax": "14.15",
        "total": "250.00",
        "issuer": "周煜敏",
    }
    assert found["lines"][0]["rate"] == "6%" and set(found["sources"].values()) == {"xml"}


@pytest.fixture
def world() -> World:
    return make_world(credit=None, stock=20)


def expected(invoice: Invoice) -> dict[str, Any]:
    return {
        "kind": invoice.kind,
        "invoice_code": invoice.code or None,
        "invoice_number": invoice.number,
        "date": invoice.issued_on.isoformat(),
        "buyer_name": invoice.buyer["name"],
        "buyer_tax_id": invoice.buyer["tax_id"],
        "seller_name": invoice.seller["name"],
        "seller_tax_id": invoice.seller["tax_id"],
        "amount_excl_tax": str(invoice.amount),
        "tax": str(invoice.tax),
        "total": str(invoice.total),
    }


@pytest.mark.parametrize("kind", list(InvoiceKind))
def test_our_own_invoices_read_back_from_every_format(world: World, kind: InvoiceKind) -> None:
    invoice = issue(world, kind)
    formats = ("pdf", "ofd", "xml") if kind.value.startswith("DIGITAL") else ("pdf", "ofd")
    for format in formats:
        found = only(f"ours.{format}", document_render(invoice, format))
        assert {k: found[k] for k in expected(invoice)} == expected(invoice), format
        assert found["warnings"] == [], format
        assert len(found["lines"]) == invoice.lines.count(), format
        assert D(found["lines"][0]["amount"]) == invoice.lines.order_by("index")[0].amount


def test_several_invoices_in_one_pdf_and_in_a_zip(world: World) -> None:
    invoices = [issue(world, InvoiceKind.DIGITAL_ORDINARY) for _ in range(3)]
    writer = PdfWriter()
    for invoice in invoices:
        writer.append(PdfReader(io.BytesIO(document_render(invoice, "pdf"))))
    joined = io.BytesIO()
    writer.write(joined)
    readings = read_file("three.pdf", joined.getvalue())
    assert [(r.page, r.value("invoice_number")) for r in readings] == [
        (n + 1, invoice.number) for n, invoice in enumerate(invoices)
    ]
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("发票/a.pdf", document_render(invoices[0], "pdf"))
        archive.writestr("发票/b.ofd", document_render(invoices[1], "ofd"))
        archive.writestr("发票/c.xml", document_render(invoices[2], "xml"))
        archive.writestr("发票/清单.txt", "下载清单")
    numbers = [r.value("invoice_number") for r in read_file("bulk.zip", bundle.getvalue())]
    assert numbers == [invoice.number for invoice in invoices]


def test_a_pasted_qr_and_a_disagreement_flagged(world: World) -> None:
    invoice = issue(world, InvoiceKind.DIGITAL_ORDINARY)
    pasted = f"01,32,,{invoice.number},{invoice.total},{invoice.issued_on:%Y%m%d},,".encode()
    found = only("qr.txt", pasted)
    assert (found["invoice_number"], found["total"], found["sources"]["total"]) == (
        invoice.number,
        str(invoice.total),
        "qr",
    )
    # a PDF whose QR says another total than its face: the QR's is kept, and flagged
    writer = PdfWriter(clone_from=io.BytesIO(document_render(invoice, "pdf")))
    wrong = invoice.total + 1
    writer.add_metadata({"/Subject": pasted.decode().replace(str(invoice.total), str(wrong))})
    changed = io.BytesIO()
    writer.write(changed)
    (reading,) = read_file("changed.pdf", changed.getvalue())
    assert reading.value("total") == wrong
    assert f"价税合计不一致：二维码为“{wrong}”，票面文字为“{invoice.total}”" in reading.warnings
    assert reading.fields["total"].confidence < 0.9


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("empty.pdf", b"", "是空文件"),
        ("note.txt", "这不是发票".encode(), "无法识别文件"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\n%%EOF", "PDF文件"),
        ("entities.xml", b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>', "DTD"),
        ("not-xml.xml", b"<EInvoice><unclosed>", "XML格式不正确"),
        ("other.xml", b"<html><body>hello</body></html>", "不是数电发票XML"),
        ("photo.png", b"\x89PNG\r\n\x1a\nbroken", "图片"),
        ("fake.ofd", b"PK\x03\x04broken", "压缩文件"),
    ],
)
def test_malformed_input_is_refused_in_chinese(name: str, content: bytes, said: str) -> None:
    with pytest.raises(UnreadableFile) as refused:
        read_file(name, content)
    assert said in str(refused.value.message)


def test_a_zip_bomb_is_refused() -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", b"<" + b" " * (200 * 1024 * 1024))
    with pytest.raises(UnreadableFile) as refused:
        read_file("bomb.zip", bomb.getvalue())
    assert "过大" in str(refused.value.message) or "压缩" in str(refused.value.message)


def test_the_command_prints_what_it_read(world: World, tmp_path: Path, capsys: Any) -> None:
    invoice = issue(world, InvoiceKind.DIGITAL_SPECIAL)
    ours = tmp_path / "ours.xml"
    ours.write_bytes(document_render(invoice, "xml"))
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01")
    call_command("read", str(ours), str(junk), "--json")
    data = json.loads(capsys.readouterr().out)
    assert [i["invoice_number"] for i in data["invoices"]] == [invoice.number]
    assert data["invoices"][0]["total"] == str(invoice.total)
    assert [e["file"] for e in data["errors"]] == [str(junk)]
    with pytest.raises(CommandError) as nothing:
        call_command("read", str(junk), str(tmp_path / "missing.pdf"))
    assert nothing.value.returncode == 5


def photograph(
    pdf: bytes,
    *,
    angle: float = 15,
    quality: int = 60,
    screenshot: bool = False,
    perspective: bool = False,
) -> bytes:
    """Our PDF as a photo: rasterised, turned, blurred, JPEG-compressed; or small inside a
    larger screenshot; or seen at a slant."""
    page = pypdfium2.PdfDocument(pdf)[0].render(scale=2.5).to_pil().convert("RGB")
    if perspective:
        width, height = page.size
        page = page.transform(
            page.size,
            Image.Transform.QUAD,
            (0, 0, 40, height, width, height - 30, width - 60, 20),
            Image.Resampling.BICUBIC,
            fillcolor=(235, 230, 220),
        )
    turned = page.rotate(
        angle, expand=True, fillcolor=(235, 230, 220), resample=Image.Resampling.BICUBIC
    )
    photo = turned.filter(ImageFilter.GaussianBlur(0.8))
    if screenshot:
        screen = Image.new("RGB", (photo.width * 2, photo.height * 2), (245, 245, 245))
        ImageDraw.Draw(screen).text((20, 20), "聊天记录 发票.pdf 已下载", fill=(0, 0, 0))
        screen.paste(photo.resize((photo.width * 3 // 4, photo.height * 3 // 4)), (300, 260))
        photo = screen
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=quality)
    return out.getvalue()


@pytest.mark.parametrize(
    ("kind", "how"),
    [
        (InvoiceKind.DIGITAL_SPECIAL, {"angle": 15, "quality": 60}),
        (InvoiceKind.VAT_SPECIAL_PAPER, {"angle": -15, "quality": 60}),
        (InvoiceKind.DIGITAL_ORDINARY, {"angle": 3, "screenshot": True}),
        (InvoiceKind.VAT_ORDINARY_ELECTRONIC, {"angle": 0, "perspective": True}),
    ],
)
def test_a_photo_of_our_own_invoice_is_read_with_every_key_field_right(
    world: World, kind: InvoiceKind, how: dict[str, Any]
) -> None:
    invoice = issue(world, kind)
    (found,) = read_file("photo.jpg", photograph(document_render(invoice, "pdf"), **how))
    fields = found.as_json()
    assert {k: fields[k] for k in expected(invoice)} == expected(invoice)
    assert fields["sources"]["buyer_name"] == "ocr" and fields["sources"]["total"] in ("qr", "ocr")
    assert 0 < fields["confidence"]["buyer_name"] <= 1
    assert [line["amount"] for line in fields["lines"]] == [
        str(line.amount) for line in invoice.lines.order_by("index")
    ]


def turned(photo: bytes, turn: int, *, hide_qr: bool, orientation: int = 1) -> bytes:
    """The photo turned ``turn`` degrees counter-clockwise, its QR code painted over when
    ``hide_qr``, saved with the EXIF ``orientation`` a phone would write."""
    import zxingcpp

    picture = Image.open(io.BytesIO(photo)).convert("RGB")
    for code in zxingcpp.read_barcodes(picture.convert("L")) if hide_qr else []:
        corners = code.position
        points = [corners.top_left, corners.top_right, corners.bottom_left, corners.bottom_right]
        xs, ys = [p.x for p in points], [p.y for p in points]
        box = (min(xs) - 12, min(ys) - 12, max(xs) + 12, max(ys) + 12)
        ImageDraw.Draw(picture).rectangle(box, fill=(255, 255, 255))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    picture.rotate(turn, expand=True).save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()


@pytest.mark.parametrize(
    ("kind", "turn", "hide_qr"),
    [
        (InvoiceKind.VAT_SPECIAL_PAPER, 90, True),
        (InvoiceKind.DIGITAL_SPECIAL, 270, False),
        (InvoiceKind.DIGITAL_SPECIAL, 180, True),
    ],
)
def test_a_photo_on_its_side_or_upside_down_is_turned_upright(
    world: World, kind: InvoiceKind, turn: int, hide_qr: bool
) -> None:
    """Its QR code tells which way it lies; without one, the way its lines run and where its
    number stands against its totals do."""
    invoice = issue(world, kind)
    photo = turned(photograph(document_render(invoice, "pdf"), angle=4), turn, hide_qr=hide_qr)
    (found,) = read_file("photo.jpg", photo)
    fields = found.as_json()
    assert {k: fields[k] for k in expected(invoice)} == expected(invoice)
    assert fields["sources"]["invoice_number"] == ("ocr" if hide_qr else "qr")


def test_a_phone_photo_is_turned_as_its_exif_orientation_says(world: World) -> None:
    from fapiao.receiving.pictures import open_picture

    invoice = issue(world, InvoiceKind.VAT_SPECIAL_PAPER)
    upright = photograph(document_render(invoice, "pdf"), angle=2)
    width, height = Image.open(io.BytesIO(upright)).size
    # held a quarter turn to the left: the pixels lie on their side, orientation 6 says so
    photo = turned(upright, 90, hide_qr=True, orientation=6)
    assert Image.open(io.BytesIO(photo)).size == (height, width)
    assert open_picture("photo.jpg", photo).size == (width, height)
    (found,) = read_file("photo.jpg", photo)
    assert {k: found.as_json()[k] for k in expected(invoice)} == expected(invoice)


def test_the_detector_runs_in_full_precision_and_finds_what_onnxruntime_finds(
    world: World,
) -> None:
    """OpenVINO left to its default computes in bfloat16 on processors that have it, and the
    digits it then reads differ; ours are the plain onnxruntime engine's, box for box."""
    import numpy
    import rapidocr

    from fapiao.receiving import ocr

    invoice = issue(world, InvoiceKind.DIGITAL_SPECIAL)
    photo = Image.open(io.BytesIO(photograph(document_render(invoice, "pdf"))))
    picture = numpy.asarray(photo.convert("RGB"))
    ours = ocr.engine(ocr.MAX_SIDE)
    assert ours.text_det.session.precision == "f32"
    plain = rapidocr.RapidOCR(params=ocr.engine_params(ocr.MAX_SIDE))
    read, wanted = ours(picture), plain(picture)
    assert list(read.txts) == list(wanted.txts) and len(read.txts) > 40
    assert numpy.abs(numpy.asarray(read.boxes) - numpy.asarray(wanted.boxes)).max() <= 1


def test_a_scanned_pdf_is_read_by_ocr(world: World) -> None:
    invoice = issue(world, InvoiceKind.DIGITAL_ORDINARY)
    picture = Image.open(io.BytesIO(photograph(document_render(invoice, "pdf"), angle=0)))
    scanned = io.BytesIO()
    picture.save(scanned, "PDF", resolution=150)  # pictures only: no text layer
    (found,) = read_file("scan.pdf", scanned.getvalue())
    assert (found.page, found.value("invoice_number"), found.value("total")) == (
        1,
        invoice.number,
        invoice.total,
    )
    assert found.fields["seller_tax_id"].source == "ocr"


def test_an_ofd_with_page_text_only_and_kangxi_radicals(world: World) -> None:
    """No CustomData, no CustomTag.xml, no attached XML: the text objects alone, with 金
    written as the Kangxi radical ⾦ (U+2FA6), as some producers do."""
    invoice = issue(world, InvoiceKind.DIGITAL_ORDINARY)
    source = zipfile.ZipFile(io.BytesIO(document_render(invoice, "ofd")))
    bare, radicals, custom = io.BytesIO(), 0, 0
    with zipfile.ZipFile(bare, "w") as archive:
        for name in source.namelist():
            if "/Tags/" in name or "/Attachs/" in name:
                continue
            content = source.read(name)
            if name == "OFD.xml":
                content, custom = re.subn(
                    rb"<ofd:CustomDatas>.*?</ofd:CustomDatas>", b"", content, flags=re.S
                )
            elif name.endswith("Content.xml"):
                radicals += content.count("金".encode())
                content = content.replace("金".encode(), "⾦".encode())
            archive.writestr(name, content)
    assert radicals > 0 and custom == 1
    (found,) = read_file("bare.ofd", bare.getvalue())
    fields = found.as_json()
    assert {k: fields[k] for k in expected(invoice)} == expected(invoice)
    assert set(fields["sources"].values()) == {"text"}
    assert [line["amount"] for line in fields["lines"]] == [
        str(line.amount) for line in invoice.lines.order_by("index")
    ]


def test_reading_in_a_child_process_is_bounded_in_time(world: World) -> None:
    pdf = document_render(issue(world, InvoiceKind.DIGITAL_ORDINARY), "pdf")
    bounded = read_bounded("a.pdf", pdf)
    assert [r.as_json() for r in bounded] == [r.as_json() for r in read_file("a.pdf", pdf)]
    started = time.monotonic()
    with pytest.raises(UnreadableFile, match=r"读取文件“slow\.pdf”超时"):
        read_bounded("slow.pdf", pdf, seconds=0.001)  # the child is killed, not waited for
    assert time.monotonic() - started < 5
    with pytest.raises(UnreadableFile, match="无法识别文件"):  # a refusal comes back as one
        read_bounded("note.txt", "不是发票".encode())


def _stripped_ofd(content: bytes, attachments: dict[str, bytes]) -> bytes:
    """An OFD without its CustomData and CustomTag.xml, with other data files attached."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            if "/Tags/" in name or "/Attachs/" in name:
                continue
            data = source.read(name)
            if name == "OFD.xml":
                data = re.sub(rb"<ofd:CustomDatas>.*?</ofd:CustomDatas>", b"", data, flags=re.S)
            archive.writestr(name, data)
        for name, data in attachments.items():
            archive.writestr(f"Doc_0/Attachs/{name}", data)
    return out.getvalue()


def test_an_ofd_with_attached_data_files(world: World) -> None:
    invoice = issue(world, InvoiceKind.DIGITAL_SPECIAL)
    with_xml = _stripped_ofd(
        document_render(invoice, "ofd"), {"invoice.xml": document_render(invoice, "xml")}
    )
    found = only("a.ofd", with_xml)
    assert {k: found[k] for k in expected(invoice)} == expected(invoice)
    assert found["sources"]["seller_name"] == "attached_xml"
    # the 数电 专票's printed remarks carry the buyer's bank details, its XML does not: said
    assert [w[:6] for w in found["warnings"]] == ["备注不一致："]
    instance = (
        f'<xbrl xmlns:fp="http://example.cn/fapiao"><fp:InvoiceNo>{invoice.number}</fp:InvoiceNo>'
        f"<fp:IssueDate>{invoice.issued_on}</fp:IssueDate>"
        f"<fp:TaxInclusiveTotalAmount>{invoice.total + 1}</fp:TaxInclusiveTotalAmount></xbrl>"
    )
    with_xbrl = _stripped_ofd(document_render(invoice, "ofd"), {"invoice.xbrl": instance.encode()})
    found = only("b.ofd", with_xbrl)
    assert found["sources"]["total"] == "attached_xml" and found["total"] == str(invoice.total + 1)
    assert any("价税合计不一致" in w for w in found["warnings"])  # the page's text says otherwise
