"""The authority as a separate server process on loopback, with its own database: uploads wait
while it is down and arrive exactly once, in order, when it is back; a worker killed mid-batch
loses and duplicates nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from fapiao.authority.client import HttpClient, anchored_heads, authority_client
from fapiao.domain.errors import DomainError
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.models import Invoice, Taxpayer, Upload
from fapiao.invoicing.reconciliation import reconcile
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.uploads import upload_flush
from tests.integration.issue_worker import DRAFT
from tests.integration.world import database_url, make_world

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "loopback-test-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Authority:
    """``fapiao`` served by gunicorn as the authority, on its own SQLite file."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = directory / "authority.sqlite3"
        self.env = {
            **os.environ,
            "FAPIAO_DATABASE_URL": f"sqlite:///{self.database}",
            "FAPIAO_VAR_DIR": str(directory),
            "FAPIAO_AUTHORITY_TOKEN": TOKEN,
            "FAPIAO_AUTHORITY_URL": "",
        }
        self.process: subprocess.Popen[bytes] | None = None
        fapiao = Path(sys.executable).with_name("fapiao")
        subprocess.run([fapiao, "migrate", "--noinput"], env=self.env, check=True, timeout=300)

    def start(self) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [gunicorn, "-b", f"127.0.0.1:{self.port}", "-w", "1", "fapiao.wsgi"],
            env=self.env,
            start_new_session=True,  # its own process group: stop() kills master and workers
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/authority/v1/key", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("the authority did not start")

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None

    def receipts(self) -> list[tuple[int, int]]:
        """(sequence, registry id) of every upload it answered, in the order it answered."""
        with sqlite3.connect(self.database) as db:
            return list(
                db.execute("SELECT sequence, invoice_id FROM authority_receipt ORDER BY id")
            )


@pytest.fixture
def authority(tmp_path: Path, settings: Any) -> Iterator[Authority]:
    server = Authority(tmp_path / "authority")
    server.start()
    settings.FAPIAO_AUTHORITY_URL = server.url
    settings.FAPIAO_AUTHORITY_TOKEN = TOKEN
    yield server
    server.stop()


def _issue(world: Any, count: int) -> list[Invoice]:
    return [
        invoice_issue(
            taxpayer=world.taxpayer,
            channel=world.device,
            draft=parse_draft(DRAFT),
            request_id=None,
            actor="clerk",
        )
        for _ in range(count)
    ]


def test_down_authority_then_back_every_upload_exactly_once_in_order(
    authority: Authority,
) -> None:
    world = make_world(stock=100, first=1)
    assert isinstance(authority_client(), HttpClient)
    authority.stop()
    issued = _issue(world, 20)  # accepted: within the offline limits
    assert upload_flush().unreachable
    assert Upload.objects.filter(answered_at__isnull=True).count() == 20
    assert {i.status for i in Invoice.objects.all()} == {"issued"}

    authority.start()
    flushed = upload_flush(now=timezone.now() + timedelta(minutes=10))  # after the pause
    assert (flushed.accepted, flushed.refused) == (20, 0)
    receipts = authority.receipts()
    assert [sequence for sequence, _ in receipts] == sorted(
        Upload.objects.values_list("sequence", flat=True)
    )
    assert len({registry for _, registry in receipts}) == 20
    assert {i.status for i in Invoice.objects.all()} == {"uploaded"}
    assert [str(i) for i in issued] == [
        r["code"] + r["number"]
        for r in authority_client().records(tax_id=world.taxpayer.tax_id)["records"]
    ]
    assert reconcile(world.taxpayer) == []
    assert ledger_verify(world.taxpayer) == []
    # the heads went with the batches (存证) and are read back over HTTP, signed
    kept = anchored_heads(authority_client(), world.taxpayer.tax_id, "history")
    assert kept[-1]["head"] == Taxpayer.objects.get(pk=world.taxpayer.pk).ledger_head
    assert ledger_verify(world.taxpayer, authority=authority_client()) == []
    # 查验 through the same door, counted at the authority
    check = {"qr": issued[0].qr}
    assert authority_client().verify(check, client="198.51.100.1")["outcome"] == "一致"
    typed = {"code": issued[1].code, "number": issued[1].number,
             "issued_on": str(issued[1].issued_on), "check6": "12345"}  # fmt: skip
    with pytest.raises(DomainError, match="校验码后6位") as caught:
        authority_client().verify(typed, client="198.51.100.1")
    assert caught.value.field == "check6"
    # the public endpoint is answered without Django's request handling: same rules, same JSON
    for body, status in ((b"{not json", 400), (b'{"number": 5}', 422), (b"[]", 400)):
        request = urllib.request.Request(
            f"{authority.url}/authority/v1/verify", data=body, method="POST",
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == status
        assert json.loads(refused.value.read())["code"] == "invalid"


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(
    authority: Authority, tmp_path: Path
) -> None:
    world = make_world(stock=100, first=1)
    _issue(world, 40)
    environment = {
        **os.environ,
        "FAPIAO_DATABASE_URL": database_url(),
        "FAPIAO_VAR_DIR": str(tmp_path),
        "FAPIAO_AUTHORITY_URL": authority.url,
        "FAPIAO_AUTHORITY_TOKEN": TOKEN,
        "FAPIAO_UPLOAD_BATCH": "1",  # one invoice per request: plenty of moments to be killed
    }
    fapiao = Path(sys.executable).with_name("fapiao")
    # its own process group: the engine's processes die with it, as under a service manager
    worker = subprocess.Popen([fapiao, "worker"], env=environment, start_new_session=True)
    deadline = time.monotonic() + 120
    while Upload.objects.filter(answered_at__isnull=False).count() < 5:
        assert time.monotonic() < deadline, "the worker uploaded nothing"
        time.sleep(0.05)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    answered = Upload.objects.filter(answered_at__isnull=False).count()
    assert 5 <= answered < 40, "killed mid-batch"

    # the killed worker's lease runs out; the next worker sends the rest, and a row the
    # authority had answered but the killed worker had not recorded is answered the same again
    flushed = upload_flush(now=timezone.now() + timedelta(minutes=10))
    assert flushed.refused == 0 and flushed.accepted == 40 - answered
    assert Upload.objects.filter(accepted=True).count() == 40
    sequences = [sequence for sequence, _ in authority.receipts()]
    assert len(sequences) == len(set(sequences)) == 40
    assert sequences == sorted(sequences)
    assert len(authority_client().records(tax_id=world.taxpayer.tax_id)["records"]) == 40
    assert reconcile(world.taxpayer) == []
    assert ledger_verify(world.taxpayer) == []
