"""进项与报销: a supplier's invoice received as PDF, OFD and XML is one invoice; a buyer that is
not us is flagged; 查验 through the authority; a clerk's correction kept with who and when;
报销单 submitted, approved or rejected (the claimant and 财务 told), a second claim of an invoice
refused naming the first, two claimants at once: exactly one wins; the approved claims as
voucher lines; 勾选抵扣 flowing into 申报 and its 比对; the commands."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from PIL import Image

from fapiao.closing.filing import period_declare, period_report
from fapiao.core.roles import Role
from fapiao.documents.readers import UnreadableFile
from fapiao.documents.services import document_render
from fapiao.domain.errors import DomainError
from fapiao.domain.periods import Period
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import Invoice
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.uploads import upload_flush
from fapiao.jobs.services import job_run_due
from fapiao.notices.models import Notification
from fapiao.receiving import sources
from fapiao.receiving.claims import claim_approve, claim_create, claim_reject, claim_submit
from fapiao.receiving.deduction import deducted_tax, deduction_select
from fapiao.receiving.mailbox import mailbox_import, mailbox_of
from fapiao.receiving.models import ReceivedInvoice
from fapiao.receiving.reading import needs_ocr, read_file
from fapiao.receiving.selectors import (
    VOUCHER_COLUMNS,
    received_get,
    received_of,
    voucher_lines,
    vouchers_csv,
)
from fapiao.receiving.services import receive_files, received_correct, received_verify
from fapiao.security.models import AuditEvent
from tests.integration.imap import Imap, imap  # noqa: F401 - the real IMAP server fixture
from tests.integration.test_reading import photograph
from tests.integration.world import SPECIAL_BUYER, World, make_world

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
LINE = {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "1000"}
PASSWORD = "Str0ng#Pass"


def last_month() -> Period:
    first = datetime.now(SH).date().replace(day=1)
    start = (first - timedelta(days=1)).replace(day=1)
    return Period(start, first)


@pytest.fixture
def seller() -> World:
    return make_world(credit=None, stock=20)


@pytest.fixture
def buyer() -> World:
    return make_world(
        tax_id=SPECIAL_BUYER["tax_id"],
        name=SPECIAL_BUYER["name"],
        region="42",
        device_number="661807105161",
        credit=None,
    )


def supplier_invoice(seller: World, kind: str = "DIGITAL_SPECIAL", **buyer: str) -> Invoice:
    when = datetime.combine(last_month().start + timedelta(days=9), datetime.min.time(), SH)
    when = when.replace(hour=10)
    data = {"kind": kind, "buyer": {**SPECIAL_BUYER, **buyer}, "lines": [LINE]}
    return invoice_issue(
        taxpayer=seller.taxpayer,
        channel=seller.digital,
        draft=parse_draft(data),
        request_id=None,
        actor="seller",
        issued_at=when,
        now=when,
    )


def received(buyer: World, invoice: Invoice, name: str = "a.xml", actor: str = "alice") -> Any:
    """The row of ``invoice`` received by ``buyer`` as one rendered file named ``name``."""
    content = document_render(invoice, name.rsplit(".", 1)[1])
    (row,) = receive_files(
        taxpayer=buyer.taxpayer, files=[(name, content)], actor=actor, via="upload"
    ).new
    return row


def people(buyer: World) -> dict[str, Any]:
    made = {}
    for name, role in (("alice", Role.CLAIMANT), ("bob", Role.CLAIMANT), ("fin", Role.FINANCE)):
        made[name] = user_create(username=name, password=PASSWORD, email=f"{name}@example.cn")
        role_grant(user=made[name], role=role, taxpayer=buyer.taxpayer, actor="root")
    return made


def test_one_invoice_in_three_formats_is_one_received_invoice(seller: World, buyer: World) -> None:
    invoice = supplier_invoice(seller)
    files = [(f"fp.{f}", document_render(invoice, f)) for f in ("pdf", "ofd", "xml")]
    done = receive_files(taxpayer=buyer.taxpayer, files=files[:1], actor="alice", via="upload")
    (row,) = done.new
    assert (row.number, row.total, row.seller_tax_id, row.not_ours) == (
        invoice.number,
        invoice.total,
        seller.taxpayer.tax_id,
        False,
    )
    again = receive_files(taxpayer=buyer.taxpayer, files=files[1:], actor="bob", via="api")
    assert again.new == [] and [r.pk for r in again.known] == [row.pk, row.pk]
    assert ReceivedInvoice.objects.count() == 1 and row.files.count() == 3
    assert AuditEvent.objects.filter(type="received.again", actor="bob").count() == 2
    # the same file once more adds nothing; a file that is no invoice is refused, named
    third = receive_files(
        taxpayer=buyer.taxpayer, files=[files[0], ("x.txt", b"hello")], actor="alice", via="upload"
    )
    assert row.files.count() == 3 and third.refused[0][0] == "x.txt"
    # the seller (another taxpayer here) sees none of it, and cannot read the row
    assert not received_of(seller.taxpayer).exists()
    with pytest.raises(DomainError):
        received_get(seller.taxpayer, row.pk)


def test_a_buyer_that_is_not_us_is_flagged(seller: World, buyer: World) -> None:
    invoice = supplier_invoice(seller, name="别家公司", tax_id="91511002309361947N")
    row = received(buyer, invoice)
    assert row.not_ours
    with pytest.raises(DomainError, match="购买方不是本企业"):
        deduction_select(
            taxpayer=buyer.taxpayer,
            period_start=last_month().start,
            invoice_ids=[row.pk],
            actor="fin",
        )


def test_verify_through_the_authority_and_a_correction(seller: World, buyer: World) -> None:
    invoice = supplier_invoice(seller)
    upload_flush()
    row = received(buyer, invoice, "a.pdf")
    assert received_verify(invoice=row, actor="fin").status == "verified"
    corrected = received_correct(
        invoice=row, values={"total": "1.00", "remarks": "手工更正"}, actor="fin"
    )
    assert corrected.total == Decimal("1.00")
    assert [(c.field, c.before, c.after, c.by) for c in corrected.corrections.order_by("pk")] == [
        ("total", str(invoice.total), "1.00", "fin"),
        ("remarks", corrected.reading["remarks"] or "", "手工更正", "fin"),
    ]
    assert received_verify(invoice=corrected, actor="fin").status == "mismatch"
    with pytest.raises(DomainError) as bad:
        received_correct(invoice=row, values={"date": "昨天"}, actor="fin")
    assert bad.value.field == "date"
    for values, field in (({"seller_name": "甲" * 201}, "seller_name"), ({"kind": "X"}, "kind")):
        with pytest.raises(DomainError) as bad:
            received_correct(invoice=row, values=values, actor="fin")
        assert bad.value.field == field


def test_claims_approved_rejected_and_a_second_claim_refused(seller: World, buyer: World) -> None:
    users = people(buyer)
    invoices = [supplier_invoice(seller) for _ in range(2)]
    files = [(f"{n}.xml", document_render(i, "xml")) for n, i in enumerate(invoices)]
    rows = receive_files(taxpayer=buyer.taxpayer, files=files, actor="alice", via="upload").new
    claim = claim_create(
        taxpayer=buyer.taxpayer, claimant=users["alice"], purpose="差旅费", invoice_ids=[rows[0].pk]
    )
    with pytest.raises(DomainError, match=rf"已在报销单{claim.pk}中（报销人alice）"):
        claim_create(
            taxpayer=buyer.taxpayer,
            claimant=users["bob"],
            purpose="招待费",
            invoice_ids=[rows[0].pk],
        )
    claim = claim_submit(claim=claim, actor=users["alice"])
    assert Notification.objects.get(user=users["fin"], kind="claim").link == f"/claims/{claim.pk}/"
    with pytest.raises(DomainError, match="只有财务或管理员"):
        claim_approve(claim=claim, actor=users["bob"])
    claim = claim_approve(claim=claim, actor=users["fin"])
    assert ReceivedInvoice.objects.get(pk=rows[0].pk).status == "reimbursed"
    told = Notification.objects.get(user=users["alice"], kind="claim")
    assert "已批准" in told.subject
    # a rejected claim frees its invoice for another claim
    second = claim_submit(
        claim=claim_create(
            taxpayer=buyer.taxpayer,
            claimant=users["bob"],
            purpose="办公用品",
            invoice_ids=[rows[1].pk],
        ),
        actor=users["bob"],
    )
    with pytest.raises(DomainError, match="须填写原因"):
        claim_reject(claim=second, actor=users["fin"], reason=" ")
    claim_reject(claim=second, actor=users["fin"], reason="缺少审批单")
    assert "缺少审批单" in Notification.objects.get(user=users["bob"], kind="claim").text
    again = claim_create(
        taxpayer=buyer.taxpayer,
        claimant=users["alice"],
        purpose="办公用品",
        invoice_ids=[rows[1].pk],
    )
    assert again.amount == rows[1].total
    lines = voucher_lines(buyer.taxpayer)
    debit = sum(Decimal(str(r[6])) for r in lines if r[6] != "")
    credit = sum(Decimal(str(r[7])) for r in lines if r[7] != "")
    assert debit == credit == claim.amount and len(lines) == 3  # expense, input tax, payable
    table = list(csv.reader(io.StringIO(vouchers_csv(buyer.taxpayer).decode("utf-8-sig"))))
    assert tuple(table[0]) == VOUCHER_COLUMNS and len(table) == 4
    assert AuditEvent.objects.filter(type__startswith="claim.").count() == 7


@pytest.mark.django_db(transaction=True)
def test_two_claimants_at_once_exactly_one_wins(seller: World, buyer: World) -> None:
    users = people(buyer)
    invoice = supplier_invoice(seller)
    row = received(buyer, invoice)
    barrier, results = threading.Barrier(2), []

    def claim(name: str) -> None:
        barrier.wait()
        try:
            made = claim_create(
                taxpayer=buyer.taxpayer, claimant=users[name], purpose="差旅", invoice_ids=[row.pk]
            )
            results.append(("won", made.pk))
        except DomainError as refused:
            results.append(("refused", str(refused.message)))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(name,)) for name in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r[0] for r in results) == ["refused", "won"]
    won = next(r[1] for r in results if r[0] == "won")
    assert f"已在报销单{won}中" in next(r[1] for r in results if r[0] == "refused")
    assert ReceivedInvoice.objects.get(pk=row.pk).claim_id == won


def test_deducted_input_tax_flows_into_the_return(seller: World, buyer: World) -> None:
    invoice = supplier_invoice(seller)
    row = received(buyer, invoice, "a.ofd", actor="fin")
    period = last_month()
    deduction_select(
        taxpayer=buyer.taxpayer, period_start=period.start, invoice_ids=[row.pk], actor="fin"
    )
    assert deducted_tax(buyer.taxpayer, period.start, period.end) == invoice.tax
    with pytest.raises(DomainError, match="已在"):
        deduction_select(
            taxpayer=buyer.taxpayer, period_start=period.end, invoice_ids=[row.pk], actor="fin"
        )
    after = datetime.combine(period.end + timedelta(days=2), datetime.min.time(), SH)
    period_report(channel=buyer.device, period=period, actor="fin", now=after)
    declared = period_declare(
        taxpayer=buyer.taxpayer, period=period, declared_sales=Decimal(0), actor="fin", now=after
    )
    assert declared.input_tax == invoice.tax and declared.comparison_ok
    assert declared.result["carried_forward"] == str(invoice.tax)
    more = period_declare(
        taxpayer=buyer.taxpayer,
        period=period,
        declared_sales=Decimal(0),
        input_tax=invoice.tax + 1,
        actor="fin",
        now=after,
    )
    assert not more.comparison_ok and more.result["input_ok"] is False


def test_the_commands(seller: World, buyer: World, tmp_path: Path, capsys: Any) -> None:
    users = people(buyer)
    invoice = supplier_invoice(seller)
    path = tmp_path / "fp.pdf"
    path.write_bytes(document_render(invoice, "pdf"))
    tax_id = buyer.taxpayer.tax_id
    call_command("receive", str(path), "--taxpayer", tax_id, "--json")
    (received,) = json.loads(capsys.readouterr().out)["new"]
    assert received["invoice_number"] == invoice.number
    call_command("receive", str(path), "--taxpayer", tax_id)
    assert "已存在" in capsys.readouterr().out
    with pytest.raises(CommandError) as nothing:
        call_command("receive", str(tmp_path / "missing.pdf"), "--taxpayer", tax_id)
    assert nothing.value.returncode == 5 and "missing.pdf" in capsys.readouterr().out
    call_command(
        "claim",
        "create",
        "--taxpayer",
        tax_id,
        "--user",
        "alice",
        "--purpose",
        "差旅",
        str(received["id"]),
        "--json",
    )
    claim_id = json.loads(capsys.readouterr().out)["id"]
    call_command("claim", "submit", str(claim_id), "--taxpayer", tax_id, "--user", "alice")
    call_command("claim", "approve", str(claim_id), "--taxpayer", tax_id, "--user", "fin")
    assert "已批准" in capsys.readouterr().out
    out = tmp_path / "vouchers.xlsx"
    call_command("claim", "export", "--taxpayer", tax_id, "--format", "xlsx", "--out", str(out))
    assert out.read_bytes()[:2] == b"PK"
    call_command(
        "deduct",
        "select",
        "--taxpayer",
        tax_id,
        "--period",
        f"{last_month().start:%Y-%m}",
        str(received["id"]),
    )
    assert f"进项税额{invoice.tax}元" in capsys.readouterr().out
    assert users["alice"].claims.get().status == "approved"


def test_the_api(seller: World, buyer: World) -> None:
    users = people(buyer)
    invoice = supplier_invoice(seller)
    finance = Client(HTTP_HOST="localhost")
    finance.force_login(users["fin"])
    alice = Client(HTTP_HOST="localhost")
    alice.force_login(users["alice"])
    files = [SimpleUploadedFile(f"fp.{f}", document_render(invoice, f)) for f in ("pdf", "xml")]
    posted = alice.post("/api/v1/received", {"files": files})
    assert posted.status_code == 201, posted.content
    assert len(posted.json()["new"]) == 1 and len(posted.json()["known"]) == 1
    row_id = posted.json()["new"][0]["id"]
    shown = alice.get(f"/api/v1/received/{row_id}").json()
    assert (
        shown["invoice_number"] == invoice.number and shown["reading"]["sources"]["total"] == "qr"
    )
    bob = Client(HTTP_HOST="localhost")
    bob.force_login(users["bob"])
    assert bob.get(f"/api/v1/received/{row_id}").status_code == 403  # another claimant's
    assert bob.get("/api/v1/received").json() == []
    made = alice.post(
        "/api/v1/claims", {"purpose": "差旅", "invoices": [row_id]}, content_type="application/json"
    )
    assert made.status_code == 201, made.content
    claim_id = made.json()["id"]
    assert (
        alice.post(f"/api/v1/claims/{claim_id}/submit", {}, content_type="application/json").json()[
            "status"
        ]
        == "submitted"
    )
    refused = finance.post(
        f"/api/v1/claims/{claim_id}/reject", {"reason": ""}, content_type="application/json"
    )
    assert refused.status_code == 400 and refused.json()["field"] == "reason"
    approved = finance.post(
        f"/api/v1/claims/{claim_id}/approve", {}, content_type="application/json"
    )
    assert approved.json()["status"] == "approved"
    vouchers = finance.get("/api/v1/claims-vouchers.csv")
    assert vouchers.status_code == 200 and "管理费用" in vouchers.content.decode("utf-8-sig")
    assert alice.get("/api/v1/claims-vouchers.csv").status_code == 403
    deducted = finance.post(
        "/api/v1/deductions",
        {"period": f"{last_month().start}", "invoices": [row_id]},
        content_type="application/json",
    )
    assert deducted.json() == {
        "period": f"{last_month().start:%Y-%m}",
        "input_tax": str(invoice.tax),
    }
    corrected = finance.post(
        f"/api/v1/received/{row_id}/correct",
        {"values": {"issuer": "张三"}},
        content_type="application/json",
    )
    assert corrected.status_code == 200


def test_photos_that_take_longer_than_a_file_may_are_read_in_ocrs_own_time(
    seller: World, buyer: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file has a minute (here a second); a ZIP of photos read by OCR has seconds a photo."""
    monkeypatch.setattr(sources, "TIME_LIMIT", 1.0)
    invoices = [supplier_invoice(seller) for _ in range(2)]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for n, invoice in enumerate(invoices):
            zipped.writestr(f"{n}.jpg", photograph(document_render(invoice, "pdf")))
    with pytest.raises(UnreadableFile, match="超时"):
        read_file("photos.zip", archive.getvalue())
    done = receive_files(
        taxpayer=buyer.taxpayer, files=[("photos.zip", archive.getvalue())], actor="a", via="api"
    )
    assert sorted(row.number for row in done.new) == sorted(i.number for i in invoices)


def test_a_field_failing_its_check_is_marked_on_the_page(seller: World, buyer: World) -> None:
    users = people(buyer)
    invoice = supplier_invoice(seller)
    good = invoice.seller["tax_id"]
    bad = good[:-1] + ("1" if good[-1] == "0" else "0")
    content = document_render(invoice, "xml").replace(good.encode(), bad.encode())
    (row,) = receive_files(
        taxpayer=buyer.taxpayer, files=[("a.xml", content)], actor="alice", via="upload"
    ).new
    alice = Client(HTTP_HOST="localhost")
    alice.force_login(users["alice"])
    page = alice.get(f"/received/{row.pk}/").content.decode()
    marked = r'<tr class="table-warning" data-doubtful><td><label for="fld-(\w+)"'
    doubted = re.findall(marked, page)
    assert doubted == ["seller_tax_id"] and bad in page


def test_a_photo_is_read_by_the_worker_and_the_uploader_told(seller: World, buyer: World) -> None:
    users = people(buyer)
    invoice = supplier_invoice(seller)
    alice = Client(HTTP_HOST="localhost")
    alice.force_login(users["alice"])
    photo = photograph(document_render(invoice, "pdf"), angle=8)
    assert [needs_ocr(document_render(invoice, f)) for f in ("pdf", "ofd", "xml")] == [False] * 3
    assert needs_ocr(photo)
    posted = alice.post("/api/v1/received", {"files": [SimpleUploadedFile("p.jpg", photo)]})
    assert posted.json()["new"] == [] and [w["file"] for w in posted.json()["waiting"]] == ["p.jpg"]
    assert not ReceivedInvoice.objects.exists()
    page = alice.get("/received/").content.decode()
    assert 'id="received-waiting"' in page and "p.jpg" in page
    assert job_run_due() >= 1
    row = ReceivedInvoice.objects.get()
    assert (row.number, row.total, row.received_by) == (invoice.number, invoice.total, "alice")
    told = Notification.objects.get(user=users["alice"], kind="received")
    assert told.link == f"/received/{row.pk}/" and invoice.number in told.text
    assert 'id="received-waiting"' not in alice.get("/received/").content.decode()
    # a picture that holds no invoice fails, and says so
    blank = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(blank, "PNG")
    alice.post("/api/v1/received", {"files": [SimpleUploadedFile("blank.png", blank.getvalue())]})
    job_run_due()
    failed = Notification.objects.get(user=users["alice"], kind="received", severity="warning")
    assert "blank.png" in failed.subject and "未能识别" in failed.subject


def _message(subject: str, attachments: list[tuple[str, bytes, str]]) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        "fp@seller.cn",
        "fapiao@example.cn",
        subject,
    )
    message.set_content("发票见附件")
    for name, content, kind in attachments:
        main, sub = kind.split("/")
        message.add_attachment(content, maintype=main, subtype=sub, filename=name)
    return bytes(message)


def test_invoices_received_from_a_real_imap_mailbox(
    seller: World,
    buyer: World,
    imap: Imap,  # noqa: F811
    settings: Any,
    capsys: Any,
    monkeypatch: Any,
) -> None:
    settings.FAPIAO_FILE_MAX_BYTES = 2 * 2**20  # a message may be three times a file
    first, second = supplier_invoice(seller), supplier_invoice(seller)
    imap.deliver(
        _message(
            "发票一",
            [
                ("发票.pdf", document_render(first, "pdf"), "application/pdf"),
                ("发票.xml", document_render(first, "xml"), "application/xml"),
                ("说明.txt", "请查收".encode(), "text/plain"),
            ],
        )
    )
    imap.deliver(
        _message(
            "发票二（照片）",
            [
                ("photo.jpg", photograph(document_render(second, "pdf"), angle=5), "image/jpeg"),
            ],
        )
    )
    imap.deliver(_message("太大", [("big.pdf", b"%PDF" + b"0" * (7 * 2**20), "application/pdf")]))
    result = mailbox_import(taxpayer=buyer.taxpayer, mailbox=mailbox_of(imap.url))
    assert (result["messages"], result["new"], result["known"], result["waiting"]) == (2, 1, 1, 1)
    assert result["too_large"] == 1 and imap.unseen() == 1  # the large one is left unread
    assert ReceivedInvoice.objects.get().number == first.number
    job_run_due()  # the photo, read by OCR in the worker
    assert sorted(ReceivedInvoice.objects.values_list("number", flat=True)) == sorted(
        [first.number, second.number]
    )
    assert set(ReceivedInvoice.objects.values_list("via", flat=True)) == {"mail"}
    # read again: nothing new (the messages are read)
    assert mailbox_import(taxpayer=buyer.taxpayer, mailbox=mailbox_of(imap.url))["messages"] == 0
    # the command, with the address in the environment
    imap.deliver(
        _message("再次", [("again.xml", document_render(first, "xml"), "application/xml")])
    )
    monkeypatch.setenv("FAPIAO_MAILBOX_URL", imap.url)
    call_command("mailbox", "--taxpayer", buyer.taxpayer.tax_id)
    assert "读取邮件1封：新收取发票0张，已存在1张" in capsys.readouterr().out
    with pytest.raises(DomainError, match="无法连接邮箱"):
        mailbox_import(taxpayer=buyer.taxpayer, mailbox=mailbox_of("imap://u:p@127.0.0.1:1/INBOX"))
    with pytest.raises(DomainError, match=r"登录失败：.*AUTHENTICATIONFAILED"):
        mailbox_import(
            taxpayer=buyer.taxpayer, mailbox=mailbox_of(imap.url.replace("Imap%23Secret1", "wrong"))
        )
    with pytest.raises(DomainError, match="imap://"):
        mailbox_of("http://example.cn/")
