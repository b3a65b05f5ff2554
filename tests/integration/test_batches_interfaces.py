"""批量开具 through its interfaces: the REST API (multipart upload, confirm, status, files), the
command line (validate, issue with a progress bar, resume, result) and the pages (upload,
preview, confirm, downloads), each scoped to the caller's taxpayer and audited."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from fapiao.api.keys import apikey_create
from fapiao.batches.models import Batch, BatchStatus
from fapiao.core.roles import Role
from fapiao.core.tables import table_rows
from fapiao.domain.kinds import InvoiceKind
from fapiao.invoicing.models import Invoice
from fapiao.jobs.services import job_run_due
from fapiao.security.models import AuditEvent
from tests.integration.test_batches import as_csv, row
from tests.integration.world import make_world, signed_in

pytestmark = pytest.mark.django_db


def _rows(n: int, prefix: str = "R") -> bytes:
    return as_csv([row(f"{prefix}{i}") for i in range(n)])


def test_the_api_checks_confirms_reports_and_refuses_a_second_upload() -> None:
    world = make_world(credit=Decimal("100000.00"))
    other = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161")
    client = Client(HTTP_HOST="localhost")
    headers = {
        "HTTP_X_API_KEY": apikey_create(
            taxpayer=world.taxpayer, name="erp", role=Role.ISSUER, actor="admin"
        ).plaintext
    }
    content = _rows(3)
    posted = client.post(
        "/api/v1/batches",
        {"file": SimpleUploadedFile("orders.csv", content), "channel": "数电", "confirm": "true"},
        **headers,
    )
    assert posted.status_code == 201, posted.content
    body = posted.json()
    assert (body["status"], body["invoices"], body["error_count"]) == ("queued", 3, 0)
    again = client.post(
        "/api/v1/batches",
        {"file": SimpleUploadedFile("again.csv", content), "channel": "数电"},
        **headers,
    )
    assert again.status_code == 409
    assert again.json()["batch"] == str(body["id"])
    job_run_due()
    shown = client.get(f"/api/v1/batches/{body['id']}", **headers).json()
    assert (shown["status"], shown["issued"]) == ("done", 3)
    assert all(item["invoice"]["number"] for item in shown["items"])
    result = client.get(f"/api/v1/batches/{body['id']}/result", **headers)
    assert result.status_code == 200
    table = list(table_rows(result.content, "r.csv"))
    assert [line[-5] for line in table[1:]] == ["已开具"] * 3
    assert AuditEvent.objects.filter(type="export", payload__what="batch_result").exists()

    bad = client.post(
        "/api/v1/batches",
        {
            "file": SimpleUploadedFile("bad.csv", as_csv([row("B1", 税率="7%")])),
            "channel": "数电",
            "confirm": "true",
        },
        **headers,
    )
    assert bad.status_code == 201
    assert (bad.json()["status"], bad.json()["errors"][0]["column"]) == ("invalid", "税率")
    refused = client.post(f"/api/v1/batches/{bad.json()['id']}/confirm", **headers)
    assert refused.status_code == 400
    assert Invoice.objects.filter(request_id__startswith=f"batch-{bad.json()['id']}-").count() == 0

    stranger = {
        "HTTP_X_API_KEY": apikey_create(
            taxpayer=other.taxpayer, name="b", role=Role.ADMIN, actor="admin"
        ).plaintext
    }
    assert client.get(f"/api/v1/batches/{body['id']}", **stranger).status_code == 404
    assert client.get("/api/v1/batches", **stranger).json() == []
    auditor = {
        "HTTP_X_API_KEY": apikey_create(
            taxpayer=world.taxpayer, name="aud", role=Role.AUDITOR, actor="admin"
        ).plaintext
    }
    assert client.get("/api/v1/batches", **auditor).status_code == 403


def fapiao(*args: str) -> Any:
    out = io.StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_command_line_validates_issues_with_progress_and_saves_the_result(
    tmp_path: Path,
) -> None:
    world = make_world(stock=2)
    path = tmp_path / "明细.csv"
    path.write_bytes(as_csv([row(f"C{i}", 发票种类="电子普票") for i in range(4)]))
    checked = fapiao("batch", "validate", str(path), "--channel", "税务UKey 1")
    assert (checked["id"], checked["invoices"]) == (None, 4)
    assert not Batch.objects.exists()  # validate keeps nothing

    err = io.StringIO()
    with pytest.raises(CommandError) as stopped:
        call_command(
            "batch", "issue", str(path), "--channel", "税务UKey 1", stderr=err, stdout=io.StringIO()
        )
    assert stopped.value.returncode == 4
    assert "已暂停：已开具2张，共4张" in str(stopped.value)
    assert "2/4" in err.getvalue()  # the progress bar
    batch = Batch.objects.get()
    assert batch.status == BatchStatus.STOPPED

    bad = tmp_path / "bad.csv"
    bad.write_bytes(as_csv([row("E1", 金额="abc")]))
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(
            "batch", "validate", str(bad), "--channel", "数电", stderr=err, stdout=io.StringIO()
        )
    assert refused.value.returncode == 4
    assert "第2行 金额" in err.getvalue()
    with pytest.raises(CommandError) as missing:
        call_command("batch", "show", "999", stdout=io.StringIO())
    assert missing.value.returncode == 3

    from fapiao.invoicing.taxpayers import stock_receive

    stock_receive(
        channel=world.device,
        kind=InvoiceKind.VAT_ORDINARY_ELECTRONIC,
        code="032002600111",
        first=7001,
        last=7010,
        received_from="领购",
        actor="admin",
    )
    call_command("batch", "resume", str(batch.pk), stdout=io.StringIO(), stderr=io.StringIO())
    batch.refresh_from_db()
    assert (batch.status, batch.issued) == (BatchStatus.DONE, 4)
    out = tmp_path / "invoices.zip"
    fapiao("batch", "result", str(batch.pk), "--out", str(out), "--zip")
    assert sum(n.endswith(".pdf") for n in zipfile.ZipFile(out).namelist()) == 4


def test_the_pages_upload_preview_confirm_and_download() -> None:
    world = make_world(credit=Decimal("100000.00"))
    clerk = signed_in(world, Role.ISSUER, "kaipiao")
    page = clerk.get("/batches/")
    assert page.status_code == 200 and "下载模板" in page.content.decode()
    template = clerk.get("/batches/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    posted = clerk.post(
        "/batches/",
        {
            "file": SimpleUploadedFile("p.csv", _rows(2, "P")),
            "channel": str(world.digital.pk),
            "split": "1",
        },
    )
    batch = Batch.objects.get()
    assert posted.status_code == 302 and posted["Location"] == f"/batches/{batch.pk}/"
    preview = clerk.get(f"/batches/{batch.pk}/").content.decode()
    assert "确认开具" in preview and "212.00" in preview  # 2 × 106.00
    again = clerk.post(
        "/batches/",
        {"file": SimpleUploadedFile("p2.csv", _rows(2, "P")), "channel": str(world.digital.pk)},
    ).content.decode()
    assert "不会重复开具" in again and f"/batches/{batch.pk}/" in again
    clerk.post(f"/batches/{batch.pk}/", {"action": "confirm"})
    running = clerk.get(f"/batches/{batch.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in running  # the progress asks for itself while it runs
    job_run_due()
    done = clerk.get(f"/batches/{batch.pk}/").content.decode()
    assert "下载开具结果" in done and 'hx-trigger="every 2s"' not in done
    zipped = clerk.get(f"/batches/{batch.pk}/zip")
    assert zipped.status_code == 200 and zipped["Content-Type"] == "application/zip"
    assert clerk.get(f"/batches/{batch.pk}/nothing").status_code == 404

    other = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161")
    stranger = signed_in(other, Role.ADMIN, "other-admin")
    assert stranger.get(f"/batches/{batch.pk}/").status_code == 404
    assert stranger.get(f"/batches/{batch.pk}/result").status_code == 404
    auditor = signed_in(world, Role.AUDITOR, "shenji")
    assert auditor.get("/batches/").status_code == 403
