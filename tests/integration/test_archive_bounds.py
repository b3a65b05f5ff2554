"""Files that unpack to far more than they weigh (ZIP bombs), XML with entity declarations and
oversized requests are refused with a Chinese message before they take memory or time: on the
public 查验 page, `fapiao verify --file` and the catalog import."""

from __future__ import annotations

import io
import resource
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from fapiao.core.archives import INVOICE, ArchiveRefused, BoundedZip, Limits
from fapiao.documents.digital_xml import parse_xml
from fapiao.invoicing.catalog_files import catalog_import
from fapiao.invoicing.models import Customer
from tests.integration.world import make_world

pytestmark = pytest.mark.django_db
MIB = 2**20


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def _bomb() -> bytes:
    """An OFD of 2 × 64 MiB of zeros: about 130 KB packed."""
    zeros = bytes(64 * MIB)
    return _zip({"OFD.xml": b"<ofd:OFD/>", "Doc_0/a.xml": zeros, "Doc_0/b.xml": zeros})


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_bounds_refuse_by_count_size_ratio_and_while_reading() -> None:
    content = _bomb()
    assert len(content) < MIB
    with pytest.raises(ArchiveRefused, match="解压后超过16MB") as caught:
        BoundedZip(content, INVOICE, label="OFD文件")
    assert caught.value.field == "file"
    many = _zip({f"p{n}.xml": b"x" for n in range(30)})
    with pytest.raises(ArchiveRefused, match="包含30个文件，超过上限20个"):
        BoundedZip(many, Limits(entries=20))
    packed = _zip({"big.xml": bytes(4 * MIB)})
    with pytest.raises(ArchiveRefused, match="压缩比异常"):
        BoundedZip(packed, Limits())
    # an entry that declares less than it holds: stopped by the count while reading
    honest = _zip({"a.xml": b"a" * 1000})
    lying = honest.replace((1000).to_bytes(4, "little"), (10).to_bytes(4, "little"))
    archive = BoundedZip(lying, Limits(member=100))
    with pytest.raises(ArchiveRefused):
        archive.read("a.xml")
    assert BoundedZip(_zip({"ok.xml": b"<a/>"}), INVOICE).read("ok.xml") == b"<a/>"


def test_the_public_page_and_the_cli_refuse_a_bomb_fast_and_small(tmp_path: Path) -> None:
    make_world()
    content = _bomb()
    before, started = _peak_mib(), time.monotonic()
    page = Client(HTTP_HOST="localhost").post(
        "/verify/", {"file": SimpleUploadedFile("bomb.ofd", content)}
    )
    assert page.status_code == 200
    assert "解压后超过16MB" in page.content.decode()
    path = tmp_path / "bomb.ofd"
    path.write_bytes(content)
    with pytest.raises(CommandError, match="解压后超过16MB"):
        call_command("verify", "--file", str(path))
    assert time.monotonic() - started < 20
    assert _peak_mib() - before < 200  # the 128 MiB of zeros are never unpacked


def test_oversized_requests_and_files_are_refused_before_reading(settings: Any) -> None:
    settings.FAPIAO_REQUEST_MAX_BYTES = MIB
    client = Client(HTTP_HOST="localhost")
    big = client.post("/verify/", {"file": SimpleUploadedFile("big.pdf", bytes(2 * MIB))})
    assert big.status_code == 413 and "上限为1MB" in big.content.decode()
    api = client.post(
        "/api/v1/invoices", data=b"{" + bytes(2 * MIB), content_type="application/json"
    )
    assert api.status_code == 413 and api.json()["message"].startswith("上传内容过大")
    settings.FAPIAO_REQUEST_MAX_BYTES = 8 * MIB
    settings.FAPIAO_FILE_MAX_BYTES = MIB
    page = client.post("/verify/", {"file": SimpleUploadedFile("big.pdf", bytes(2 * MIB))})
    assert "发票文件不超过1MB" in page.content.decode()


def test_xml_with_entities_is_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE EInvoice [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><EInvoice>&b;</EInvoice>'
    )
    with pytest.raises(Exception, match="不能包含DTD或实体声明"):
        parse_xml(laughs)


def test_a_workbook_bomb_imports_nothing() -> None:
    world = make_world()
    sheet = _zip({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": bytes(300 * MIB)})
    with pytest.raises(ArchiveRefused, match="Excel文件"):
        catalog_import(
            taxpayer=world.taxpayer, name="customers", content=sheet, filename="c.xlsx",
            actor="admin",
        )  # fmt: skip
    assert Customer.objects.count() == 0
