"""Delivery through a real SMTP server on loopback, the job worker's retries, download links."""

from __future__ import annotations

import email
import socket
from datetime import timedelta
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction
from django.test import Client
from django.utils import timezone

from fapiao.documents.delivery import (
    delivery_email,
    delivery_sms,
    link_create,
    link_revoke,
)
from fapiao.documents.models import DownloadLink
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import InvoiceKind
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import Event, Invoice
from fapiao.invoicing.services import invoice_issue
from fapiao.jobs.models import Job
from fapiao.jobs.services import job_run_due
from tests.integration.world import SPECIAL_BUYER, World, make_world

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A real SMTP server on a loopback port that can be stopped and started again."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings: Any) -> Any:
    inbox = Inbox()
    server = Server(inbox)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    server.start()
    yield server, inbox
    server.stop()


@pytest.fixture
def world() -> World:
    return make_world(credit=None)


def issue(world: World, *, email_to: str = "", kind: InvoiceKind = InvoiceKind.DIGITAL_SPECIAL):
    buyer = {**SPECIAL_BUYER, "email": email_to} if email_to else SPECIAL_BUYER
    digital = kind.value.startswith("DIGITAL")
    return invoice_issue(
        taxpayer=world.taxpayer,
        channel=world.digital if digital else world.device,
        draft=parse_draft(
            {
                "kind": kind.value,
                "buyer": buyer,
                "lines": [
                    {
                        "name": "软件开发服务",
                        "tax_code": "3040201010000000000",
                        "rate": "6%",
                        "amount": "1000",
                    }
                ],
            }
        ),
        request_id=None,
        actor="clerk",
    )


def test_an_issued_invoice_is_mailed_with_its_files_after_commit(world: World, smtp: Any) -> None:
    _, inbox = smtp
    invoice = issue(world, email_to="buyer@example.cn")
    assert inbox.messages == []  # issuing never waits for delivery
    assert job_run_due() == 1
    (message,) = inbox.messages
    assert message["To"] == "buyer@example.cn"
    assert invoice.number in str(email.header.make_header(email.header.decode_header(
        message["Subject"])))  # fmt: skip
    files = {
        part.get_filename(): part.get_payload(decode=True)
        for part in message.walk()
        if part.get_filename()
    }
    assert sorted(name.rsplit(".", 1)[1] for name in files) == ["ofd", "pdf", "xml"]
    pdf = next(content for name, content in files.items() if name.endswith(".pdf"))
    assert pdf.startswith(b"%PDF")
    invoice.refresh_from_db()
    assert invoice.status == "delivered"
    assert Event.objects.filter(invoice=invoice, type="invoice.delivered").count() == 1


def test_the_worker_retries_while_the_server_is_down(world: World, smtp: Any) -> None:
    server, inbox = smtp
    server.stop()
    invoice = issue(world, email_to="buyer@example.cn")
    assert job_run_due() == 1
    job = Job.objects.get()
    assert (job.status, job.attempts) == ("pending", 1)
    assert "ConnectionRefused" in job.last_error
    failed = Event.objects.get(invoice=invoice, type="delivery.failed")
    assert failed.payload["to"] == "buyer@example.cn"
    assert job_run_due() == 0  # not due before its delay
    server.start()
    later = timezone.now() + timedelta(minutes=1)
    assert job_run_due(now=later) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)
    assert len(inbox.messages) == 1


def test_nothing_is_sent_for_a_rolled_back_issue(world: World, smtp: Any) -> None:
    _, inbox = smtp

    def issue_then_fail() -> None:
        with transaction.atomic():
            issue(world, email_to="buyer@example.cn")
            raise RuntimeError("the caller's transaction fails after issuing")

    with pytest.raises(RuntimeError):
        issue_then_fail()
    assert Invoice.objects.count() == 0 and Job.objects.count() == 0
    assert job_run_due() == 0 and inbox.messages == []


def test_resend_to_another_address_and_bad_addresses(world: World, smtp: Any) -> None:
    _, inbox = smtp
    invoice = issue(world)
    with pytest.raises(DomainError, match="格式不正确") as caught:
        delivery_email(invoice=invoice, to="not-an-address", actor="clerk")
    assert caught.value.field == "to"
    delivery_email(invoice=invoice, to="finance@example.cn", actor="clerk")
    delivery_email(invoice=invoice, to="finance@example.cn", actor="clerk")  # resend
    assert job_run_due() == 2
    assert [m["To"] for m in inbox.messages] == ["finance@example.cn"] * 2


def test_download_link_and_sms(world: World, settings: Any, tmp_path: Any) -> None:
    invoice = issue(world, kind=InvoiceKind.VAT_ORDINARY_ELECTRONIC)
    issued = link_create(invoice=invoice, actor="clerk")
    client = Client()
    path = issued.url.split("8000", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and invoice.number in page.content.decode()
    pdf = client.get(path + "pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]
    assert client.get(path + "xml").status_code == 404  # no 数电 XML for this kind
    qr = client.get(path + "qr.png")
    assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG")
    assert client.get("/d/wrong-token/").status_code == 404
    link_revoke(link=issued.link, actor="clerk")
    assert client.get(path + "pdf").status_code == 404
    expired = link_create(invoice=invoice, actor="clerk", days=1)
    DownloadLink.objects.filter(pk=expired.link.pk).update(expires_at=timezone.now())
    assert client.get(expired.url.split("8000", 1)[1]).status_code == 404

    sent = delivery_sms(invoice=invoice, mobile="138 0013 8000", actor="clerk")
    assert job_run_due() == 1
    log = (tmp_path / "sms.log").read_text("utf-8")
    assert "13800138000" in log and sent.url in log
    assert client.get(sent.url.split("8000", 1)[1]).status_code == 200
    with pytest.raises(DomainError, match="11位"):
        delivery_sms(invoice=invoice, mobile="12345", actor="clerk")
