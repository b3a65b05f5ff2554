"""The ``fapiao`` command line: the demo, issuing from a file, queries, void, red, ledger."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from fapiao.closing.models import Clearing, Declaration
from fapiao.core.clock import local_date
from fapiao.invoicing.demo import DEMO_TAX_ID, USERS
from fapiao.invoicing.models import Invoice, Membership, Taxpayer
from tests.integration.world import database_url, make_world

pytestmark = pytest.mark.django_db(transaction=True)


def fapiao(*args: str) -> Any:
    """Run a command in-process with --json and return its parsed output."""
    out = io.StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def refused(*args: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(*args, "--json", stdout=out)
    return caught.value.returncode, json.loads(out.getvalue())


def test_demo_loads_once_with_every_role() -> None:
    first = fapiao("demo", "--no-history")
    again = fapiao("demo", "--no-history")
    assert (first["created"], again["created"]) == (True, False)
    assert Taxpayer.objects.filter(tax_id=DEMO_TAX_ID).count() == 1
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {role.value for _, role, _ in USERS}
    assert [u["username"] for u in first["users"]] == [u for u, _, _ in USERS]
    channels = fapiao("channel", "list")
    device, digital = channels
    assert device["stock"]["VAT_SPECIAL_PAPER"] == 500
    assert digital["credit_left"] is not None
    assert Invoice.objects.count() == 3
    assert fapiao("ledger", "verify")["ok"] is True


def test_issue_list_show_void_and_red_from_the_command_line(tmp_path: Path) -> None:
    fapiao("demo", "--no-history")
    draft = {
        "kind": "VAT_ORDINARY_PAPER",
        "buyer": {"name": "张伟", "individual": True},
        "lines": [
            {"name": "住宿费", "tax_code": "3070402000000000000", "rate": "6%",
             "quantity": "2", "unit_price": "380"},
        ],
        "drawer": "王芳",
        "mode": "inclusive",
    }  # fmt: skip
    path = tmp_path / "draft.json"
    path.write_text(json.dumps(draft, ensure_ascii=False), "utf-8")
    issued = fapiao("issue", "--file", str(path), "--channel", "税务UKey 1号", "--request-id", "x1")
    assert (issued["total"], issued["total_in_words"]) == ("760.00", "柒佰陆拾圆整")
    assert issued["signature"]["algorithm"] == "ed25519"
    device_id = str(fapiao("channel", "list")[0]["id"])
    replay = fapiao("issue", "--file", str(path), "--channel", device_id, "--request-id", "x1")
    assert replay["id"] == issued["id"]
    ident = issued["code"] + issued["number"]
    assert fapiao("show", ident)["lines"][0]["name"] == "*住宿服务*住宿费"
    assert [i["number"] for i in fapiao("list", "--buyer", "张伟")] == [issued["number"]]
    assert fapiao("list", "--item", "住宿", "--min", "700", "--max", "800")[0]["id"] == issued["id"]
    assert fapiao("void", ident, "--reason", "重复开具")["status"] == "voided"
    code, error = refused("void", ident)
    assert (code, error["code"], error["field"]) == (4, "void_refused", "status")
    assert fapiao("list", "--status", "voided")[0]["id"] == issued["id"]

    special = Invoice.objects.get(kind="DIGITAL_SPECIAL")
    code, error = refused("red", "issue", special.number, "--reason", "销货退回")
    assert (code, error["field"]) == (4, "form")
    form = fapiao(
        "red", "form", special.number, "--reason", "销售折让", "--line", "1:amount=1000",
        "--buyer-booked",
    )  # fmt: skip
    assert form["status"] == "pending"
    assert fapiao("red", "confirm", form["number"], "--party", "buyer")["status"] == "confirmed"
    red = fapiao("red", "issue", special.number, "--form", form["number"])
    assert (red["red"], red["total"]) == (True, "-1060.00")
    plain = Invoice.objects.get(kind="VAT_ORDINARY_ELECTRONIC")
    assert fapiao("red", "issue", plain.code + plain.number, "--reason", "开票有误")["total"] == (
        f"-{plain.total}"
    )
    code, error = refused("show", "99999999")
    assert (code, error["code"]) == (3, "not_found")
    assert fapiao("ledger", "verify")["ok"] is True


def test_catalog_commands(tmp_path: Path) -> None:
    fapiao("demo", "--no-history")
    added = fapiao("customer", "add", "name=新客户有限公司", "email=buyer@example.cn")
    assert added["email"] == "buyer@example.cn"
    code, error = refused("product", "add", "name=坏商品", "tax_code=123", "rate=6%")
    assert (code, error["field"]) == (4, "tax_code")
    exported = tmp_path / "customers.xlsx"
    fapiao("customer", "export", str(exported))
    report = fapiao("customer", "import", str(exported))
    assert (report["created"], report["updated"]) == (0, 5)
    assert len(fapiao("customer", "list")) == 5


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fapiao", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_exit_codes_seen_by_scripts() -> None:
    env = {**os.environ, "FAPIAO_DATABASE_URL": database_url()}
    assert _run("demo", "--no-history", env=env).returncode == 0
    assert _run("show", "00000000", env=env).returncode == 3
    usage = _run("list", "--status", "nonsense", env=env)
    assert usage.returncode == 2
    assert _run("ledger", "verify", env=env).returncode == 0
    Invoice.objects.filter(kind="DIGITAL_ORDINARY").update(total="1.00")
    verify = _run("ledger", "verify", "--json", env=env)
    assert verify.returncode == 5
    assert json.loads(verify.stdout)["problems"][0]["what"] == "发票内容被修改"


def test_authority_commands_stock_credit_upload_reconcile_verify(tmp_path: Any) -> None:
    fapiao("demo", "--no-history")
    tax_id = "91420100MA4K5TQ3XG"
    device = fapiao("channel", "add-device", "--name", "UKey 2", "--number", "661900000002",
                    "--device-kind", "ukey")  # fmt: skip
    granted = fapiao("channel", "stock-request", "--channel", str(device["id"]),
                     "--kind", "VAT_ORDINARY_PAPER", "--count", "25")  # fmt: skip
    assert granted["stock"] == {"VAT_ORDINARY_PAPER": 25}
    code, answer = refused("channel", "credit-request", "--channel", str(device["id"]))
    assert code == 4 and "只有数电渠道" in answer["message"]
    fapiao("authority", "credit", "--tax-id", tax_id, "--name", "演示", "--amount", "123456.00")
    digital = next(c for c in fapiao("channel", "list") if c["type"] == "digital")
    assert (
        fapiao("channel", "credit-request", "--channel", str(digital["id"]))["monthly_credit"]
        == "123456.00"
    )

    assert fapiao("upload", "status")["waiting"] == 3  # the demo's invoices
    sent = fapiao("upload")
    assert (sent["sent"], sent["accepted"]) == (3, 3)
    assert fapiao("reconcile") == {"ok": True, "disagreements": [], "resent": 0}

    invoice = next(i for i in fapiao("list") if i["code"])
    assert fapiao("verify", "--qr", invoice["qr"])["outcome"] == "一致"
    code, answer = refused("verify", "--code", invoice["code"], "--number", "00000099",
                           "--date", invoice["issued_on"], "--check", "123456")  # fmt: skip
    assert code == 5 and answer["outcome"] == "查无此票"


def test_a_fault_of_ours_reaches_the_caller_as_a_sentence_and_the_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command that breaks inside (here the report's query fails as a lost database would)
    prints one Chinese sentence and exits 70; the traceback goes to var/log/errors.log."""
    world = make_world()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("database connection lost")

    monkeypatch.setattr("fapiao.cli.management.commands.report.report_of", broken)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("report", "monthly", "--taxpayer", world.taxpayer.tax_id, stdout=out,
                     stderr=err)  # fmt: skip
    assert caught.value.returncode == 70
    assert "程序内部错误" in str(caught.value) and "Traceback" not in str(caught.value)
    handler = logging.getLogger("fapiao.cli").handlers[0]
    handler.flush()
    logged = Path(handler.baseFilename).read_text("utf-8")  # type: ignore[attr-defined]
    assert "database connection lost" in logged and "Traceback" in logged


def test_demo_gives_a_year_of_history_closed_month_by_month(tmp_path: Path) -> None:
    fapiao("demo")
    taxpayer = Taxpayer.objects.get(tax_id=DEMO_TAX_ID)
    today = local_date(timezone.now())
    invoices = Invoice.objects.filter(taxpayer=taxpayer)
    assert invoices.count() > 2000
    months = {(i.year, i.month) for i in invoices.dates("issued_on", "month")}
    assert len(months) == 13  # the twelve months before this one, and today's few
    kinds = set(invoices.values_list("kind", flat=True))
    assert {"DIGITAL_ORDINARY", "DIGITAL_SPECIAL", "VAT_ORDINARY_PAPER"} <= kinds
    assert invoices.filter(status="voided").exists() and invoices.filter(red=True).exists()
    declared = Declaration.objects.filter(taxpayer=taxpayer)
    cleared = Clearing.objects.filter(taxpayer=taxpayer, status="approved")
    assert declared.count() == cleared.count() == 12
    assert all(d.comparison_ok for d in declared)
    last = max(d.period_start for d in declared)
    month_before = today.replace(day=1) - timedelta(days=1)
    assert (last.year, last.month) == (month_before.year, month_before.month)
    assert all(c.decided_at is None or c.decided_at <= timezone.now() for c in cleared)
    assert fapiao("ledger", "verify")["ok"] is True
    annual = fapiao("report", "range", "--from", (today - timedelta(days=365)).isoformat(),
                    "--to", today.isoformat())  # fmt: skip
    assert len(annual["taxes"]) >= 12 and annual["taxes"][0]["declared"] is True
    # issuing goes on today: the device is not locked by the history's closes
    draft = {"kind": "VAT_ORDINARY_PAPER", "buyer": {"name": "张伟", "individual": True},
             "lines": [{"name": "住宿费", "tax_code": "3070402000000000000", "rate": "6%",
                        "amount": "380"}]}  # fmt: skip
    path = tmp_path / "draft.json"
    path.write_text(json.dumps(draft, ensure_ascii=False), "utf-8")
    assert fapiao("issue", "--file", str(path), "--channel", "税务UKey 1号")["status"] == "issued"
