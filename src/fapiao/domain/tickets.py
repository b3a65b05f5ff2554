"""Tickets (在线客服 / 意见反馈): categories, statuses and how a ticket moves between them, and
the attachments a ticket may carry.

Statuses: 待处理 (filed, nobody has answered) → 处理中 (support is on it) ⇄ 待用户回复 (support
asked the user) → 已解决 (support solved it; the user may rate it) → 已关闭. A user's reply to a
ticket waiting for them, or to a solved or closed one (a reopen), puts it back to 处理中 — or to
待处理 when nobody holds it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import PurePosixPath

from fapiao.domain.errors import DomainError, Text

#: what a ticket is about; support is routed by it
CATEGORIES: dict[str, str] = {
    "account": "登录与账户",
    "issuing": "开具发票",
    "corrections": "红字与作废",
    "closing": "申报与清卡",
    "verification": "查验",
    "received": "进项与报销",
    "feedback": "意见反馈",
    "other": "其他问题",
}


class Status(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    AWAITING_USER = "awaiting_user"
    SOLVED = "solved"
    CLOSED = "closed"


STATUS_LABELS = {
    Status.PENDING: "待处理",
    Status.IN_PROGRESS: "处理中",
    Status.AWAITING_USER: "待用户回复",
    Status.SOLVED: "已解决",
    Status.CLOSED: "已关闭",
}
OPEN = frozenset({Status.PENDING, Status.IN_PROGRESS, Status.AWAITING_USER})
#: what support may set by hand, from each status
STAFF_MOVES: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.IN_PROGRESS, Status.SOLVED, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.AWAITING_USER, Status.SOLVED, Status.CLOSED}),
    Status.AWAITING_USER: frozenset({Status.IN_PROGRESS, Status.SOLVED, Status.CLOSED}),
    Status.SOLVED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}
SUBJECT_MAX = 120
TEXT_MAX = 5_000
#: a solved ticket that nobody reopens is closed after this long
CLOSE_AFTER = timedelta(days=7)


class TicketRefused(DomainError):
    code = "ticket"


def category_check(category: str) -> str:
    if category not in CATEGORIES:
        raise TicketRefused("请选择问题类型", field="category")
    return category


def text_check(text: str, *, field: str, label: str, limit: int = TEXT_MAX) -> str:
    text = text.strip()
    if not text:
        raise TicketRefused(Text("请填写{0}", label), field=field)
    if len(text) > limit:
        raise TicketRefused(Text("{0}不能超过{1}个字符", label, limit), field=field)
    return text


def staff_move(current: Status, wanted: Status) -> Status:
    """The status support sets by hand, if it may move there from ``current``."""
    if wanted == current:
        return current
    if wanted not in STAFF_MOVES[current]:
        raise TicketRefused(
            Text("工单状态不能从“{0}”改为“{1}”", STATUS_LABELS[current], STATUS_LABELS[wanted]),
            field="status",
        )
    return wanted


def after_reply(current: Status, *, by_staff: bool, assigned: bool) -> Status:
    """The status after a reply: support's answer waits for the user (a solved or closed ticket
    stays as it is); the user's reply goes back to support."""
    if by_staff:
        return Status.AWAITING_USER if current in OPEN else current
    return Status.IN_PROGRESS if assigned else Status.PENDING


def user_may_close(current: Status) -> bool:
    return current != Status.CLOSED


def rating_check(current: Status, rating: int) -> int:
    if current not in (Status.SOLVED, Status.CLOSED):
        raise TicketRefused("工单解决后才能评价", field="rating")
    if rating not in range(1, 6):
        raise TicketRefused("满意度应为1到5星", field="rating")
    return rating


def elapsed(start: datetime, end: datetime | None) -> timedelta | None:
    return None if end is None else max(end - start, timedelta(0))


def duration_text(span: timedelta | None) -> str:
    """A duration as a clerk reads it: 3分钟, 2小时5分钟, 1天4小时; 未 for none yet."""
    if span is None:
        return "—"
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{minutes}分钟" if minutes else f"{hours}小时"
    return f"{max(minutes, 1)}分钟" if span.total_seconds() >= 30 else "不到1分钟"


# --- attachments -------------------------------------------------------------------------------

#: what a ticket may carry: extension → (content type, whether it must be a picture)
ATTACHMENT_TYPES: dict[str, tuple[str, bool]] = {
    "png": ("image/png", True),
    "jpg": ("image/jpeg", True),
    "jpeg": ("image/jpeg", True),
    "gif": ("image/gif", True),
    "webp": ("image/webp", True),
    "pdf": ("application/pdf", False),
    "ofd": ("application/ofd", False),
    "xml": ("application/xml", False),
    "txt": ("text/plain", False),
    "csv": ("text/csv", False),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
}
#: the first bytes each type must start with (text types are checked as text instead)
MAGIC: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
    "pdf": (b"%PDF-",),
    "ofd": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
}
ATTACHMENT_MAX = 5 * 2**20
ATTACHMENTS_PER_MESSAGE = 5
NAME_MAX = 100
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


@dataclass(frozen=True)
class AttachmentKind:
    extension: str
    content_type: str
    picture: bool


def attachment_check(name: str, head: bytes, size: int) -> AttachmentKind:
    """Refuse an attachment by its name, size and first bytes: a name with a path or control
    characters, a type not on the list, a file whose content is not what its name says (an
    executable renamed .png, an SVG, HTML in a .txt), an empty or oversized one."""
    label = name[:40]
    if (
        not name
        or len(name) > NAME_MAX
        or _BAD_NAME.search(name)
        or name.strip(". ") != name.strip()
        or ".." in name
        or PurePosixPath(name).name != name
    ):
        raise TicketRefused(
            Text("附件名称“{0}”不可用：不能含路径或特殊字符", label), field="attachments"
        )
    extension = name.rsplit(".", 1)[1].lower() if "." in name else ""
    if extension not in ATTACHMENT_TYPES:
        allowed = "、".join(sorted({e for e in ATTACHMENT_TYPES if e != "jpeg"}))
        raise TicketRefused(
            Text("附件“{0}”的类型不允许（可上传：{1}）", label, allowed), field="attachments"
        )
    if size <= 0:
        raise TicketRefused(Text("附件“{0}”是空文件", label), field="attachments")
    if size > ATTACHMENT_MAX:
        raise TicketRefused(
            Text(
                "附件“{0}”过大（{1}MB），每个附件不超过{2}MB",
                label,
                -(-size // 2**20),
                ATTACHMENT_MAX // 2**20,
            ),
            field="attachments",
        )
    content_type, picture = ATTACHMENT_TYPES[extension]
    if not _content_fits(extension, head):
        raise TicketRefused(Text("附件“{0}”的内容与其扩展名不符", label), field="attachments")
    return AttachmentKind(extension, content_type, picture)


def _content_fits(extension: str, head: bytes) -> bool:
    if extension in MAGIC:
        fits = head.startswith(MAGIC[extension])
        return fits and (extension != "webp" or head[8:12] == b"WEBP")
    if b"\x00" in head:  # text types: no binary, no markup a browser would run
        return False
    text = None
    for encoding in ("utf-8", "gb18030"):
        try:  # incremental: the head may end inside a character
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        return False
    lowered = text.lstrip("\ufeff \t\r\n").lower()
    if "<svg" in lowered or "<script" in lowered or "<html" in lowered:
        return False
    if extension == "xml":
        return lowered.startswith("<")
    return not lowered.startswith(("<!doctype", "mz"))
