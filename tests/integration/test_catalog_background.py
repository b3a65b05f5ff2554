"""Large catalog imports from the pages run as background work with progress; exports stream;
the result (or every refused row) is shown to the taxpayer that asked, and to no one else."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client

from fapiao.core.roles import Role
from fapiao.invoicing.accounts import role_grant, user_create
from fapiao.invoicing.catalog_files import BACKGROUND_BYTES, catalog_import
from fapiao.invoicing.models import Customer, Product
from fapiao.jobs.models import Job, JobStatus
from fapiao.jobs.services import job_run_due
from tests.integration.world import World, make_world

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Str0ng#Pass"


def _admin(world: World, name: str) -> Client:
    user = user_create(username=name, password=PASSWORD)
    role_grant(user=user, role=Role.ADMIN, taxpayer=world.taxpayer, actor="root")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _customers(count: int, *, bad_every: int = 0) -> io.BytesIO:
    lines = ["名称,地址,电话,电子邮箱"]
    for n in range(count):
        mail = "not-a-mail" if bad_every and n % bad_every == bad_every - 1 else f"c{n}@example.cn"
        lines.append(
            f"客户{n:06d}有限公司,北京市海淀区中关村大街{n}号,010-6234{n % 10000:04d},{mail}"
        )
    file = io.BytesIO("\n".join(lines).encode())
    file.name = "customers.csv"
    return file


def test_a_large_import_runs_in_the_background_with_its_result_on_a_page() -> None:
    world = make_world()
    admin = _admin(world, "boss")
    file = _customers(6000)
    assert len(file.getvalue()) > BACKGROUND_BYTES
    answer = admin.post("/settings/catalogs/customers/", {"file": file})
    assert answer.status_code == 302
    status = answer["Location"]
    job = Job.objects.get(kind="catalog.import")
    assert status == f"/settings/catalogs/customers/imports/{job.pk}/"
    waiting = admin.get(status).content.decode()
    assert 'http-equiv="refresh"' in waiting and "等待后台任务执行" in waiting
    assert Customer.objects.count() == 0
    assert job_run_due() == 1
    job.refresh_from_db()
    assert (job.status, job.progress, job.total) == (JobStatus.DONE, 6000, 6000)
    assert job.result == {"ok": True, "created": 6000, "updated": 0}
    done = admin.get(status).content.decode()
    assert 'id="import-done"' in done and "6000" in done and "refresh" not in done
    assert Customer.objects.filter(taxpayer=world.taxpayer).count() == 6000
    # another taxpayer's 管理员 sees nothing of it
    other = make_world(tax_id="9132020013590404XW", region="42", device_number="661807105161")
    assert _admin(other, "outsider").get(status).status_code == 404
    # the export streams every row back
    exported = b"".join(admin.get("/settings/catalogs/customers/export.csv").streaming_content)
    rows = exported.decode("utf-8-sig").splitlines()
    assert len(rows) == 6001 and rows[1].startswith("客户000000有限公司,")


def test_a_refused_background_import_lists_the_rows_and_imports_nothing() -> None:
    world = make_world()
    admin = _admin(world, "boss")
    admin.post("/settings/catalogs/customers/", {"file": _customers(6000, bad_every=1000)})
    job_run_due()
    job = Job.objects.get(kind="catalog.import")
    assert job.result is not None and job.result["ok"] is False and job.result["count"] == 6
    assert [e["row"] for e in job.result["errors"]] == [1001, 2001, 3001, 4001, 5001, 6001]
    page = admin.get(f"/settings/catalogs/customers/imports/{job.pk}/").content.decode()
    assert 'id="import-errors"' in page and "未导入任何记录" in page
    assert Customer.objects.count() == 0


def test_a_second_import_updates_in_bulk(settings: Any) -> None:
    world = make_world()
    header = "名称,税收分类编码,税率,规格型号,单位,单价\n"
    first = "".join(f"商品{n},3040201010000000000,6%,型号{n % 3},套,{n + 1}\n" for n in range(300))
    report = catalog_import(
        taxpayer=world.taxpayer, name="products", content=(header + first).encode(),
        filename="p.csv", actor="admin",
    )  # fmt: skip
    assert (report.created, report.updated) == (300, 0)
    second = first.replace(",套,", ",件,") + "新商品,3040201010000000000,6%,,件,9\n"
    report = catalog_import(
        taxpayer=world.taxpayer, name="products", content=(header + second).encode(),
        filename="p.csv", actor="admin",
    )  # fmt: skip
    assert (report.created, report.updated) == (1, 300)
    assert set(Product.objects.values_list("unit", flat=True)) == {"件"}
    assert Product.objects.count() == 301
