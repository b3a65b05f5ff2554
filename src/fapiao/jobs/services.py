"""Enqueue jobs and run them: claim one due job at a time, run its handler outside any
transaction, and on failure try again later with a growing delay.

A handler is registered per kind with :func:`handler`; it gets the job's payload and raises
to fail. A worker that dies mid-job loses its lease after ``LEASE`` and the job runs again,
so handlers must be safe to repeat.
"""

from __future__ import annotations

import contextvars
import importlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fapiao.core.sms import sms_backend
from fapiao.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
BACKOFF = timedelta(seconds=30)  # then 1, 2, 4 … minutes, at most a day

#: a handler may return what it found (kept as the job's ``result``)
Handler = Callable[[dict[str, Any]], dict[str, Any] | None]
#: the job being run in this thread, for :func:`job_progress`
_CURRENT: contextvars.ContextVar[int | None] = contextvars.ContextVar("job", default=None)
HANDLERS: dict[str, Handler] = {}
#: Work the worker does on every round besides jobs (such as the upload outbox); each returns
#: how much it did, 0 when there was nothing to do.
PERIODIC: list[Callable[[], int]] = []


#: Modules whose import registers handlers and periodic work (named by each app's ``ready``): the
#: worker imports them before it runs anything, so that commands and pages need not load them.
WORKER_MODULES: list[str] = []


def worker_modules(*names: str) -> None:
    """Name modules that register background work (see :data:`WORKER_MODULES`)."""
    WORKER_MODULES.extend(name for name in names if name not in WORKER_MODULES)


def _load() -> None:
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
    """A job, in the caller's transaction: it exists only if the caller commits."""
    now = timezone.now()
    return Job.objects.create(
        kind=kind, payload=payload, run_at=at or now, created_at=now, taxpayer_id=taxpayer_id
    )


def job_progress(done: int, total: int) -> None:
    """How far the running job is (``total`` 0 while unknown), committed at once so that a page
    can show it. Nothing outside a job, nor inside a transaction of the job's (it would not be
    seen before the end, and on SQLite it would wait for the job's own lock)."""
    job = _CURRENT.get()
    if job is not None and not transaction.get_connection().in_atomic_block:
        Job.objects.filter(pk=job).update(progress=done, total=total)


def delay(attempts: int) -> timedelta:
    return min(BACKOFF * 2 ** max(attempts - 1, 0), timedelta(days=1))


def _claim(now: datetime) -> Job | None:
    with transaction.atomic():
        due = Q(status=JobStatus.PENDING, run_at__lte=now) | Q(
            status=JobStatus.RUNNING, locked_until__lt=now
        )
        job = (
            Job.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("run_at", "pk")
            .first()
        )
        if job is None:
            return None
        job.status = JobStatus.RUNNING
        job.attempts += 1
        job.locked_until = now + LEASE
        job.save(update_fields=["status", "attempts", "locked_until"])
        return job


def job_run_due(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Run due jobs one by one; returns how many ran (done or failed)."""
    _load()
    count = 0
    while limit is None or count < limit:
        moment = now or timezone.now()
        job = _claim(moment)
        if job is None:
            break
        count += 1
        token = _CURRENT.set(job.pk)
        try:
            run = HANDLERS[job.kind]
            job.result = run(job.payload)
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
        job.save(
            update_fields=[
                "status",
                "finished_at",
                "last_error",
                "run_at",
                "locked_until",
                "result",
            ]
        )
    return count


def worker_loop(*, idle: float = 1.0, stop: Callable[[], bool] = lambda: False) -> None:
    """Run jobs until ``stop()``; sleep ``idle`` seconds when there is nothing to do."""
    while not stop():
        if not worker_round(limit=100):
            time.sleep(idle)


def worker_round(*, limit: int | None = None) -> int:
    """Run the due jobs and every periodic task once; how much was done."""
    _load()
    done = job_run_due(limit=limit)
    for task in PERIODIC:
        try:
            done += task()
        except Exception:  # a failing task is logged and tried again next round
            log.exception("periodic task %s failed", task.__name__)
    return done


@handler("notify.email")
def _notify_email(payload: dict[str, Any]) -> None:
    from django.conf import settings
    from django.core.mail import send_mail

    send_mail(payload["subject"], payload["text"], settings.DEFAULT_FROM_EMAIL, [payload["to"]])


@handler("notify.sms")
def _notify_sms(payload: dict[str, Any]) -> None:
    sms_backend().send(payload["to"], payload["text"])
