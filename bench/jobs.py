"""Background work: jobs queued per second (each in its own transaction, as a request queues
one) and jobs run per second by a real ``fapiao worker`` in a second process, from the first
queued to the last done, on SQLite and on PostgreSQL. Prints each beside the database's
durable-commit rate measured in the same run (this machine's speed varies ~2x between runs:
compare ratios). Asserts nothing.

    python bench/jobs.py [--jobs 2000] [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog import _commit_rate, _postgresql


def measure(count: int) -> None:
    """Inside a process whose FAPIAO_DATABASE_URL is set: migrate, queue, run, report."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fapiao.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from fapiao.jobs.models import Job

    call_command("migrate", verbosity=0)
    baseline = _commit_rate()
    started = time.perf_counter()
    from fapiao.jobs.services import job_enqueue

    for n in range(count):
        with transaction.atomic():
            job_enqueue("notify.sms", {"to": "13800138000", "text": f"第{n}条"})
    queued = count / (time.perf_counter() - started)

    fapiao = Path(sys.executable).with_name("fapiao")
    started = time.perf_counter()
    worker = subprocess.Popen(
        [fapiao, "worker"], start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while Job.objects.filter(status="done").count() < count:
            assert time.perf_counter() - started < 600, "the worker did not finish"
            time.sleep(0.05)
        ran = count / (time.perf_counter() - started)
    finally:
        worker.send_signal(signal.SIGTERM)  # to the cluster's main process: it stops the rest
        worker.wait(timeout=60)
    print(
        f"{connection.vendor:10s} durable commits {baseline:8.0f}/s | "
        f"queued {queued:7.0f} jobs/s ({queued / baseline:.2f}x commits) | "
        f"run {ran:6.0f} jobs/s ({ran / baseline:.3f}x commits, worker start included)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.inside:
        measure(options.jobs)
        return
    databases = ["sqlite", "postgresql"] if options.database == "both" else [options.database]
    print(f"background work, {options.jobs} jobs (an SMS each, to a file):")
    for database in databases:
        with tempfile.TemporaryDirectory() as var:
            url = (
                f"sqlite:///{var}/bench.sqlite3" if database == "sqlite" else _postgresql("create")
            )
            environment = {**os.environ, "FAPIAO_VAR_DIR": var, "FAPIAO_DATABASE_URL": url}
            try:
                subprocess.run(
                    [sys.executable, __file__, "--inside", "--jobs", str(options.jobs)],
                    env=environment, check=True,
                )  # fmt: skip
            finally:
                if database == "postgresql":
                    _postgresql("drop")


if __name__ == "__main__":
    main()
