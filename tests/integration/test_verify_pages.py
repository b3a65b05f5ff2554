"""The public 查验 page and API (no login), and the 上传与对账 page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fapiao.authority.models import RegistryInvoice
from fapiao.core.roles import Role
from fapiao.documents.readers import inputs_from_file
from fapiao.documents.services import document_render
from fapiao.domain.verification import query_from_qr
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import Invoice
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.uploads import upload_flush
from tests.integration.world import SPECIAL_BUYER, World, make_world

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script>"
LINE = {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "500"}


def issue(world: World, kind: str, remarks: str = "") -> Invoice:
    return invoice_issue(
        taxpayer=world.taxpayer,
        channel=world.digital if kind.startswith("DIGITAL") else world.device,
        draft=parse_draft(
            {
                "kind": kind,
                "buyer": {**SPECIAL_BUYER, "name": f"{XSS}有限公司"},
                "lines": [LINE],
                "remarks": remarks,
            }
        ),
        request_id=None,
        actor="clerk",
    )


@pytest.fixture
def world() -> World:
    return make_world(credit=None)


def _post(client: Client, **values: Any) -> Any:
    return client.post("/verify/", values)


def test_the_public_page_checks_typed_inputs_a_file_and_escapes(world: World) -> None:
    ordinary = issue(world, "VAT_ORDINARY_ELECTRONIC", remarks=XSS)
    digital = issue(world, "DIGITAL_ORDINARY")
    upload_flush()
    client = Client(HTTP_HOST="localhost")
    assert client.get("/verify/").status_code == 200  # no login needed

    page = _post(
        client, code=ordinary.code, number=ordinary.number,
        issued_on=str(ordinary.issued_on), check6=ordinary.check_code[-6:],
    ).content.decode()  # fmt: skip
    assert "查验结果" in page and "一致" in page and "正常" in page and "有效" in page
    assert XSS not in page and "&lt;script&gt;" in page

    wrong = _post(
        client, code=ordinary.code, number=ordinary.number,
        issued_on=str(ordinary.issued_on), check6="000000" if ordinary.check_code[-6:] != "000000"
        else "111111",
    ).content.decode()  # fmt: skip
    assert "不一致" in wrong and "校验码后6位与登记信息不符" in wrong

    missing = _post(client, code="", number=digital.number, issued_on=str(digital.issued_on))
    assert "请输入价税合计" in missing.content.decode()

    pdf = SimpleUploadedFile("fapiao.pdf", document_render(digital, "pdf"))
    by_file = client.post("/verify/", {"file": pdf}).content.decode()
    assert "一致" in by_file and digital.number in by_file
    xml = SimpleUploadedFile("fapiao.xml", document_render(digital, "xml"))
    assert digital.number in client.post("/verify/", {"file": xml}).content.decode()
    ofd = SimpleUploadedFile("fapiao.ofd", document_render(ordinary, "ofd"))
    assert ordinary.number in client.post("/verify/", {"file": ofd}).content.decode()
    junk = client.post("/verify/", {"file": SimpleUploadedFile("a.txt", b"hello")})
    assert "无法识别文件" in junk.content.decode()


def test_the_public_api_answers_and_limits_enumeration(world: World, settings: Any) -> None:
    settings.FAPIAO_VERIFY_MISSES_PER_HOUR = 2
    special = issue(world, "VAT_SPECIAL_PAPER")
    upload_flush()
    client = Client(HTTP_HOST="localhost")
    body = {"code": special.code, "number": special.number,
            "issued_on": str(special.issued_on), "amount": "500.00"}  # fmt: skip
    answer = client.post("/api/v1/verify", body, content_type="application/json")
    assert answer.status_code == 200
    assert (answer.json()["outcome"], answer.json()["status"]) == ("一致", "正常")
    bad = client.post("/api/v1/verify", {**body, "amount": None}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "amount"
    for number in ("00000001", "00000002"):
        miss = client.post(
            "/api/v1/verify", {**body, "number": number}, content_type="application/json"
        )
        assert miss.json()["outcome"] == "查无此票"
    refused = client.post("/api/v1/verify", body, content_type="application/json")
    assert refused.status_code == 429 and "查验过于频繁" in refused.json()["message"]
    page = client.post("/verify/", body)
    assert page.status_code == 429 and "查验过于频繁" in page.content.decode()


def test_the_sync_page_sends_lists_disagreements_and_is_scoped(world: World) -> None:
    mine = issue(world, "VAT_ORDINARY_ELECTRONIC")
    other = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161")
    theirs = issue(other, "VAT_ORDINARY_ELECTRONIC")
    user = user_create(username="a-admin", password="Str0ng#Pass")
    role_grant(user=user, role=Role.ADMIN, taxpayer=world.taxpayer, actor="root")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    page = client.get("/sync/").content.decode()
    assert str(mine) in page and str(theirs) not in page
    client.post("/sync/", {"action": "send"})
    page = client.get("/sync/").content.decode()
    assert "已发送1条：接受1条" in page and "对账一致" in page
    assert Invoice.objects.get(pk=mine.pk).status == "uploaded"
    assert Invoice.objects.get(pk=theirs.pk).status == "issued"  # not this user's to send

    RegistryInvoice.objects.filter(code=mine.code, number=mine.number).update(amount="1.00")
    page = client.get("/sync/").content.decode()
    assert "内容不一致" in page and "需人工核实" in page


def test_an_invoice_issued_here_and_not_yet_uploaded_is_said_to_be_so(world: World) -> None:
    digital = issue(world, "DIGITAL_ORDINARY")
    day = digital.issued_on.isoformat()
    client = Client(HTTP_HOST="localhost")
    page = _post(client, number=digital.number, issued_on=day, total=str(digital.total))
    assert "已开具，尚未上传至税务机关" in page.content.decode()
    api = client.post("/api/v1/verify", {"qr": digital.qr}, content_type="application/json")
    assert api.status_code == 200 and api.json()["outcome"] == "已开具未上传"
    assert api.json()["signature"] is None  # not the authority's answer
    # one input that does not agree, and it is not found, as for anyone's guess
    wrong = _post(client, number=digital.number, issued_on=day, total=str(digital.total + 1))
    assert "查无此票" in wrong.content.decode() and "尚未上传" not in wrong.content.decode()
    upload_flush()
    uploaded = client.post("/api/v1/verify", {"qr": digital.qr}, content_type="application/json")
    assert uploaded.json()["outcome"] == "一致" and uploaded.json()["signature"]


def _without_subject(pdf: bytes) -> bytes:
    """The PDF with its metadata gone: only the printed face is left to read."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "kind", ["DIGITAL_SPECIAL", "VAT_ORDINARY_ELECTRONIC", "VAT_SPECIAL_PAPER"]
)
def test_a_pdf_is_checked_by_its_printed_face_when_it_carries_nothing_else(
    world: World, kind: str
) -> None:
    invoice = issue(world, kind)
    upload_flush()
    face = _without_subject(document_render(invoice, "pdf"))
    assert b"/Subject" not in face
    page = Client(HTTP_HOST="localhost").post(
        "/verify/", {"file": SimpleUploadedFile("f.pdf", face)}
    ).content.decode()  # fmt: skip
    assert "一致" in page and "不一致" not in page and invoice.number in page


SAMPLES = Path("/work/shared/samples")


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="the real samples are not on this machine")
def test_every_real_sample_is_answered_cleanly_by_file(world: World) -> None:
    client = Client(HTTP_HOST="localhost")
    for sample in sorted(SAMPLES.glob("*.*")):
        if sample.suffix not in (".pdf", ".ofd", ".xml"):
            continue
        upload = SimpleUploadedFile(sample.name, sample.read_bytes())
        page = client.post("/verify/", {"file": upload})
        assert page.status_code == 200, sample.name
        assert "查无此票" in page.content.decode(), sample.name  # not ours: read, then not found
        # and by what the file says, typed or as its QR payload: a clean answer each time
        inputs = inputs_from_file(sample.name, sample.read_bytes())
        if "qr" in inputs:  # typed as a clerk would type what the code says
            query = query_from_qr(inputs["qr"])
            typed = {"code": query.code, "number": query.number,
                     "issued_on": query.issued_on.isoformat(), "amount": query.amount,
                     "check6": query.check6, "total": query.total}  # fmt: skip
        else:
            typed = {k: v for k, v in inputs.items() if k != "qr" and v}
        for body in ({"qr": inputs["qr"]} if "qr" in inputs else {},
                     {k: str(v) for k, v in typed.items() if v}):  # fmt: skip
            if body:
                answer = client.post("/api/v1/verify", body, content_type="application/json")
                assert answer.status_code == 200, (sample.name, answer.content)
                assert answer.json()["outcome"] == "查无此票", sample.name


def test_an_ofd_whose_tags_are_malformed_is_still_read(world: World) -> None:
    import io
    import zipfile

    invoice = issue(world, "DIGITAL_ORDINARY")
    upload_flush()
    original = zipfile.ZipFile(io.BytesIO(document_render(invoice, "ofd")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as broken:
        for name in original.namelist():
            content = original.read(name)
            broken.writestr(name, b"<not xml" if name.endswith("CustomTag.xml") else content)
    page = Client(HTTP_HOST="localhost").post(
        "/verify/", {"file": SimpleUploadedFile("f.ofd", out.getvalue())}
    ).content.decode()  # fmt: skip
    assert "一致" in page and invoice.number in page


def test_a_scanned_pdf_is_checked_by_the_qr_code_printed_on_it(world: World) -> None:
    import io

    import pypdfium2

    invoice = issue(world, "VAT_ORDINARY_ELECTRONIC")
    upload_flush()
    pdf = pypdfium2.PdfDocument(document_render(invoice, "pdf"))
    picture = pdf[0].render(scale=2).to_pil().convert("RGB")
    pdf.close()
    scan = io.BytesIO()
    picture.save(scan, format="PDF")  # a picture of the page: no text, no metadata
    page = Client(HTTP_HOST="localhost").post(
        "/verify/", {"file": SimpleUploadedFile("scan.pdf", scan.getvalue())}
    ).content.decode()  # fmt: skip
    assert "一致" in page and "不一致" not in page and invoice.number in page
