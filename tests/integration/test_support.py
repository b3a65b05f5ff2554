"""帮助与支持 through the pages, the API, the command line and the services: the help centre and
its context help, tickets with routing, statuses, ratings, attachments and grants, and who may
see what."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from PIL import Image

from fapiao.core.roles import Role
from fapiao.domain.tickets import Status
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.services import invoice_issue
from fapiao.notices.models import Delivery
from fapiao.security.models import AuditEvent
from fapiao.support import grants, tickets
from fapiao.support.articles import article_save, articles_install
from fapiao.support.links import HELP_FOR, help_url
from fapiao.support.models import Article, Ticket
from fapiao.web.menu import AUTHORITY_MENU, CLAIMANT_MENU, SUPPORT_MENU, TAXPAYER_MENU
from tests.integration.world import SPECIAL_BUYER, World, make_world

pytestmark = pytest.mark.django_db
PASSWORD = "Str0ng#Pass"


def png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def person(name: str, role: Role, world: World | None = None, email: str = "") -> Any:
    user = user_create(username=name, password=PASSWORD, email=email or f"{name}@example.cn")
    role_grant(user=user, role=role, taxpayer=world.taxpayer if world else None, actor="root")
    return user


def browser(user: Any) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


@pytest.fixture
def world() -> World:
    articles_install()
    return make_world()


@pytest.fixture
def people(world: World) -> dict[str, Any]:
    return {
        "clerk": person("clerk", Role.ISSUER, world),
        "lead": person("lead", Role.SUPPORT_LEAD),
        "agent": person("agent", Role.SUPPORT),
        "other": person(
            "other",
            Role.ISSUER,
            make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161"),
        ),
    }


def file_ticket(world: World, user: Any, **extra: Any) -> Ticket:
    fields = {"category": "closing", "subject": "清卡失败", "description": "提示比对不通过"}
    return tickets.ticket_file(
        user=user, taxpayer=world.taxpayer, actor=user.get_username(), **{**fields, **extra}
    )


# --- the help centre --------------------------------------------------------------------------


def test_the_shipped_articles_are_installed_once_and_edits_survive(world: World) -> None:
    count = Article.objects.count()
    assert count >= 30
    locked = Article.objects.get(slug="account-locked")
    article_save(
        slug="account-locked",
        topic="account",
        title="账户被锁定（本企业说明）",
        body="请找张三解锁。",
        actor="agent",
        article=locked,
    )
    assert articles_install() == 0
    locked.refresh_from_db()
    assert (locked.title, locked.version, locked.revisions.count()) == (
        "账户被锁定（本企业说明）",
        2,
        2,
    )
    assert AuditEvent.objects.filter(type="article.updated", actor="agent").count() == 1


def test_the_help_centre_searches_in_chinese_and_renders_no_markup(
    world: World, people: dict[str, Any]
) -> None:
    clerk = browser(people["clerk"])
    page = clerk.get("/help/", {"q": "清卡没成功"}).content.decode()
    assert page.index("/help/clearing-rejected/") < page.index("/help/period-close/")
    article_save(
        slug="unsafe",
        topic="faq",
        title="不安全的文章",
        actor="agent",
        body="<script>alert(1)</script>\n\n[点我](javascript:alert(1))\n\n"
        '<img src=x onerror="alert(2)">\n\n**粗体**',
    )
    shown = clerk.get("/help/unsafe/").content.decode()
    article = shown[shown.index('id="article"') : shown.index("</article>")]
    assert "<strong>粗体</strong>" in article
    assert "<script" not in article and 'href="javascript:' not in article
    assert "<img" not in article and "&lt;script&gt;" in article
    assert clerk.get("/help/no-such-article/").status_code == 404
    suggested = clerk.get("/help/suggest", {"subject": "忘记密码"}).content.decode()
    assert "/help/forgot-password/" in suggested


def test_every_refusal_that_needs_more_links_an_existing_article(world: World) -> None:
    slugs = set(Article.objects.filter(published=True).values_list("slug", flat=True))
    for message, slug in HELP_FOR.items():
        assert slug in slugs, (message, slug)
        assert help_url(message) == f"/help/{slug}/"
    assert help_url("请填写购买方名称") is None


def test_every_page_of_every_menu_has_its_help_article(world: World) -> None:
    from fapiao.support.articles import article_for_page

    for menu in (TAXPAYER_MENU, CLAIMANT_MENU, AUTHORITY_MENU, SUPPORT_MENU):
        for group in menu:
            for item in group.items:
                assert article_for_page(item.url) is not None, item.url


def test_a_refusal_on_a_page_links_its_article(world: World, people: dict[str, Any]) -> None:
    client = Client(HTTP_HOST="localhost")
    for _ in range(6):
        answer = client.post("/accounts/login/", {"username": "clerk", "password": "wrong"})
    assert "账户被锁定" in answer.content.decode()
    assert 'href="/help/account-locked/"' in answer.content.decode()
    article = client.get("/help/account-locked/")  # readable by who cannot sign in
    assert article.status_code == 200 and "解除锁定" in article.content.decode()
    assert client.get("/help/tickets/").status_code == 302  # tickets are for signed-in users
    page = browser(people["clerk"]).get("/settings/printers/").content.decode()
    assert 'id="page-help"' in page and 'href="/help/printing/"' in page


# --- tickets ----------------------------------------------------------------------------------


def test_a_ticket_is_routed_answered_solved_rated_and_reopened(
    world: World, people: dict[str, Any]
) -> None:
    clerk, lead, agent = people["clerk"], people["lead"], people["agent"]
    grants.routing_set(category="closing", assignees=[lead, agent], actor="lead")
    busy = file_ticket(world, clerk)
    second = file_ticket(world, clerk, subject="又一个")
    assert {busy.assignee, second.assignee} == {lead, agent}  # the one with fewer open tickets
    assert busy.status == Status.IN_PROGRESS
    emails = Delivery.objects.filter(channel="email").count()

    tickets.ticket_reply(ticket=busy, user=busy.assignee, actor="x", body="请提供截图", staff=True)
    busy.refresh_from_db()
    assert busy.status == Status.AWAITING_USER and busy.first_response_at is not None
    assert Delivery.objects.filter(channel="email").count() == emails + 1  # the clerk is told
    tickets.ticket_reply(
        ticket=busy,
        user=clerk,
        actor="clerk",
        body="已上传",
        staff=False,
        uploads=[tickets.Upload("截图.png", png(), len(png()))],
    )
    busy.refresh_from_db()
    assert busy.status == Status.IN_PROGRESS and busy.attachments.count() == 1
    with pytest.raises(tickets.TicketRefused, match="解决后"):
        tickets.ticket_rate(ticket=busy, rating=5, note="", actor="clerk")
    tickets.ticket_move(ticket=busy, status="solved", actor="lead")
    busy.refresh_from_db()
    assert busy.resolved_at is not None
    tickets.ticket_rate(ticket=busy, rating=4, note="很快", actor="clerk")
    tickets.ticket_reply(ticket=busy, user=clerk, actor="clerk", body="又出现了", staff=False)
    busy.refresh_from_db()
    assert (busy.status, busy.resolved_at) == (Status.IN_PROGRESS, None)
    with pytest.raises(tickets.TicketRefused, match="不能从"):
        tickets.ticket_move(ticket=busy, status="pending", actor="lead")
    types = set(AuditEvent.objects.values_list("type", flat=True))
    assert {
        "ticket.filed",
        "ticket.replied",
        "ticket.status",
        "ticket.rated",
        "routing.changed",
    } <= types


def test_a_solved_ticket_nobody_reopens_is_closed_after_a_week(
    world: World, people: dict[str, Any]
) -> None:
    ticket = file_ticket(world, people["clerk"])
    tickets.ticket_move(ticket=ticket, status="solved", actor="lead")
    assert tickets.tickets_close_solved(now=timezone.now() + timedelta(days=6)) == 0
    assert tickets.tickets_close_solved(now=timezone.now() + timedelta(days=8)) == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None


def _form(**fields: Any) -> dict[str, Any]:
    return {"category": "issuing", "subject": "截图", "description": "见附件", **fields}


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("setup.png", b"MZ\x90\x00" + b"\0" * 200, "内容与其扩展名不符"),
        ("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 2**20), "过大"),
        (
            "x.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "类型不允许",
        ),
        ("fake.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "不是有效的图片"),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_filed(
    world: World, people: dict[str, Any], name: str, content: bytes, said: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    clerk = browser(people["clerk"])
    upload = SimpleUploadedFile(name, content)
    upload.name = name  # as the browser sent it, path and all
    answer = clerk.post("/help/tickets/new/", _form(attachments=[upload]))
    assert answer.status_code == 400
    assert said in answer.content.decode()
    assert Ticket.objects.count() == 0


def test_a_file_name_with_a_path_is_refused_or_stripped_of_it(
    world: World, people: dict[str, Any]
) -> None:
    """The API and the command line get names as sent and refuse a path; the pages get them
    from Django's form parser, which has already cut the path off (the bare name is kept)."""
    from fapiao.api.keys import apikey_create

    key = apikey_create(taxpayer=world.taxpayer, name="ERP", role=Role.ISSUER, actor="root")
    system = Client(HTTP_HOST="localhost", HTTP_X_API_KEY=key.plaintext)
    for name in ("../../etc/passwd.png", "..\\..\\boot.png", "/etc/x.png"):
        body = {
            "category": "issuing",
            "subject": "x",
            "description": "y",
            "attachments": [{"name": name, "content_base64": base64.b64encode(png()).decode()}],
        }
        answer = system.post("/api/v1/tickets", json.dumps(body), content_type="application/json")
        assert answer.status_code == 400 and "不能含路径" in answer.json()["message"], name
    assert Ticket.objects.count() == 0
    parts = [
        f'--B\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in _form().items()
    ]
    parts.append(
        b'--B\r\nContent-Disposition: form-data; name="attachments"; '
        b'filename="../../etc/passwd.png"\r\nContent-Type: image/png\r\n\r\n'
        + png()
        + b"\r\n--B--\r\n"
    )
    answer = browser(people["clerk"]).post(
        "/help/tickets/new/", b"".join(parts), content_type="multipart/form-data; boundary=B"
    )
    assert answer.status_code == 302
    assert Ticket.objects.get().attachments.get().name == "passwd.png"


def test_only_the_filer_and_support_see_a_ticket_and_its_files(
    world: World, people: dict[str, Any]
) -> None:
    ticket = file_ticket(
        world, people["clerk"], uploads=[tickets.Upload("s.png", png(), len(png()))]
    )
    attachment = ticket.attachments.get()
    own = f"/help/tickets/{ticket.pk}/files/{attachment.pk}"
    mine = browser(people["clerk"]).get(own)
    assert mine.status_code == 200 and bytes(mine.content) == png()
    assert mine["Content-Disposition"].startswith("attachment")
    assert mine["X-Content-Type-Options"] == "nosniff"
    other = browser(people["other"])
    for address in (f"/help/tickets/{ticket.pk}/", own, f"/help/tickets/{ticket.pk}/messages"):
        assert other.get(address).status_code == 404, address
    assert other.post(f"/help/tickets/{ticket.pk}/do/reply", {"body": "x"}).status_code == 404
    agent = browser(people["agent"])
    assert agent.get(f"/support/tickets/{ticket.pk}/").status_code == 200
    assert agent.get(f"/support/tickets/{ticket.pk}/files/{attachment.pk}").status_code == 200
    assert browser(people["clerk"]).get(f"/support/tickets/{ticket.pk}/").status_code == 403
    assert AuditEvent.objects.filter(type="ticket.file_read").count() == 2


def _invoice(world: World) -> Any:
    draft = parse_draft(
        {
            "kind": "DIGITAL_SPECIAL",
            "buyer": SPECIAL_BUYER,
            "lines": [
                {
                    "name": "软件开发服务",
                    "tax_code": "3040201010000000000",
                    "rate": "6%",
                    "amount": "1000",
                }
            ],
        }
    )
    return invoice_issue(
        taxpayer=world.taxpayer, channel=world.digital, draft=draft, request_id=None, actor="clerk"
    )


def test_support_sees_an_invoice_only_while_its_grant_lasts(
    world: World, people: dict[str, Any]
) -> None:
    invoice = _invoice(world)
    ticket = file_ticket(world, people["clerk"])
    agent = browser(people["agent"])
    assert agent.get("/invoices/").status_code == 403  # support is no clerk
    assert agent.get(f"/invoices/{invoice.pk}/").status_code == 403
    assert agent.get(f"/support/tickets/{ticket.pk}/invoices/1/").status_code == 404
    with pytest.raises(tickets.TicketRefused, match="只有提交工单的用户"):
        grants.grant_invoice(
            ticket=ticket, user=people["other"], number=invoice.number, hours=2, actor="other"
        )
    with pytest.raises(tickets.TicketRefused, match="没有号码为"):
        grants.grant_invoice(
            ticket=ticket, user=people["clerk"], number="1", hours=2, actor="clerk"
        )
    clerk = browser(people["clerk"])
    clerk.post(f"/help/tickets/{ticket.pk}/do/grant", {"number": invoice.number, "hours": "2"})
    grant = ticket.grants.get()
    shown = agent.get(f"/support/tickets/{ticket.pk}/invoices/{grant.pk}/")
    assert shown.status_code == 200 and invoice.number in shown.content.decode()
    grant.expires_at = timezone.now() - timedelta(seconds=1)
    grant.save()
    assert agent.get(f"/support/tickets/{ticket.pk}/invoices/{grant.pk}/").status_code == 404
    clerk.post(f"/help/tickets/{ticket.pk}/do/grant", {"number": invoice.number, "hours": "2"})
    fresh = ticket.grants.filter(revoked_at=None, expires_at__gt=timezone.now()).get()
    clerk.post(f"/help/tickets/{ticket.pk}/do/revoke", {"grant": fresh.pk})
    assert agent.get(f"/support/tickets/{ticket.pk}/invoices/{fresh.pk}/").status_code == 404
    assert {"ticket.grant", "ticket.grant_used", "ticket.grant_revoked"} <= set(
        AuditEvent.objects.values_list("type", flat=True)
    )


def test_the_desk_pages_routing_and_article_editing(world: World, people: dict[str, Any]) -> None:
    ticket = file_ticket(world, people["clerk"])
    agent, lead = browser(people["agent"]), browser(people["lead"])
    desk = agent.get("/support/", {"who": "none"}).content.decode()
    assert f"/support/tickets/{ticket.pk}/" in desk
    agent.post(f"/support/tickets/{ticket.pk}/do/reply", {"body": "您好，请稍候"})
    agent.post(f"/support/tickets/{ticket.pk}/do/assign", {"assignee": "lead"})
    agent.post(f"/support/tickets/{ticket.pk}/do/status", {"status": "solved"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Status.SOLVED, people["lead"])
    assert agent.get("/support/routing/").status_code == 403  # the lead's page
    saved = lead.post("/support/routing/", {"category": "account", "assignees": ["agent"]})
    assert saved.status_code == 302
    refused = lead.post("/support/routing/", {"category": "account", "assignees": ["clerk"]})
    assert refused.status_code == 400 and "不是客服人员" in refused.content.decode()
    made = agent.post(
        "/help/manage/new/",
        {
            "slug": "new-guide",
            "topic": "faq",
            "title": "新指南",
            "body": "## 步骤\n\n1. 打开",
            "published": "1",
            "pages": "/reports/",
        },
    )
    assert made.status_code == 302
    agent.post(
        "/help/manage/new-guide/",
        {"slug": "new-guide", "topic": "faq", "title": "新指南2", "body": "改过", "published": "1"},
    )
    history = agent.get("/help/manage/new-guide/").content.decode()
    assert "/help/manage/new-guide/v1/" in history and "/help/manage/new-guide/v2/" in history
    assert "打开" in agent.get("/help/manage/new-guide/v1/").content.decode()
    bad = agent.post(
        "/help/manage/new/", {"slug": "Bad Slug", "topic": "faq", "title": "x", "body": "x"}
    )
    assert bad.status_code == 400 and "文章地址" in bad.content.decode()
    assert browser(people["clerk"]).get("/help/manage/").status_code == 403


def test_the_api_for_both_sides(world: World, people: dict[str, Any]) -> None:
    from fapiao.api.keys import apikey_create

    key = apikey_create(taxpayer=world.taxpayer, name="ERP", role=Role.ISSUER, actor="root")
    system = Client(HTTP_HOST="localhost", HTTP_X_API_KEY=key.plaintext)
    made = system.post(
        "/api/v1/tickets",
        json.dumps(
            {
                "category": "issuing",
                "subject": "接口开票报错",
                "description": "返回 409",
                "attachments": [
                    {
                        "name": "log.txt",
                        "content_base64": base64.b64encode("请求编号重复".encode()).decode(),
                    }
                ],
            }
        ),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    ticket_id = made.json()["id"]
    assert made.json()["messages"][0]["attachments"][0]["name"] == "log.txt"
    bad = system.post(
        "/api/v1/tickets",
        json.dumps(
            {
                "category": "issuing",
                "subject": "x",
                "description": "y",
                "attachments": [{"name": "a.png", "content_base64": "!!!"}],
            }
        ),
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["field"] == "attachments.0"
    assert [t["id"] for t in system.get("/api/v1/tickets").json()] == [ticket_id]
    other_key = apikey_create(taxpayer=world.taxpayer, name="网店", role=Role.ISSUER, actor="root")
    other = Client(HTTP_HOST="localhost", HTTP_X_API_KEY=other_key.plaintext)
    assert other.get(f"/api/v1/tickets/{ticket_id}").status_code == 404

    staff = Client(HTTP_HOST="localhost", enforce_csrf_checks=False)
    staff.force_login(people["agent"])
    queue = staff.get("/api/v1/support/tickets").json()
    assert [t["id"] for t in queue] == [ticket_id] and queue[0]["taxpayer"] == world.taxpayer.name
    answered = staff.post(
        f"/api/v1/support/tickets/{ticket_id}/replies",
        json.dumps({"text": "请换一个请求编号"}),
        content_type="application/json",
    )
    assert answered.status_code == 201
    assert system.get(f"/api/v1/tickets/{ticket_id}").json()["status"] == "awaiting_user"
    moved = staff.post(
        f"/api/v1/support/tickets/{ticket_id}/status",
        json.dumps({"status": "solved"}),
        content_type="application/json",
    )
    assert moved.json()["status"] == "solved"
    rated = system.post(
        f"/api/v1/tickets/{ticket_id}/rating",
        json.dumps({"rating": 5}),
        content_type="application/json",
    )
    assert rated.json()["rating"] == 5
    assert browser(people["clerk"]).get("/api/v1/support/tickets").status_code == 401
    found = system.get("/api/v1/help/articles", {"q": "忘记密码"}).json()
    assert found[0]["slug"] == "forgot-password"
    assert system.get("/api/v1/help/articles/forgot-password").json()["body"]


def test_the_command_line_for_both_sides(world: World, people: dict[str, Any], capsys: Any) -> None:
    call_command(
        "ticket",
        "file",
        "--user",
        "clerk",
        "--category",
        "account",
        "--subject",
        "无法登录",
        "--text",
        "提示账户被锁定",
    )
    ticket = Ticket.objects.get()
    call_command("ticket", "list", "--user", "agent")
    assert "无法登录" in capsys.readouterr().out
    call_command("ticket", "reply", str(ticket.pk), "--user", "agent", "--text", "已为您解锁")
    capsys.readouterr()
    call_command("ticket", "show", str(ticket.pk), "--user", "clerk", "--json")
    shown = json.loads(capsys.readouterr().out)
    assert [m["body"] for m in shown["messages"]] == ["提示账户被锁定", "已为您解锁"]
    assert shown["status"] == "awaiting_user"
    with pytest.raises(CommandError) as refused:
        call_command("ticket", "show", str(ticket.pk), "--user", "other")
    assert refused.value.returncode == 3  # another taxpayer's user: not found


def test_the_bell_tells_the_filer_that_support_answered(
    world: World, people: dict[str, Any]
) -> None:
    ticket = file_ticket(world, people["clerk"])
    clerk = browser(people["clerk"])
    assert "个工单等待您回复" not in clerk.get("/help/").content.decode()
    tickets.ticket_reply(
        ticket=ticket, user=people["agent"], actor="agent", body="请看", staff=True
    )
    assert "1 个工单等待您回复" in clerk.get("/help/").content.decode()
