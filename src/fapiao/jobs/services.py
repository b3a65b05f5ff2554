"""Background work on the task engine (django-q2, see the README): jobs that a request asks for
and the periodic rounds (upload outbox, 数电 numbers, 确认单, the authority's decisions).

A job is a :class:`Job` row, written in the caller's transaction, and a task of the engine that
runs it (:func:`job_run`). The engine's queue lives in our own database by default (SQLite or
PostgreSQL: the task is inserted in the same transaction, so a rolled-back request leaves none),
or in Redis when ``FAPIAO_TASK_BROKER`` names one. The row makes a run happen once however often
the engine delivers it: :func:`job_run` claims it with one conditional update. A worker killed
mid-job leaves the row running until its lease ends; the engine delivers the unacknowledged task
again (the database queue) or the sweep hands it over again (any queue), and the job runs again,
so handlers must be safe to repeat. A job that fails is tried again later with a growing delay
(:func:`delay`), and after ``MAX_ATTEMPTS`` it stays failed, with its error, on the pages and in
the engine's failures.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from fapiao.core.sms import sms_backend
from fapiao.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BACKOFF = timedelta(seconds=30)  # then 1, 2, 4 … minutes, at most a day

#: a handler may return what it found (kept as the job's ``result``)
Handler = Callable[[dict[str, Any]], dict[str, Any] | None]
#: the job being run in this thread, for :func:`job_progress`
_CURRENT: contextvars.ContextVar[int | None] = contextvars.ContextVar("job", default=None)
HANDLERS: dict[str, Handler] = {}
#: Work done every minute by the engine's schedule, and on every ``worker --once``; each
#: returns how much it did, 0 when there was nothing to do.
PERIODIC: list[Callable[[], int]] = []
#: Modules whose import registers handlers and periodic work (named by each app's ``ready``): the
#: worker imports them before it runs anything, so that commands and pages need not load them.
WORKER_MODULES: list[str] = []


def lease() -> timedelta:
    """How long a queued job may wait and a running one run before it counts as lost: longer
    than the engine's own timeout, after which it has stopped the task."""
    return timedelta(seconds=settings.Q_CLUSTER["timeout"] + 30)


def worker_modules(*names: str) -> None:
    """Name modules that register background work (see :data:`WORKER_MODULES`)."""
    WORKER_MODULES.extend(name for name in names if name not in WORKER_MODULES)


def load() -> None:
    for name in WORKER_MODULES:
        importlib.import_module(name)


def periodic(task: Callable[[], int]) -> Callable[[], int]:
    PERIODIC.append(task)
    return task


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def job_enqueue(
    kind: str,
    payload: dict[str, Any],
    *,
    at: datetime | None = None,
    taxpayer_id: int | None = None,
) -> Job:
    """A job, in the caller's transaction: it exists only if the caller commits. Due now, it
    goes to the engine at once; due later, the sweep hands it over when its time comes."""
    now = timezone.now()
    due = at is None or at <= now
    job = Job.objects.create(
        kind=kind,
        payload=payload,
        run_at=at or now,
        created_at=now,
        taxpayer_id=taxpayer_id,
        status=JobStatus.QUEUED if due else JobStatus.PENDING,
        locked_until=now + lease() if due else None,
    )
    if due:
        _submit([job.pk])
    return job


def _submit(ids: list[int]) -> None:
    """Hand jobs to the engine: within the caller's transaction when its queue is our database,
    after the commit otherwise (a job lost in between is handed over again by the sweep)."""
    from django_q.tasks import async_task  # the engine's client: only where work is queued

    def send() -> None:
        for pk in ids:
            async_task("fapiao.jobs.services.job_run", pk, task_name=f"job-{pk}")

    if settings.Q_CLUSTER.get("orm"):
        send()
    else:
        transaction.on_commit(send)


def job_progress(done: int, total: int) -> None:
    """How far the running job is (``total`` 0 while unknown), committed at once so that a page
    can show it. Nothing outside a job, nor inside a transaction of the job's (it would not be
    seen before the end, and on SQLite it would wait for the job's own lock)."""
    job = _CURRENT.get()
    if job is not None and not transaction.get_connection().in_atomic_block:
        Job.objects.filter(pk=job).update(progress=done, total=total)


def delay(attempts: int) -> timedelta:
    return min(BACKOFF * 2 ** max(attempts - 1, 0), timedelta(days=1))


def _claim(pk: int, now: datetime) -> Job | None:
    """The job, now running here; None when it is not queued (done, failed, waiting for its
    time) or still running elsewhere within its lease."""
    claimable = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, locked_until__lt=now)
    claimed = (
        Job.objects.filter(claimable, pk=pk)
        .update(status=JobStatus.RUNNING, attempts=F("attempts") + 1, locked_until=now + lease())
    )  # fmt: skip
    return Job.objects.get(pk=pk) if claimed else None


class JobFailed(Exception):
    """A job's last attempt failed: raised to the engine, which keeps it among its failures."""


def job_run(pk: int, *, now: datetime | None = None) -> str:
    """The engine's task: run job ``pk`` once, outside any transaction; what happened."""
    load()
    moment = now or timezone.now()
    job = _claim(pk, moment)
    if job is None:
        return "not due"
    token = _CURRENT.set(job.pk)
    try:
        job.result = HANDLERS[job.kind](job.payload)
    except Exception as error:  # a handler's failure is recorded, never fatal to the worker
        log.warning("job %s failed (attempt %d): %s", job, job.attempts, error)
        job.last_error = f"{type(error).__name__}: {error}"[:2000]
        if job.attempts >= MAX_ATTEMPTS:
            job.status, job.finished_at = JobStatus.FAILED, moment
        else:
            job.status, job.run_at = JobStatus.PENDING, moment + delay(job.attempts)
    else:
        job.status, job.finished_at, job.last_error = JobStatus.DONE, moment, ""
    finally:
        _CURRENT.reset(token)
    job.locked_until = None
    job.save(update_fields=["status", "finished_at", "last_error", "run_at", "locked_until",
                            "result"])  # fmt: skip
    if job.status == JobStatus.FAILED:
        raise JobFailed(f"{job}: {job.last_error}")
    return job.status


@transaction.atomic
def jobs_sweep(*, now: datetime | None = None) -> list[int]:
    """Hand the engine every job whose time has come, and every job whose lease ran out while
    running (a killed worker) or, on Redis, queued (a queue that forgot it); their ids."""
    moment = now or timezone.now()
    # a queued job is safe in the database's queue however long it waits there; Redis keeps no
    # acknowledgement, so one queued there past its lease may have been taken by a dead worker
    lost = (
        [JobStatus.RUNNING]
        if settings.Q_CLUSTER.get("orm")
        else [JobStatus.QUEUED, JobStatus.RUNNING]
    )
    due = Q(status=JobStatus.PENDING, run_at__lte=moment) | Q(
        status__in=lost, locked_until__lt=moment
    )
    ids = list(
        Job.objects.select_for_update(skip_locked=True)
        .filter(due)
        .order_by("run_at", "pk")
        .values_list("pk", flat=True)
    )
    if ids:
        # one running past its lease has stopped (the engine's timeout is shorter): queued
        # again, it is claimed by whichever delivery comes first, the engine's or this one
        Job.objects.filter(pk__in=ids).update(
            status=JobStatus.QUEUED, locked_until=moment + lease()
        )
        _submit(ids)
    return ids


@periodic
def jobs_round() -> int:
    """The engine's schedule: jobs whose time has come."""
    return len(jobs_sweep())


def job_run_due(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Run here, one by one, the jobs due at ``now`` (those queued and those whose time has
    come); how many ran, done or failed. For ``worker --once`` and tests: the engine's own
    delivery of these jobs later finds them done."""
    moment = now or timezone.now()
    jobs_sweep(now=moment)
    queued = Job.objects.filter(status=JobStatus.QUEUED, run_at__lte=moment).order_by(
        "run_at", "pk"
    )
    count = 0
    for pk in queued.values_list("pk", flat=True)[:limit]:
        with contextlib.suppress(JobFailed):  # recorded on the row; the engine is not here
            job_run(pk, now=moment)
        count += 1
    return count


def worker_round() -> int:
    """The due jobs and every periodic task, once, here; how much was done."""
    load()
    done = job_run_due()
    for task in PERIODIC:
        if task is jobs_round:
            continue
        try:
            done += task()
        except Exception:  # a failing task is logged and tried again next round
            log.exception("periodic task %s failed", task.__name__)
    return done


def periodic_name(task: Callable[[], int]) -> str:
    return f"{task.__module__}.{task.__qualname__}"


def worker_start() -> None:
    """Run the engine's cluster until stopped (SIGTERM or Ctrl-C): its schedule runs every
    periodic task each minute, and once at the start."""
    from django_q.cluster import Cluster
    from django_q.models import Schedule
    from django_q.tasks import async_task

    load()
    names = [periodic_name(task) for task in PERIODIC]
    for name in names:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": name, "schedule_type": Schedule.MINUTES, "minutes": 1,
                      "repeats": -1},
        )  # fmt: skip
    Schedule.objects.filter(name__startswith="fapiao.").exclude(name__in=names).delete()
    for name in names:
        async_task(name)
    cluster = Cluster()
    # Stopping is done here rather than in the engine's signal handler: a signal sent to the
    # whole process group (systemd's default) has already stopped the engine's processes, and
    # telling the dead ones to stop would wait for them for ever. A signal to this process
    # alone (or Ctrl-C, which the engine's processes ignore) stops them after their tasks.
    asked: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, frame: asked.append(number))
    cluster.start()
    sentinel = cluster.sentinel
    while sentinel is not None and sentinel.is_alive():
        if asked:
            sentinel.join(timeout=1)
            if sentinel.is_alive():
                cluster.stop()
            break
        time.sleep(0.2)


@handler("notify.email")
def _notify_email(payload: dict[str, Any]) -> None:
    from django.core.mail import send_mail

    send_mail(payload["subject"], payload["text"], settings.DEFAULT_FROM_EMAIL, [payload["to"]])


@handler("notify.sms")
def _notify_sms(payload: dict[str, Any]) -> None:
    sms_backend().send(payload["to"], payload["text"])
