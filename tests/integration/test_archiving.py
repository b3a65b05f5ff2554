"""归档 packages: every invoice of a month with its file, record, index and checksums; the
四性检测 passes on the package as made and fails on one edited, stripped or carrying a script;
nothing within retention can be deleted."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from fapiao.archiving.checks import CHECKSUMS, package_check
from fapiao.archiving.models import ArchivePackage
from fapiao.archiving.services import ArchiveRefused, package_delete, package_make
from fapiao.core.roles import Role
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.services import invoice_issue
from fapiao.jobs.models import Job
from fapiao.security.models import AuditEvent
from tests.integration.issue_worker import DRAFT
from tests.integration.world import make_world

pytestmark = pytest.mark.django_db
PASSWORD = "Str0ng#Pass"


@pytest.fixture
def package() -> ArchivePackage:
    world = make_world(stock=20, first=1)
    for _ in range(4):
        invoice_issue(taxpayer=world.taxpayer, channel=world.device, draft=parse_draft(DRAFT),
                      request_id=None, actor="clerk")  # fmt: skip
    return package_make(taxpayer=world.taxpayer, month=timezone.localdate(), actor="财务 王芳")


def members(package: ArchivePackage) -> dict[str, bytes]:
    with zipfile.ZipFile(package.path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_month_package_holds_every_invoice_and_passes_its_four_checks(
    package: ArchivePackage,
) -> None:
    files = members(package)
    assert package.invoices == 4 and package.checked_ok
    assert Path(package.path).stat().st_mode & 0o077 == 0
    assert len([n for n in files if n.startswith("files/") and n.endswith(".ofd")]) == 4
    record = json.loads(files[next(n for n in files if n.startswith("records/"))])
    assert record["history"][0]["type"] == "invoice.issued"
    assert record["registry"]["checked"] is True
    metadata = json.loads(files["metadata.json"])
    assert metadata["count"] == 4 and list(metadata["ranges"].values()) == [[1, 4]]
    sheet = load_workbook(io.BytesIO(files["index.xlsx"])).active
    assert sheet.max_row == 5 and sheet.cell(1, 4).value == "发票号码"
    report = json.loads(files["report.json"])
    assert report["ok"] and {p["label"] for p in report["properties"].values()} == {
        "真实性", "完整性", "可用性", "安全性"
    }  # fmt: skip
    assert package_check(Path(package.path).read_bytes())["ok"]
    assert package.retain_until == date(timezone.localdate().year + 30, 12, 31)
    assert AuditEvent.objects.filter(type="archive.made", actor="财务 王芳").exists()


def test_an_edited_missing_or_active_file_fails_the_check(package: ArchivePackage) -> None:
    files = members(package)
    name = next(n for n in files if n.startswith("files/"))
    edited = dict(files)
    edited[name] = files[name].replace(b"<", b"< ", 1)
    report = package_check(rezip(edited))
    assert not report["properties"]["authenticity"]["ok"]
    assert any("已被修改" in p for p in report["properties"]["authenticity"]["problems"])

    record_name = next(n for n in files if n.startswith("records/"))
    forged = dict(files)
    record = json.loads(files[record_name])
    record["content"]["buyer_name"] = "另一家公司"
    forged[record_name] = json.dumps(record, ensure_ascii=False).encode()
    sums = files[CHECKSUMS].decode().splitlines()  # even with the checksums made again
    forged[CHECKSUMS] = "\n".join(
        (f"{hashlib.sha256(forged[record_name]).hexdigest()}  {record_name}"
         if line.endswith(record_name) else line) for line in sums
    ).encode()  # fmt: skip
    report = package_check(rezip(forged))
    assert any("摘要不符" in p for p in report["properties"]["authenticity"]["problems"])

    missing = {k: v for k, v in files.items() if k != name}
    report = package_check(rezip(missing))
    assert not report["properties"]["integrity"]["ok"]

    scripted = dict(files)
    scripted["files/extra.pdf"] = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction "
        b"<< /S /JavaScript /JS (app.alert(1)) >> >>\n"
    )
    scripted["run.exe"] = b"MZ"
    report = package_check(rezip(scripted))
    safety = report["properties"]["safety"]["problems"]
    assert any("run.exe" in p for p in safety) and any("extra.pdf" in p for p in safety)
    assert not report["ok"]


def test_nothing_within_retention_is_deleted(package: ArchivePackage) -> None:
    with pytest.raises(ArchiveRefused, match="期限内不能删除"):
        package_delete(package, actor="admin")
    assert Path(package.path).is_file() and ArchivePackage.objects.filter(pk=package.pk).exists()
    package_delete(package, actor="admin", today=package.retain_until + timedelta(days=1))
    assert not Path(package.path).exists() and not ArchivePackage.objects.exists()


def test_the_page_and_the_command_line(package: ArchivePackage, capsys: Any) -> None:
    admin = user_create(username="caiwu", password=PASSWORD)
    role_grant(user=admin, role=Role.FINANCE, taxpayer=package.taxpayer, actor="root")
    client = Client(HTTP_HOST="localhost")
    client.post("/accounts/login/", {"username": "caiwu", "password": PASSWORD})
    page = client.get("/archives/").content.decode()
    assert package.name in page and "四性检测" in page
    answer = client.get(f"/archives/{package.pk}/download")
    assert b"".join(answer.streaming_content) == Path(package.path).read_bytes()
    client.post("/archives/make", {"period": "2026-13"})
    assert "归档月份格式" in client.get("/archives/").content.decode()
    client.post("/archives/make", {"period": f"{timezone.localdate():%Y-%m}"})
    assert Job.objects.filter(kind="archive.make").count() == 1

    call_command("archive", "check", package.path)
    assert "真实性：通过" in capsys.readouterr().out
    with pytest.raises(Exception, match="期限内不能删除"):
        call_command("archive", "delete", str(package.pk))


def test_the_api_lists_reports_makes_and_downloads_only_its_own(package: ArchivePackage) -> None:
    from fapiao.api.keys import apikey_create

    key = apikey_create(taxpayer=package.taxpayer, name="erp", role=Role.FINANCE, actor="root")
    api = Client(HTTP_HOST="localhost", HTTP_X_API_KEY=key.plaintext)
    listed = api.get("/api/v1/archives").json()
    assert [p["name"] for p in listed] == [package.name] and listed[0]["checked_ok"] is True
    shown = api.get(f"/api/v1/archives/{package.pk}").json()
    assert shown["report"]["properties"]["integrity"]["ok"] is True
    file = api.get(f"/api/v1/archives/{package.pk}/file")
    assert b"".join(file.streaming_content) == Path(package.path).read_bytes()
    made = api.post("/api/v1/archives", {"period": "2026-11"}, content_type="application/json")
    assert made.status_code == 202 and Job.objects.filter(kind="archive.make").exists()
    bad = api.post("/api/v1/archives", {"period": "11/2026"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "period"

    other = make_world(
        tax_id="91420100MA4K5TQ3XG", region="42", device_number="661807105199", name="别家公司"
    )
    stranger = apikey_create(taxpayer=other.taxpayer, name="x", role=Role.ADMIN, actor="root")
    them = Client(HTTP_HOST="localhost", HTTP_X_API_KEY=stranger.plaintext)
    assert them.get("/api/v1/archives").json() == []
    assert them.get(f"/api/v1/archives/{package.pk}").status_code == 404
    assert them.get(f"/api/v1/archives/{package.pk}/file").status_code == 404
    clerk = apikey_create(taxpayer=package.taxpayer, name="c", role=Role.ISSUER, actor="root")
    assert (
        Client(HTTP_X_API_KEY=clerk.plaintext, HTTP_HOST="localhost")
        .get("/api/v1/archives")
        .status_code
        == 403
    )
