"""Delivery of invoices: e-mail with the files attached, SMS with a download link, download
links themselves. Sending happens in the job worker, after the asking transaction commits,
with retries; each attempt's outcome goes on the invoice's history.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from fapiao.core.contacts import check_email, check_mobile
from fapiao.core.roles import Role
from fapiao.core.sms import FileSms, sms_backend  # noqa: F401 - FileSms: the old setting's name
from fapiao.documents.models import DownloadLink
from fapiao.documents.services import FORMATS, document_filename, document_render
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.lifecycle import Action
from fapiao.invoicing.accounts import members_with
from fapiao.invoicing.corrections import invoice_mark
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Invoice
from fapiao.invoicing.services import DELIVERY_METHODS, delivery_enqueue
from fapiao.jobs.services import handler
from fapiao.notices.services import notice_send_all

LINK_DAYS = 30
LINK_DAYS_MAX = 366  # policy: a download link lives at most a year


class LinkUnavailable(DomainError):
    code = "link_unavailable"


def formats_of(invoice: Invoice) -> list[str]:
    """What a buyer gets: PDF and OFD, and the XML of a 数电 invoice."""
    digital = spec(InvoiceKind(invoice.kind)).digital
    return ["pdf", "ofd", "xml"] if digital else ["pdf", "ofd"]


# --- e-mail -------------------------------------------------------------------------------


@transaction.atomic
def delivery_email(*, invoice: Invoice, to: str, actor: str) -> None:
    """Queue (or queue again: resend) the invoice's files by e-mail to ``to``."""
    to = check_email(to.strip(), field="to")
    locked = taxpayer_lock(invoice.taxpayer_id)
    delivery_enqueue(locked, invoice, method="email", to=to, actor=actor)


def _record(invoice: Invoice, type: str, actor: str, **payload: Any) -> None:
    with transaction.atomic():
        locked = taxpayer_lock(invoice.taxpayer_id)
        event_append(
            taxpayer=locked, type=type, actor=actor, at=timezone.now(), invoice=invoice,
            payload={"number": str(invoice), **payload},
        )  # fmt: skip


def _attempt(invoice: Invoice, payload: dict[str, Any], method: str, send: Callable[[], Any]):
    """Send; a failure goes on the invoice's history and up to the worker (which retries),
    a success marks the invoice delivered."""
    try:
        send()
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"[:300]
        _record(invoice, "delivery.failed", "worker", method=method, to=payload["to"],
                error=reason)  # fmt: skip
        _tell_failed(invoice, payload, method, reason)
        raise
    invoice_mark(
        invoice=invoice,
        action=Action.DELIVER,
        actor=payload.get("actor", "worker"),
        detail=f"{DELIVERY_METHODS[method]} {payload['to']}",
    )


def _tell_failed(invoice: Invoice, payload: dict[str, Any], method: str, reason: str) -> None:
    """The first failure of a delivery (the worker tries again) is told to who asked for it,
    or to the taxpayer's 管理员 when no user did."""
    failures = invoice.events.filter(type="delivery.failed", payload__to=payload["to"])
    if failures.count() != 1:
        return
    asked = get_user_model().objects.filter(username=payload.get("actor", ""), is_active=True)
    users = list(asked) or members_with(invoice.taxpayer_id, (Role.ADMIN,))
    notice_send_all(
        users, kind="delivery", severity="warning", taxpayer=invoice.taxpayer,
        subject=f"发票{invoice}{DELIVERY_METHODS[method]}失败",
        text=f"发票{invoice}{DELIVERY_METHODS[method]}至{payload['to']}失败（{reason}），"
        "系统将自动重试；也可在发票详情页重新发送。",
        link=f"/invoices/{invoice.pk}/",
    )  # fmt: skip


@handler("deliver.email")
def send_email(payload: dict[str, Any]) -> None:
    invoice = Invoice.objects.select_related("taxpayer", "channel", "signing_key").get(
        pk=payload["invoice"]
    )
    kind = spec(InvoiceKind(invoice.kind)).name
    message = EmailMessage(
        subject=f"【电子发票】{invoice.seller['name']}开具的{kind}（{invoice}）",
        body=(
            f"您好：\n\n{invoice.seller['name']}为您开具了{kind}。\n"
            f"发票号码：{invoice}\n开票日期：{invoice.issued_on:%Y年%m月%d日}\n"
            f"价税合计：¥{invoice.total}\n\n附件为发票文件（PDF、OFD"
            f"{'、XML' if 'xml' in formats_of(invoice) else ''}），请妥善保存。\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[payload["to"]],
    )
    for format in formats_of(invoice):
        message.attach(
            document_filename(invoice, format), document_render(invoice, format), FORMATS[format]
        )
    _attempt(invoice, payload, "email", lambda: message.send(fail_silently=False))


# --- download links -----------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    link: DownloadLink
    token: str
    url: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    return f"{settings.FAPIAO_SITE_URL.rstrip('/')}/d/{token}/"


@transaction.atomic
def link_create(*, invoice: Invoice, actor: str, days: int = LINK_DAYS) -> IssuedLink:
    """A new download link; the token is shown once and stored only as its hash."""
    if not 1 <= days <= LINK_DAYS_MAX:
        raise LinkUnavailable(
            Text("下载链接有效天数应为1至{0}天", LINK_DAYS_MAX), field="link_days"
        )
    token = secrets.token_urlsafe(24)
    now = timezone.now()
    link = DownloadLink.objects.create(
        invoice=invoice, token_hash=_hash(token), created_at=now,
        expires_at=now + timedelta(days=days), created_by=actor,
    )  # fmt: skip
    _record(invoice, "link.created", actor, link=link.pk, expires=link.expires_at.isoformat())
    return IssuedLink(link, token, link_url(token))


@transaction.atomic
def link_revoke(*, link: DownloadLink, actor: str) -> DownloadLink:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        _record(link.invoice, "link.revoked", actor, link=link.pk)
    return link


def link_resolve(token: str, *, now: datetime | None = None) -> DownloadLink:
    """The live link of ``token``; an unknown, expired or revoked token is refused alike."""
    now = now or timezone.now()
    link = DownloadLink.objects.select_related("invoice").filter(token_hash=_hash(token)).first()
    if link is None or link.revoked_at is not None or link.expires_at <= now:
        raise LinkUnavailable("下载链接无效或已过期，请联系开票方重新发送", field="token")
    return link


def link_download(link: DownloadLink, format: str) -> tuple[str, bytes]:
    if format not in formats_of(link.invoice):
        raise LinkUnavailable("该发票没有这种格式的文件", field="format")
    DownloadLink.objects.filter(pk=link.pk).update(downloads=link.downloads + 1)
    _record(link.invoice, "link.downloaded", "buyer", format=format, link=link.pk)
    return document_filename(link.invoice, format), document_render(link.invoice, format)


def qr_png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


# --- SMS ----------------------------------------------------------------------------------


def delivery_sms(*, invoice: Invoice, mobile: str, actor: str) -> IssuedLink:
    """Text the buyer a download link (a new one) through the SMS backend, via the worker."""
    mobile = check_mobile(mobile, field="mobile")
    with transaction.atomic():
        issued = link_create(invoice=invoice, actor=actor)
        locked = taxpayer_lock(invoice.taxpayer_id)
        delivery_enqueue(locked, invoice, method="sms", to=mobile, actor=actor, url=issued.url)
    return issued


@handler("deliver.sms")
def send_sms(payload: dict[str, Any]) -> None:
    invoice = Invoice.objects.get(pk=payload["invoice"])
    text = (
        f"【{invoice.seller['name']}】您的发票{invoice}（价税合计{invoice.total}元）已开具，"
        f"下载：{payload['url']}"
    )
    _attempt(invoice, payload, "sms", lambda: sms_backend().send(payload["to"], text))
