"""What the HTTP benchmarks share: a PostgreSQL database of their own, gunicorn serving
``fapiao.wsgi`` on it, and concurrent client threads timed into requests/s and p50/p99, with
the processor time each request cost the server, the database and the clients (on Linux)."""

from __future__ import annotations

import http.client
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

PG_URL = os.environ.get("FAPIAO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

#: A client: runs requests until the time given, appending latencies (s) of good answers and the
#: HTTP status of the others.
Client = Callable[[float, list[float], list[int]], None]


@contextmanager
def own_database(name: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh PostgreSQL database ``name`` (dropped afterwards): its URL and the environment
    that points fapiao at it."""
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    env = {
        **os.environ,
        "FAPIAO_DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "fapiao.settings",
        "FAPIAO_VAR_DIR": tempfile.mkdtemp(),
        "FAPIAO_ALLOWED_HOSTS": "localhost,127.0.0.1",
    }
    try:
        yield url, env
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def gunicorn(
    env: dict[str, str], port: int, workers: int, threads: int = 1
) -> Iterator[subprocess.Popen[bytes]]:
    """``fapiao.wsgi`` under gunicorn on loopback, answering /healthz, until the block ends."""
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "fapiao.wsgi:application",
         "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                probe.request("GET", "/healthz", headers={"Host": "localhost"})
                if probe.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield server
    finally:
        server.terminate()
        server.wait()


def _processes() -> dict[int, tuple[int, str, float]]:
    """Each process's parent, command line and processor seconds so far (Linux's /proc)."""
    found = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found[int(entry.name)] = (int(stat[1]), command, (int(stat[11]) + int(stat[12])) / tick)
    return found


def _cpu(server: int | None, database: str | None) -> dict[str, float]:
    """Processor seconds so far of the server (it and its workers), the database's backends
    serving ``database``, and this process (the clients)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    spent = {"server": 0.0, "database": 0.0, "clients": own.ru_utime + own.ru_stime}
    backend = f" {database} " if database else None
    for pid, (parent, command, seconds) in _processes().items():
        if server is not None and server in (pid, parent):
            spent["server"] += seconds
        elif backend and command.startswith("postgres:") and backend in command:
            spent["database"] += seconds
    return spent


def run_clients(
    client: Client,
    *,
    clients: int,
    seconds: float,
    unit: str,
    server: subprocess.Popen[bytes] | None = None,
    database: str | None = None,
) -> None:
    """Warm the server for 2 s with one client, then run ``clients`` for ``seconds``; print,
    and where /proc tells, the processor time per request of the ``server`` process (and its
    workers), of the PostgreSQL backends of ``database`` and of the clients."""
    client(time.perf_counter() + 2, [], [])
    latencies: list[float] = []
    errors: list[int] = []
    stop = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=client, args=(stop, latencies, errors)) for _ in range(clients)
    ]
    measured = Path("/proc/stat").exists()
    before = _cpu(server and server.pid, database) if measured else {}
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    print(f"  {len(latencies) / elapsed:7.1f} {unit}/s   p50 {cuts[49] * 1000:6.1f} ms   "
          f"p99 {cuts[98] * 1000:6.1f} ms   errors {len(errors)}")  # fmt: skip
    if measured and latencies:
        after = _cpu(server and server.pid, database)
        each = {name: (after[name] - before[name]) / len(latencies) * 1000 for name in after}
        busy = sum(after.values()) - sum(before.values())
        print(f"  processor per request: server {each['server']:.2f} ms, database "
              f"{each['database']:.2f} ms, clients {each['clients']:.2f} ms "
              f"({busy / elapsed / (os.cpu_count() or 1):.0%} of the machine)")  # fmt: skip
