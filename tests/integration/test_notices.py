"""通知中心: every notice kept for its reader and delivered by the channels they chose, after
their quiet hours unless critical, through a real SMTP server on loopback, with retries and
each delivery's outcome; the bell, the list page and reading."""

from __future__ import annotations

import email.header
import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from fapiao.authority.client import EmbeddedClient
from fapiao.core.roles import Role
from fapiao.domain.errors import DomainError
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.uploads import upload_flush
from fapiao.jobs.services import job_run_due
from fapiao.notices.models import Delivery, Notification
from fapiao.notices.services import notice_send, notices_read
from fapiao.security.preferences import preferences_save
from tests.integration.test_delivery import smtp  # noqa: F401 - the real SMTP server fixture
from tests.integration.world import World, make_world

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
LINE = {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "100"}


def subject(message: Any) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


@pytest.fixture
def world() -> World:
    return make_world(credit=None)


@pytest.fixture
def boss(world: World) -> Any:
    user = user_create(username="boss", password="Str0ng#Pass", email="boss@example.cn")
    role_grant(user=user, role=Role.ADMIN, taxpayer=world.taxpayer, actor="root")
    preferences_save(user, quiet_start=time(22), quiet_end=time(8))
    return user


def test_a_critical_notice_passes_quiet_hours_and_an_ordinary_one_waits(
    boss: Any,
    smtp: Any,  # noqa: F811
) -> None:
    _, inbox = smtp
    late = at(20, 23)
    notice_send(boss, kind="risk", severity="critical", subject="严重风险：连续登录失败",
                text="用户boss在5分钟内登录失败12次", link="/risk/", now=late)  # fmt: skip
    notice_send(boss, kind="risk", severity="warning", subject="风险：非工作时间开票",
                text="23:00开具了3张发票", link="/risk/", now=late)  # fmt: skip
    assert job_run_due(now=late) == 1
    assert [subject(m) for m in inbox.messages] == ["严重风险：连续登录失败"]
    assert "/risk/" in inbox.messages[0].get_payload(decode=True).decode()
    assert job_run_due(now=at(21, 7, 59)) == 0  # still quiet
    assert job_run_due(now=at(21, 8)) == 1
    assert [subject(m) for m in inbox.messages][-1] == "风险：非工作时间开票"
    sent = Delivery.objects.order_by("pk")
    assert [(d.status, d.attempts, d.due_at) for d in sent] == [
        ("sent", 1, late),
        ("sent", 1, at(21, 8)),
    ]


def test_a_failed_delivery_is_tried_again_and_its_outcome_kept(
    boss: Any,
    smtp: Any,  # noqa: F811
) -> None:
    server, inbox = smtp
    server.stop()
    moment = at(20, 10)
    notice_send(boss, kind="ticket", subject="工单#1有新回复", text="客服回复了", now=moment)
    assert job_run_due(now=moment) == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("waiting", 1)
    assert "ConnectionRefused" in delivery.error
    server.start()
    assert job_run_due(now=moment + timedelta(minutes=5)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 2, "")
    assert len(inbox.messages) == 1


def test_the_reader_chooses_the_channels_per_kind(boss: Any) -> None:
    preferences_save(boss, notice_off={"ticket": ["email"], "upload": ["in_app"]})
    ticket = notice_send(boss, kind="ticket", subject="工单回复", text="…")
    risk = notice_send(boss, kind="risk", subject="风险", text="…")
    upload = notice_send(boss, kind="upload", subject="上传被拒", text="…")
    assert not ticket.deliveries.exists() and risk.deliveries.get().channel == "email"
    # turned off in the app: kept in the list, already read, the bell stays dark
    assert upload.read_at is not None and ticket.read_at is None
    with pytest.raises(ValueError, match="no-such-kind"):
        notice_send(boss, kind="no-such-kind", subject="x", text="x")
    with pytest.raises(DomainError) as refused:
        preferences_save(boss, notice_off={"ticket": ["fax"]})
    assert refused.value.field == "notice_off"


def test_the_bell_the_list_and_reading(world: World, boss: Any) -> None:
    other = user_create(username="other", password="Str0ng#Pass")
    role_grant(user=other, role=Role.ADMIN, taxpayer=world.taxpayer, actor="root")
    mine = [
        notice_send(
            boss,
            kind="ticket",
            subject=f"工单#{n}有新回复",
            text="客服回复了",
            link=f"/help/tickets/{n}/",
        )
        for n in (1, 2, 3)
    ]
    theirs = notice_send(other, kind="risk", subject="别人的风险预警", text="…")
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(boss)
    page = browser.get("/notices/").content.decode()
    assert page.count('class="fw-semibold unread"') == 3 and "别人的风险预警" not in page
    home = browser.get("/help/").content.decode()
    assert 'id="unread-count">3<' in home and "工单#3有新回复" in home
    opened = browser.get(f"/notices/{mine[0].pk}/")
    assert opened.status_code == 302 and opened["Location"] == "/help/tickets/1/"
    assert browser.get(f"/notices/{theirs.pk}/").status_code == 404
    assert browser.get("/notices/?unread=1").content.decode().count("unread") >= 2
    assert 'id="unread-count">2<' in browser.get("/help/").content.decode()
    assert browser.post("/notices/read").status_code == 302
    assert Notification.objects.filter(user=boss, read_at__isnull=True).count() == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert notices_read(other, [mine[1].pk]) == 0  # nobody reads another's notices
    # the API: the same notices, for the signed-in person only
    api = Client(HTTP_HOST="localhost")
    assert api.get("/api/v1/notices").status_code == 401
    api.force_login(other)
    listed = api.get("/api/v1/notices?unread=true").json()
    assert listed["unread"] == 1 and [n["subject"] for n in listed["notices"]] == ["别人的风险预警"]
    assert api.post("/api/v1/notices/read", {"ids": [mine[2].pk]},
                    content_type="application/json").json() == {"read": 0}  # fmt: skip
    assert api.post("/api/v1/notices/read", {}, content_type="application/json").json() == {
        "read": 1
    }


def test_the_command_lists_and_reads_a_users_notices(boss: Any, capsys: Any) -> None:
    first = notice_send(boss, kind="risk", severity="critical", subject="严重风险", text="…")
    notice_send(boss, kind="ticket", subject="工单回复", text="…")
    call_command("notices", "list", "--user", "boss", "--unread", "--json")
    listed = json.loads(capsys.readouterr().out)
    assert listed["unread"] == 2 and [n["subject"] for n in listed["notices"]] == [
        "工单回复",
        "严重风险",
    ]
    call_command("notices", "read", "--user", "boss", str(first.pk))
    assert "已将1条通知标为已读" in capsys.readouterr().out
    call_command("notices", "list", "--user", "boss")
    assert "严重风险" in capsys.readouterr().out
    with pytest.raises(CommandError) as missing:
        call_command("notices", "list", "--user", "nobody")
    assert missing.value.returncode == 3


class RefusingAuthority(EmbeddedClient):
    """An authority that refuses every upload of a batch (a taxpayer it has suspended)."""

    def upload(self, **kwargs: Any) -> dict[str, Any]:
        return {"answers": [
            {"sequence": u["sequence"], "accepted": False, "error": "纳税人状态为非正常户"}
            for u in kwargs["uploads"]
        ]}  # fmt: skip


def test_refused_uploads_are_told_to_the_admins_once_per_batch(world: World, boss: Any) -> None:
    for _ in range(2):
        invoice_issue(taxpayer=world.taxpayer, channel=world.digital, request_id=None,
                      draft=parse_draft({"kind": "DIGITAL_ORDINARY", "lines": [LINE],
                                         "buyer": {"name": "武汉某某有限公司"}}),
                      actor="clerk")  # fmt: skip
    assert upload_flush(client=RefusingAuthority()).refused == 2
    told = Notification.objects.get(user=boss)
    assert (told.kind, told.severity, told.link) == ("upload", "warning", "/sync/")
    assert told.subject == "2条上传被税务机关拒绝" and "纳税人状态为非正常户" in told.text
