"""风险预警: each rule fires on a scenario made through the real services (sign-ins, issuing,
reds, grants, exports, uploads, a tampered invoice), raises one alert per incident counting its
repeats, is told to the taxpayer's 管理员 and 审计员 (a critical one through quiet hours), and is
handled: 确认, 解决 with a note, 忽略."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.utils import timezone

from fapiao.api.keys import apikey_create
from fapiao.core.roles import Role
from fapiao.domain.errors import DomainError
from fapiao.domain.lifecycle import RedReason
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.models import Invoice
from fapiao.invoicing.red_invoices import invoice_issue_red
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.uploads import upload_flush
from fapiao.jobs.services import job_run_due
from fapiao.notices.models import Notification
from fapiao.risk.models import Alert
from fapiao.risk.services import alert_move, risk_evaluate, rule_set
from fapiao.security.audit import audit_append
from fapiao.security.models import AuditEvent
from fapiao.security.preferences import preferences_save
from fapiao.security.services import login_password
from tests.integration.test_api import Api
from tests.integration.test_delivery import smtp  # noqa: F401 - the real SMTP server fixture
from tests.integration.test_notices import RefusingAuthority, subject
from tests.integration.world import World, make_world

pytestmark = pytest.mark.django_db
LINE = {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "100"}
PASSWORD = "Str0ng#Pass"


@pytest.fixture
def world() -> World:
    return make_world(stock=50, single_limit=Decimal("10000"), credit=None,
                      lock_date=timezone.localdate() + timedelta(days=60))  # fmt: skip


@pytest.fixture
def boss(world: World) -> Any:
    user = user_create(username="boss", password=PASSWORD, email="boss@example.cn")
    role_grant(user=user, role=Role.ADMIN, taxpayer=world.taxpayer, actor="root")
    return user


def base() -> datetime:
    """Yesterday at 10:00 in Shanghai: a working hour, whatever the clock says now."""
    return (timezone.localtime() - timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )


def issue(world: World, kind: str = "DIGITAL_ORDINARY", *, amount: str = "100",
          buyer: str = "武汉某某有限公司", when: datetime | None = None) -> Invoice:  # fmt: skip
    when = when or base()
    channel = world.digital if kind.startswith("DIGITAL") else world.device
    draft = {"kind": kind, "buyer": {"name": buyer}, "lines": [{**LINE, "amount": amount}]}
    return invoice_issue(taxpayer=world.taxpayer, channel=channel, draft=parse_draft(draft),
                         request_id=None, actor="clerk", issued_at=when, now=when)  # fmt: skip


def fired(rule: str) -> list[Alert]:
    return list(Alert.objects.filter(rule=rule).order_by("pk"))


def sign_in(name: str, password: str, ip: str, at: datetime) -> None:
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=ip)
    with contextlib.suppress(DomainError):  # a refusal is what some scenarios make
        login_password(name, password, request=request, now=at)


def test_failed_sign_ins_raise_one_alert_that_counts_its_repeats(world: World, boss: Any) -> None:
    now = base()
    for n in range(12):  # five lock the account; the tries while locked count as well
        sign_in("boss", "wrong", "198.51.100.7", now - timedelta(minutes=10, seconds=-n))
    assert risk_evaluate(now=now) and len(fired("login_failures_name")) == 1
    alert = fired("login_failures_name")[0]
    assert (alert.taxpayer_id, alert.count, alert.severity) == (world.taxpayer.pk, 12, "warning")
    assert "账户“boss”在15分钟内登录失败12次" in alert.explanation
    assert AuditEvent.objects.filter(type="login.refused_locked", actor="boss").count() == 7
    told = Notification.objects.get(user=boss, kind="risk")
    assert told.subject == "风险预警：同一账户连续登录失败" and told.link == f"/risk/{alert.pk}/"
    for n in range(3):
        sign_in("boss", "wrong", "198.51.100.7", now + timedelta(seconds=n))
    risk_evaluate(now=now + timedelta(minutes=1))
    alert.refresh_from_db()
    assert len(fired("login_failures_name")) == 1 and alert.count == 15  # the same incident
    assert Notification.objects.filter(user=boss, kind="risk").count() == 1  # told once
    # many names from one address: an alert of no taxpayer, critical
    for n in range(20):
        sign_in(f"guess{n}", "x", "203.0.113.9", now + timedelta(seconds=n))
    risk_evaluate(now=now + timedelta(minutes=2))
    (address,) = fired("login_failures_address")
    assert (address.taxpayer_id, address.key, address.severity) == (None, "203.0.113.9", "critical")


def test_a_sign_in_from_a_new_address_and_at_an_unusual_hour(world: World, boss: Any) -> None:
    rule_set(taxpayer=world.taxpayer, rule="login_unusual_hour", values={"history": "3"},
             enabled=True, actor="boss")  # fmt: skip
    day = base()
    for n in range(3):
        sign_in("boss", PASSWORD, "10.0.0.1", day - timedelta(days=3 - n))
    risk_evaluate(now=day - timedelta(hours=1))
    assert fired("login_new_address") == [] and fired("login_unusual_hour") == []
    night = (day - timedelta(hours=7)).replace(hour=3)
    sign_in("boss", PASSWORD, "10.0.0.9", night)
    risk_evaluate(now=night + timedelta(minutes=5), since=night - timedelta(minutes=5))
    (new,) = fired("login_new_address")
    (odd,) = fired("login_unusual_hour")
    assert "10.0.0.9" in new.explanation and "此前从未在0点至6点登录" in odd.explanation


def test_issuing_rules(world: World, boss: Any) -> None:
    now = base() + timedelta(hours=2)
    late = (base() - timedelta(days=1)).replace(hour=23, minute=10)
    issue(world, when=late)
    for n in range(3):  # 拆分开票: three just under the 10,000 limit to one buyer
        issue(world, "VAT_ORDINARY_ELECTRONIC", amount="9500", buyer="南京某某商贸有限公司",
              when=base() + timedelta(minutes=n))  # fmt: skip
    issue(world, amount="150000", buyer="从未开过票的新客户有限公司")
    risk_evaluate(now=now + timedelta(minutes=1), since=late - timedelta(minutes=1))
    (after,) = fired("after_hours_issuing")
    assert "在7点至21点以外开具了1张发票" in after.explanation
    (split,) = fired("split_invoicing")
    assert split.count == 3 and "南京某某商贸有限公司" in split.explanation
    (large,) = fired("large_new_buyer")
    assert "从未开过票的新客户有限公司" in large.explanation
    assert len(large.links) == 1 and large.links[0][1].startswith("/invoices/")


def test_a_day_of_reds_far_above_the_baseline(world: World, boss: Any) -> None:
    rule_set(taxpayer=world.taxpayer, rule="void_red_spike", values={"count": "3"},
             enabled=True, actor="boss")  # fmt: skip
    blues = [issue(world, "VAT_ORDINARY_ELECTRONIC") for _ in range(3)]
    later = base() + timedelta(hours=1)
    for blue in blues[:2]:
        invoice_issue_red(blue=blue, actor="clerk", reason=RedReason.RETURN, now=later)
    risk_evaluate(now=later)
    assert fired("void_red_spike") == []  # two: below the chosen count
    invoice_issue_red(blue=blues[2], actor="clerk", reason=RedReason.RETURN, now=later)
    risk_evaluate(now=later + timedelta(seconds=1))
    (spike,) = fired("void_red_spike")
    assert spike.count == 3 and "近30日日均0.0张" in spike.explanation


def test_stock_credit_lock_date_and_uploads() -> None:
    world = make_world(
        stock=3, credit=Decimal("1000"), lock_date=timezone.localdate() + timedelta(days=2)
    )
    issue(world, amount="950")
    assert upload_flush(client=RefusingAuthority()).refused == 1
    issue(world, amount="1")
    # a day after the issues, and after the refusal answered at the real clock's time
    later = max(base() + timedelta(hours=25), timezone.now() + timedelta(minutes=1))
    risk_evaluate(now=later, since=base())
    assert len(fired("stock_low")) == 4  # each device kind has 3 left
    assert "剩余" in fired("credit_low")[0].explanation
    assert len(fired("lock_date_near")) == 1  # one device, one date
    assert [a.count for a in fired("uploads_refused")] == [1]
    (waiting,) = fired("uploads_waiting")
    assert "等待超过24小时" in waiting.explanation


def test_refused_uploads_within_the_window(world: World, boss: Any) -> None:
    issue(world, when=timezone.now())
    assert upload_flush(client=RefusingAuthority()).refused == 1
    risk_evaluate(now=timezone.now() + timedelta(minutes=1))
    (refused,) = fired("uploads_refused")
    assert refused.count == 1 and refused.links == [["上传与对账", "/sync/"]]


def test_a_tampered_invoice_is_a_critical_alert_sent_through_quiet_hours(
    world: World, boss: Any
) -> None:
    preferences_save(boss, quiet_start=time(0), quiet_end=time(23, 59))
    invoice = issue(world)
    Invoice.objects.filter(pk=invoice.pk).update(remarks="改过的备注")
    risk_evaluate(now=base() + timedelta(hours=1))
    (ledger,) = fired("ledger_problem")
    assert ledger.severity == "critical" and "发票内容被修改" in ledger.explanation
    told = Notification.objects.get(user=boss, kind="risk", subject__contains="历史记录")
    delivery = told.deliveries.get()
    assert delivery.due_at == told.created_at  # not held for the quiet hours


def test_granting_admin_and_a_bulk_export(world: World, boss: Any) -> None:
    other = user_create(username="newboss", password=PASSWORD)
    role_grant(user=other, role=Role.ADMIN, taxpayer=world.taxpayer, actor="boss")
    audit_append("export", actor="boss", taxpayer=world.taxpayer,
                 payload={"what": "invoices", "rows": 8000, "query": ""})  # fmt: skip
    risk_evaluate(now=timezone.now() + timedelta(seconds=1))
    # the fixture's grant to boss, and this one
    assert [a.explanation.split("授予")[1] for a in fired("admin_granted")] == [
        "boss管理员权限",
        "newboss管理员权限",
    ]
    (export,) = fired("bulk_export")
    assert export.count == 8000


def test_alerts_are_handled_and_a_new_incident_is_a_new_alert(world: World, boss: Any) -> None:
    now = base()
    for n in range(10):
        sign_in("boss", "wrong", "198.51.100.7", now - timedelta(seconds=n))
    (alert,) = risk_evaluate(now=now)
    alert = alert_move(alert=alert, to="acknowledged", actor="boss")
    with pytest.raises(DomainError) as refused:
        alert_move(alert=alert, to="resolved", actor="boss", note=" ")
    assert refused.value.field == "note"
    alert = alert_move(alert=alert, to="resolved", actor="boss", note="本人忘记密码，已重置")
    with pytest.raises(DomainError, match="不能改为"):
        alert_move(alert=alert, to="dismissed", actor="boss")
    risk_evaluate(now=now + timedelta(seconds=30))
    assert [a.status for a in fired("login_failures_name")] == ["resolved", "open"]
    # the rule turned off for the taxpayer raises nothing more
    rule_set(taxpayer=world.taxpayer, rule="login_failures_name", values={}, enabled=False,
             actor="boss")  # fmt: skip
    Alert.objects.all().delete()
    risk_evaluate(now=now + timedelta(seconds=40))
    assert fired("login_failures_name") == []
    with pytest.raises(DomainError) as bad:
        rule_set(taxpayer=world.taxpayer, rule="split_invoicing", values={"ratio": "-1"},
                 enabled=True, actor="boss")  # fmt: skip
    assert bad.value.field == "ratio"


def test_the_page_lists_filters_and_handles_alerts(world: World, boss: Any) -> None:
    now = base()
    for n in range(10):
        sign_in("boss", "wrong", "198.51.100.7", now - timedelta(seconds=n))
    (alert,) = risk_evaluate(now=now)
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(boss)
    page = browser.get("/risk/").content.decode()
    assert "同一账户连续登录失败" in page and 'id="risk-trend"' in page
    assert f'data-alert="{alert.pk}"' in page
    assert "data-alert=" not in browser.get("/risk/?status=resolved").content.decode()
    detail = browser.get(f"/risk/{alert.pk}/").content.decode()
    assert "登录失败10次" in detail
    refused = browser.post(f"/risk/{alert.pk}/", {"status": "resolved", "note": ""})
    assert "解决预警须填写处理说明" in refused.content.decode()
    done = browser.post(f"/risk/{alert.pk}/", {"status": "resolved", "note": "已核实"})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.handled_by, alert.note) == ("resolved", "boss", "已核实")
    saved = browser.post("/risk/rules/", {"rule": "split_invoicing", "enabled": "1",
                                          "count": "5", "ratio": "0.95"})  # fmt: skip
    assert saved.status_code == 302
    assert 'value="0.95"' in browser.get("/risk/rules/").content.decode()
    # another taxpayer's user sees none of it
    stranger = make_world(tax_id="9132020013590404XW", name="另一家公司", region="42",
                          device_number="661807105161")  # fmt: skip
    outsider = user_create(username="outsider", password=PASSWORD)
    role_grant(user=outsider, role=Role.ADMIN, taxpayer=stranger.taxpayer, actor="root")
    other = Client(HTTP_HOST="localhost")
    other.force_login(outsider)
    assert "data-alert=" not in other.get("/risk/").content.decode()
    assert other.get(f"/risk/{alert.pk}/").status_code == 404


def test_the_command_and_the_api_list_and_handle_alerts(
    world: World, boss: Any, capsys: Any
) -> None:
    now = base()
    for n in range(10):
        sign_in("boss", "wrong", "198.51.100.7", now - timedelta(seconds=n))
    (alert,) = risk_evaluate(now=now)
    call_command("risk", "list", "--json")
    assert [a["id"] for a in json.loads(capsys.readouterr().out)["alerts"]] == [alert.pk]
    with pytest.raises(CommandError) as refused:
        call_command("risk", "resolve", str(alert.pk))
    assert refused.value.returncode == 4 and "处理说明" in str(refused.value)
    call_command("risk", "ack", str(alert.pk))
    assert f"预警#{alert.pk}：已确认" in capsys.readouterr().out
    api = Api(apikey_create(taxpayer=world.taxpayer, name="soc", role=Role.ADMIN,
                            actor="boss").plaintext)  # fmt: skip
    assert [a["status"] for a in api.get("/risk/alerts").json()] == ["acknowledged"]
    moved = api.post(f"/risk/alerts/{alert.pk}/status", {"status": "resolved", "note": "已核实"})
    assert moved.status_code == 200 and moved.json()["handled_by"]
    assert api.get("/risk/alerts").json() == []
    auditor = Api(apikey_create(taxpayer=world.taxpayer, name="ro", role=Role.AUDITOR,
                                actor="boss").plaintext)  # fmt: skip
    assert auditor.get(f"/risk/alerts/{alert.pk}").json()["note"] == "已核实"
    assert (
        auditor.post(f"/risk/alerts/{alert.pk}/status", {"status": "dismissed"}).status_code == 403
    )


def test_an_api_key_used_from_a_new_address(world: World, boss: Any) -> None:
    plaintext = apikey_create(taxpayer=world.taxpayer, name="erp", role=Role.ADMIN,
                              actor="boss").plaintext  # fmt: skip
    api = Api(plaintext)
    for _ in range(2):  # the key's first address is its baseline, a repeat is nothing new
        assert api.get("/risk/alerts").status_code == 200
    start = timezone.now()
    risk_evaluate(now=start)
    assert fired("apikey_new_address") == []
    elsewhere = Client(HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.50")
    for _ in range(2):
        assert elsewhere.get("/api/v1/risk/alerts", HTTP_X_API_KEY=plaintext).status_code == 200
    risk_evaluate(now=timezone.now(), since=start)
    (alert,) = fired("apikey_new_address")
    assert alert.taxpayer_id == world.taxpayer.pk and alert.severity == "warning"
    assert "从此前未用过的地址203.0.113.50调用，此前已从1个地址调用" in alert.explanation
    (event,) = AuditEvent.objects.filter(type="apikey.new_address")
    assert event.ip == "203.0.113.50"


def test_refusals_for_a_buyer_tax_id_failing_its_check_digit(world: World, boss: Any) -> None:
    buyer = {"name": "某某公司", "tax_id": "913202001359040400"}
    bad = {"kind": "DIGITAL_ORDINARY", "buyer": buyer, "lines": [LINE]}
    for n in range(3):
        with pytest.raises(DomainError, match="校验位不正确"):
            invoice_issue(taxpayer=world.taxpayer, channel=world.digital, draft=parse_draft(bad),
                          request_id=f"bad-{n}", actor="clerk")  # fmt: skip
        if n == 1:  # two refusals: below the count
            risk_evaluate(now=timezone.now())
            assert fired("buyer_id_invalid") == []
    # a refusal for another reason (the shape, not the check digit) is not counted
    shape = {**bad, "buyer": {"name": "某某公司", "tax_id": "ABC"}}
    with pytest.raises(DomainError, match="应为15、17、18或20位"):
        invoice_issue(taxpayer=world.taxpayer, channel=world.digital, draft=parse_draft(shape),
                      request_id=None, actor="clerk")  # fmt: skip
    risk_evaluate(now=timezone.now())
    (alert,) = fired("buyer_id_invalid")
    assert alert.count == 3 and "913202001359040400" in alert.explanation
    assert not Invoice.objects.filter(buyer__tax_id="913202001359040400").exists()


def test_in_quiet_hours_a_critical_alert_is_emailed_and_an_ordinary_one_waits(
    world: World,
    boss: Any,
    smtp: Any,  # noqa: F811
) -> None:
    _, inbox = smtp
    preferences_save(boss, quiet_start=time(22), quiet_end=time(8))
    night = base().replace(hour=23)
    invoice = issue(world)
    Invoice.objects.filter(pk=invoice.pk).update(remarks="改过的备注")  # 严重: the history check
    for n in range(10):  # 警告: failed sign-ins
        sign_in("boss", "wrong", "198.51.100.7", night - timedelta(minutes=5, seconds=-n))
    raised = risk_evaluate(now=night, since=night - timedelta(hours=1))
    assert sorted(a.severity for a in raised) == ["critical", "warning"]
    assert job_run_due(now=night) >= 1
    assert [subject(m) for m in inbox.messages] == ["风险预警：历史记录校验发现问题"]
    assert job_run_due(now=night + timedelta(hours=8, minutes=59)) == 0  # 07:59: still quiet
    job_run_due(now=night + timedelta(hours=9))
    assert [subject(m) for m in inbox.messages][1:] == ["风险预警：同一账户连续登录失败"]
