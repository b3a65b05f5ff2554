"""通知中心 in the REST API: the signed-in user's own notices (a session: notices belong to a
person, not to a taxpayer's system key), and marking them read. The same selectors and
services as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.security import SessionAuth

from fapiao.api.v1.schemas import Error
from fapiao.domain.notices import KINDS
from fapiao.notices.selectors import notices_of, unread_count
from fapiao.notices.services import notices_read


class PersonSession(SessionAuth):
    """Any signed-in person (CSRF checked on writes)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)


router = Router(auth=PersonSession(), tags=["通知中心"])


def _shown(notice: Any) -> dict[str, Any]:
    return {
        "id": notice.pk, "kind": notice.kind, "kind_label": KINDS.get(notice.kind, notice.kind),
        "severity": notice.severity, "subject": notice.subject, "text": notice.text,
        "link": notice.link, "created_at": notice.created_at.isoformat(),
        "read_at": notice.read_at.isoformat() if notice.read_at else None,
        "deliveries": [
            {"channel": d.channel, "status": d.status, "attempts": d.attempts,
             "sent_at": d.sent_at.isoformat() if d.sent_at else None, "error": d.error}
            for d in notice.deliveries.all()
        ],
    }  # fmt: skip


@router.get("/notices", response={200: dict[str, Any], 400: Error})
def notices_list(
    request: HttpRequest, unread: bool = False, kind: str = "", limit: int = 50
) -> dict[str, Any]:
    """The user's notices, newest first (at most ``limit``, up to 500), and the unread count."""
    found = notices_of(request.user, unread=unread, kind=kind if kind in KINDS else "")  # type: ignore[arg-type]
    return {
        "unread": unread_count(request.user),  # type: ignore[arg-type]
        "notices": [_shown(n) for n in found[: min(max(limit, 1), 500)]],
    }


class ReadIn(Schema):
    ids: list[int] = Field(default_factory=list, description="不填则全部标为已读")


@router.post("/notices/read", response={200: dict[str, Any], 400: Error})
def notices_mark_read(request: HttpRequest, body: ReadIn) -> dict[str, Any]:
    return {"read": notices_read(request.user, body.ids or None)}  # type: ignore[arg-type]
