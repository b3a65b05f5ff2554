"""Invoices received by e-mail: a mailbox read over IMAP (``imap://user:password@host:port/
folder``, ``imaps://`` for TLS). Each unread message's invoice attachments (PDF, OFD, XML, ZIP,
pictures) are received as any upload (pictures and scans through OCR in the worker), and the
message is marked read; a message too large is left unread and reported. Bounded: the time a
connection may take, the messages of one round, the size of one message. The worker reads the
mailbox of ``FAPIAO_MAILBOX_URL`` every five minutes; ``fapiao mailbox`` on demand."""

from __future__ import annotations

import contextlib
import email
import email.policy
import imaplib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.utils import timezone

from fapiao.domain.errors import DomainError, Text
from fapiao.invoicing.models import Taxpayer
from fapiao.invoicing.selectors import taxpayer_find
from fapiao.jobs.services import periodic
from fapiao.receiving.later import receive_later
from fapiao.security.audit import audit_append

TIMEOUT = 30  # seconds for the connection and each command
MAX_MESSAGES = 200  # a round; the rest wait for the next
EVERY = timedelta(minutes=5)
ATTACHMENTS = (".pdf", ".ofd", ".xml", ".zip", ".jpg", ".jpeg", ".png")


class MailboxError(DomainError):
    code = "mailbox"


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    tls: bool = False


def mailbox_of(url: str) -> Mailbox:
    """The mailbox an ``imap://`` or ``imaps://`` address names; refused, naming what is wrong."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise MailboxError("邮箱地址格式不正确", field="url") from None
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise MailboxError("邮箱地址应为 imap://用户:密码@主机:端口/文件夹", field="url")
    if not parts.username:
        raise MailboxError("邮箱地址缺少用户名", field="url")
    tls = parts.scheme == "imaps"
    return Mailbox(
        host=parts.hostname,
        port=port or (993 if tls else 143),
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.strip("/")) or "INBOX",
        tls=tls,
    )


def _attachments(raw: bytes) -> list[tuple[str, bytes]]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    found = []
    for part in message.walk():
        name = part.get_filename() or ""
        if name.lower().endswith(ATTACHMENTS):
            content = part.get_payload(decode=True)
            if isinstance(content, bytes) and content:
                found.append((name, content))
    return found


def _said(error: Exception) -> str:
    """What the server said, as text (imaplib hands over its bytes)."""
    said = error.args[0] if error.args else error
    return said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)


def _ok(answer: tuple[str, Any], what: str) -> Any:
    status, data = answer
    if status != "OK":
        raise MailboxError(Text("邮箱拒绝了{0}：{1}", what, data), field="url")
    return data


def mailbox_import(
    *, taxpayer: Taxpayer, mailbox: Mailbox, now: datetime | None = None
) -> dict[str, Any]:
    """Receive the invoices of the mailbox's unread messages; what came of it."""
    now = now or timezone.now()
    actor = f"mail:{mailbox.user}"
    limit = settings.FAPIAO_FILE_MAX_BYTES * 3
    result: dict[str, Any] = {
        "messages": 0,
        "new": 0,
        "known": 0,
        "waiting": 0,
        "refused": [],
        "too_large": 0,
    }
    try:
        kind = imaplib.IMAP4_SSL if mailbox.tls else imaplib.IMAP4
        connection = kind(mailbox.host, mailbox.port, timeout=TIMEOUT)
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxError(Text("无法连接邮箱{0}：{1}", mailbox.host, error), field="url") from None
    try:
        try:
            _ok(connection.login(mailbox.user, mailbox.password), "登录")
        except imaplib.IMAP4.error as refused:
            raise MailboxError(
                Text("邮箱{0}登录失败：{1}", mailbox.host, _said(refused)), field="url"
            ) from None
        _ok(connection.select(mailbox.folder), "打开文件夹")
        uids = _ok(connection.uid("SEARCH", None, "UNSEEN"), "查找未读邮件")[0].split()
        for uid in uids[:MAX_MESSAGES]:
            sized = _ok(connection.uid("FETCH", uid, "(RFC822.SIZE)"), "读取邮件大小")
            found = re.search(rb"RFC822\.SIZE (\d+)", sized[0] if sized and sized[0] else b"")
            size = int(found[1]) if found else 0
            if size > limit:
                result["too_large"] += 1  # left unread, for a person to look at
                continue
            fetched = _ok(connection.uid("FETCH", uid, "(BODY.PEEK[])"), "读取邮件")
            raw = next(part[1] for part in fetched if isinstance(part, tuple))
            done, waiting = receive_later(
                taxpayer=taxpayer, files=_attachments(raw), actor=actor, via="mail", now=now
            )
            result["messages"] += 1
            result["new"] += len(done.new)
            result["known"] += len(done.known)
            result["waiting"] += len(waiting)
            result["refused"] += [{"file": n, "message": w} for n, w in done.refused]
            _ok(connection.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "标记已读")
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxError(
            Text("读取邮箱{0}失败：{1}", mailbox.host, _said(error)), field="url"
        ) from None
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()
    audit_append(
        "mailbox.imported",
        actor=actor,
        taxpayer=taxpayer,
        at=now,
        payload={k: v for k, v in result.items() if k != "refused"},
    )
    return result


log = logging.getLogger(__name__)
_LAST: list[datetime] = []


@periodic
def mailbox_round(now: datetime | None = None) -> int:
    """The worker's round: the configured mailbox, every five minutes; messages read."""
    now = now or timezone.now()
    if not settings.FAPIAO_MAILBOX_URL or (_LAST and now - _LAST[0] < EVERY):
        return 0
    _LAST[:] = [now]
    try:
        taxpayer = taxpayer_find(settings.FAPIAO_MAILBOX_TAXPAYER or None)
        mailbox = mailbox_of(settings.FAPIAO_MAILBOX_URL)
        return int(mailbox_import(taxpayer=taxpayer, mailbox=mailbox, now=now)["messages"])
    except DomainError as failed:  # tried again in five minutes
        log.warning("mailbox not read: %s", failed.message)
        return 0
