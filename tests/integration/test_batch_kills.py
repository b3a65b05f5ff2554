"""A 1,000-invoice batch whose worker (a real ``fapiao worker --once``) is killed at random
points and started again: every row is issued exactly once, the numbers have no gap, the
history verifies. Run on SQLite and on PostgreSQL (the production database)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from fapiao.batches.checking import Options
from fapiao.batches.issuing import CHUNK
from fapiao.batches.models import BatchItem, BatchStatus, ItemStatus
from fapiao.batches.services import batch_check, batch_confirm
from fapiao.invoicing.ledger import ledger_verify
from fapiao.invoicing.models import Event, Invoice, StockSegment
from fapiao.jobs.models import Job
from tests.integration.test_batches import as_csv, row
from tests.integration.world import database_url, make_world

pytestmark = pytest.mark.django_db(transaction=True)
COUNT = 1000


def _worker() -> subprocess.Popen[bytes]:
    environment = {**os.environ, "FAPIAO_DATABASE_URL": database_url()}
    return subprocess.Popen(
        [sys.executable, "-m", "fapiao", "worker", "--once"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_batch_killed_at_random_points_issues_every_row_once_without_gap() -> None:
    seed = random.randrange(1 << 30)
    chance = random.Random(seed)
    world = make_world(tax_id="9132020013590404XW", region="42", stock=COUNT, first=1)
    rows = [row(f"K{n:04d}", 发票种类="电子普票", 金额=f"{100 + n}.00") for n in range(COUNT)]
    batch = batch_check(
        taxpayer=world.taxpayer,
        channel=world.device,
        content=as_csv(rows),
        filename="kills.csv",
        options=Options(),
        actor="clerk",
    )
    assert batch.invoice_count == COUNT
    batch_confirm(batch=batch, actor="clerk")
    kills = 0
    progress = []
    # each worker is killed once the invoices reach a random count (before the last chunk), a
    # random moment later: inside a chunk's transaction, between two, or while it commits
    for target in sorted(chance.sample(range(1, COUNT - CHUNK), 4)):
        worker = _worker()
        deadline = time.monotonic() + 120
        while (
            worker.poll() is None
            and Invoice.objects.count() < target
            and time.monotonic() < deadline
        ):
            time.sleep(0.01)
        time.sleep(chance.uniform(0, 0.05))
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
            kills += 1
        worker.wait()
        progress.append(Invoice.objects.count())
        # a killed worker's job: its lease runs out, as it would after a while
        Job.objects.filter(kind="batch.issue").update(locked_until=timezone.now() - timedelta(1))
    worker = _worker()  # the last one, left to finish
    assert worker.wait(timeout=300) == 0
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE, (seed, progress)
    # the test killed at least one worker in the middle of the batch
    assert kills >= 1 and any(0 < issued < COUNT for issued in progress), (seed, progress)
    print(f"seed {seed}: invoices after each run {progress}")
    assert Invoice.objects.count() == COUNT, (seed, progress)
    request_ids = sorted(Invoice.objects.values_list("request_id", flat=True))
    assert request_ids == sorted(f"batch-{batch.pk}-{seq}" for seq in range(1, COUNT + 1))
    numbers = sorted(int(n) for n in Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, COUNT + 1))
    segment = StockSegment.objects.get(channel=world.device, kind="VAT_ORDINARY_ELECTRONIC")
    assert segment.next_number == COUNT + 1
    items = BatchItem.objects.filter(batch=batch)
    assert items.filter(status=ItemStatus.ISSUED).count() == COUNT
    assert items.values("invoice").distinct().count() == COUNT
    # each row's invoice carries that row's amount
    for item in items.select_related("invoice").order_by("seq")[::97]:
        assert item.invoice.amount == 100 + item.seq - 1
    assert Event.objects.filter(type="invoice.issued").count() == COUNT
    assert batch.issued == COUNT
    assert ledger_verify(world.taxpayer) == []
