"""Background work on the task engine (django-q2): a real cluster in a second process runs what a
request queued, on the database's queue and on Redis; a worker killed mid-task runs it again
after a restart, and it takes effect once; a lost or failed job is handed over again, backs
off, and stays visible when it has failed for good."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from fapiao.invoicing.catalog_files import catalog_import_enqueue
from fapiao.invoicing.models import Customer
from fapiao.jobs.models import Job, JobStatus
from fapiao.jobs.services import MAX_ATTEMPTS, job_enqueue, job_run, job_run_due, jobs_sweep
from tests.integration.world import database_url, make_world

pytestmark = pytest.mark.django_db(transaction=True)
REDIS_URL = os.environ.get("FAPIAO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Worker:
    """``fapiao worker`` in its own process group (the engine's processes die with it)."""

    def __init__(self, environment: dict[str, str], log: Path) -> None:
        fapiao = Path(sys.executable).with_name("fapiao")
        with log.open("ab") as output:  # what it said, for a failing test's report
            self.process = subprocess.Popen(
                [fapiao, "worker"], env=environment, start_new_session=True,
                stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def run(**extra: str) -> Worker:
        environment = {
            **os.environ,
            "FAPIAO_DATABASE_URL": database_url(),
            "FAPIAO_VAR_DIR": str(tmp_path),
            "FAPIAO_WORKERS": "1",
            "FAPIAO_SECRET_KEY": settings.SECRET_KEY,  # the engine signs what it queues
            **extra,
        }
        worker = Worker(environment, tmp_path / "worker.log")
        started.append(worker)
        return worker

    yield run
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()
    if started:
        sys.stderr.write((tmp_path / "worker.log").read_text("utf-8", "replace")[-4000:])


def _until(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _customers(count: int) -> bytes:
    rows = ["名称,地址,电话,电子邮箱"] + [
        f"客户{n:06d}有限公司,北京市海淀区中关村大街{n}号,010-6234{n % 10000:04d},c{n}@example.cn"
        for n in range(count)
    ]
    return "\n".join(rows).encode()


def _import(count: int) -> Job:
    world = make_world()
    return catalog_import_enqueue(
        taxpayer=world.taxpayer, name="customers", content=_customers(count),
        filename="customers.csv", actor="admin",
    )  # fmt: skip


def test_a_worker_killed_mid_task_runs_it_once_after_a_restart(start: Any) -> None:
    job = _import(60000)
    # a short timeout, so that the unacknowledged task comes back within the test
    worker = start(FAPIAO_TASK_TIMEOUT="15")
    _until(lambda: Job.objects.get(pk=job.pk).progress > 0, seconds=90, what="never started")
    worker.kill()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.attempts == 1
    assert 0 < job.progress < 60000, "killed mid-task"
    assert Customer.objects.count() == 0  # all rows or none

    again = start(FAPIAO_TASK_TIMEOUT="15")
    _until(lambda: Job.objects.get(pk=job.pk).status == JobStatus.DONE, seconds=120,
           what="the task did not come back")  # fmt: skip
    assert again.stop() == 0
    job.refresh_from_db()
    assert job.attempts == 2 and job.result == {"ok": True, "created": 60000, "updated": 0}
    assert Customer.objects.count() == 60000
    assert Customer.objects.values("name").distinct().count() == 60000


def _redis_or_skip() -> None:
    import redis

    try:
        redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("FAPIAO_REQUIRE_REDIS") == "1":
            raise
        pytest.skip(f"Redis at {REDIS_URL} unreachable: {error}")


#: A web process on Redis: the task reaches Redis only once the job's row is committed.
PRODUCER = """
import django, sys
django.setup()
import redis
from django.db import transaction
from fapiao.jobs.services import job_enqueue
queue = redis.from_url(sys.argv[1])
with transaction.atomic():
    for n in range(3):
        job_enqueue("notify.sms", {"to": "13800138000", "text": f"第{n}条"})
    print(queue.llen("django_q:fapiao:q"))
print(queue.llen("django_q:fapiao:q"))
"""


def test_on_redis_a_second_worker_machine_runs_queued_work(
    start: Any, settings: Any, tmp_path: Path
) -> None:
    _redis_or_skip()
    import redis

    redis.from_url(REDIS_URL).flushdb()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fapiao.settings",
        "FAPIAO_DATABASE_URL": database_url(),
        "FAPIAO_VAR_DIR": str(tmp_path),
        "FAPIAO_SECRET_KEY": settings.SECRET_KEY,
        "FAPIAO_TASK_BROKER": REDIS_URL,
    }
    produced = subprocess.run(
        [sys.executable, "-c", PRODUCER, REDIS_URL], env=environment, capture_output=True,
        text=True, timeout=120, check=True,
    )  # fmt: skip
    assert produced.stdout.split() == ["0", "3"]
    assert Job.objects.filter(status=JobStatus.QUEUED).count() == 3
    worker = start(FAPIAO_TASK_BROKER=REDIS_URL)
    done = Job.objects.filter(status=JobStatus.DONE)
    _until(lambda: done.count() == 3, seconds=60, what="Redis work was not done")
    assert worker.stop() == 0
    log = (Path(settings.VAR_DIR) / "sms.log").read_text("utf-8")
    assert [f"第{n}条" in log for n in range(3)] == [True] * 3


def test_a_lost_task_is_handed_over_again_and_runs_once(mailoutbox: Any, settings: Any) -> None:
    job = job_enqueue("notify.email", {"subject": "s", "text": "t", "to": "a@example.cn"})
    later = timezone.now() + timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60)
    # queued in the database, it is safe however long it waits: nothing to hand over
    assert jobs_sweep() == [] and jobs_sweep(now=later) == []
    # a worker took it and died: once its lease ends the sweep hands it over again
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, locked_until=timezone.now())
    assert jobs_sweep(now=later) == [job.pk]
    assert job_run(job.pk, now=later) == JobStatus.DONE
    assert job_run(job.pk, now=later) == "not due"  # the engine's own delivery finds it done
    assert len(mailoutbox) == 1
    # on Redis, which keeps no acknowledgement, a queued job past its lease may be lost too
    settings.Q_CLUSTER = {key: value for key, value in settings.Q_CLUSTER.items() if key != "orm"}
    waiting = job_enqueue("notify.email", {"subject": "s", "text": "t", "to": "b@example.cn"})
    assert jobs_sweep() == [] and jobs_sweep(now=later) == [waiting.pk]


def test_a_failing_job_backs_off_and_stays_failed_and_visible(settings: Any) -> None:
    settings.FAPIAO_SMS_BACKEND = "no.such.Backend"
    job = job_enqueue("notify.sms", {"to": "13800138000", "text": "t"})
    moment = timezone.now()
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert job_run_due(now=moment) == 1
        job.refresh_from_db()
        assert job.attempts == attempt and "Error" in job.last_error
        if attempt < MAX_ATTEMPTS:
            assert job.status == JobStatus.PENDING
            waits.append(job.run_at - moment)
            assert job_run_due(now=job.run_at - timedelta(seconds=1)) == 0  # not before
            moment = job.run_at
    assert waits == sorted(waits) and waits[0] < waits[-1]  # a growing delay
    assert job.status == JobStatus.FAILED
    assert job_run_due(now=moment + timedelta(days=30)) == 0  # failed for good


def test_jobs_left_by_the_queue_before_the_engine_are_run(mailoutbox: Any) -> None:
    now = timezone.now()
    mail = {"subject": "s", "text": "t", "to": "a@example.cn"}
    waiting = Job.objects.create(kind="notify.email", payload=mail, status="pending",
                                 run_at=now - timedelta(hours=1), created_at=now)  # fmt: skip
    cut_off = Job.objects.create(kind="notify.email", payload=mail, status="running", attempts=1,
                                 run_at=now - timedelta(hours=1), created_at=now,
                                 locked_until=now - timedelta(minutes=1))  # fmt: skip
    later = Job.objects.create(kind="notify.email", payload=mail, status="pending",
                               run_at=now + timedelta(hours=1), created_at=now)  # fmt: skip
    assert jobs_sweep() == [waiting.pk, cut_off.pk]
    assert job_run_due() == 2 and len(mailoutbox) == 2
    statuses = dict(Job.objects.values_list("pk", "status"))
    assert statuses == {waiting.pk: "done", cut_off.pk: "done", later.pk: "pending"}
