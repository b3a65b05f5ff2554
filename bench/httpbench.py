"""What the HTTP benchmarks share: a PostgreSQL database of their own, gunicorn serving
``fapiao.wsgi`` on it, and concurrent client threads timed into requests/s and p50/p99."""

from __future__ import annotations

import http.client
import os
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
def gunicorn(env: dict[str, str], port: int, workers: int, threads: int = 1) -> Iterator[None]:
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
        yield
    finally:
        server.terminate()
        server.wait()


def run_clients(client: Client, *, clients: int, seconds: float, unit: str) -> None:
    """Warm the server for 2 s with one client, then run ``clients`` for ``seconds``; print."""
    client(time.perf_counter() + 2, [], [])
    latencies: list[float] = []
    errors: list[int] = []
    stop = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=client, args=(stop, latencies, errors)) for _ in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    print(f"  {len(latencies) / elapsed:7.1f} {unit}/s   p50 {cuts[49] * 1000:6.1f} ms   "
          f"p99 {cuts[98] * 1000:6.1f} ms   errors {len(errors)}")  # fmt: skip
