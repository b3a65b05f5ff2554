"""Issuing throughput through the service: 5-line signed invoices, one at a time, one process,
on SQLite and on PostgreSQL. Prints invoices/s and p50/p99 latency; asserts nothing.

    python bench/issue.py [--count 2000] [--database sqlite|postgresql|both]

Each figure is printed beside the database's durable-commit rate measured in the same run (this
machine's speed varies ~2x between runs: compare the ratios).

PostgreSQL is reached at FAPIAO_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test);
the benchmark creates and drops its own database ``fapiao_bench`` there.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog import _commit_rate

PG_URL = os.environ.get("FAPIAO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BENCH_DB = "fapiao_bench"
DRAFT = {
    "kind": "VAT_ORDINARY_ELECTRONIC",
    "mode": "inclusive",
    "buyer": {"name": "无锡市安协安全培训中心", "tax_id": "52320200509244470T"},
    "lines": [
        {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%",
         "amount": "10600.00"},
        {"name": "培训费", "tax_code": "3070201020000000000", "rate": "6%", "quantity": "3",
         "unit_price": "250"},
        {"name": "修理修配劳务", "tax_code": "2020000000000000000", "rate": "13%",
         "quantity": "7.44", "unit_price": "4056"},
        {"name": "住宿费", "tax_code": "3070402000000000000", "rate": "6%", "amount": "380"},
        {"name": "会议餐费", "tax_code": "3070401000000000000", "rate": "6%", "amount": "1280"},
    ],
    "drawer": "开票员",
}  # fmt: skip


def bench_world(stock: int) -> tuple[Any, Any]:
    """Migrated, a taxpayer with a UKey that may issue ``stock`` 电子普票 without limits."""
    from datetime import date
    from decimal import Decimal

    from django.core.management import call_command

    from fapiao.domain.kinds import ChannelType, DeviceKind, InvoiceKind
    from fapiao.domain.rates import TaxpayerKind
    from fapiao.invoicing.taxpayers import (
        channel_create,
        monitoring_set,
        stock_receive,
        taxpayer_create,
    )

    call_command("migrate", verbosity=0)
    taxpayer = taxpayer_create(
        name="湖北某某科技有限公司", tax_id="9132020013590404XW", kind=TaxpayerKind.GENERAL,
        region="42", actor="bench",
    )  # fmt: skip
    device = channel_create(
        taxpayer=taxpayer, type=ChannelType.DEVICE, name="UKey", device_number="661900000001",
        device_kind=DeviceKind.UKEY, actor="bench",
    )  # fmt: skip
    kind = InvoiceKind.VAT_ORDINARY_ELECTRONIC
    monitoring_set(
        channel=device, kind=kind, lock_date=date(2099, 1, 1), single_limit=Decimal("1e9"),
        offline_hours=72, offline_amount=Decimal("1e12"), source="bench", actor="bench",
    )  # fmt: skip
    stock_receive(
        channel=device, kind=kind, code="042002600111", first=1, last=stock,
        received_from="bench", actor="bench",
    )  # fmt: skip
    return taxpayer, device


def measure(count: int, warmup: int) -> None:
    """Inside a process whose FAPIAO_DATABASE_URL is set: migrate, set up, issue, report."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fapiao.settings")
    django.setup()
    from django.db import connection

    from fapiao.invoicing.drafts import parse_draft
    from fapiao.invoicing.services import invoice_issue

    taxpayer, device = bench_world(count + warmup)
    baseline = _commit_rate()  # this run's durable-commit rate: compare the ratio, not the figure
    latencies = []
    for index in range(count + warmup):
        started = time.perf_counter()
        invoice_issue(
            taxpayer=taxpayer, channel=device, draft=parse_draft(DRAFT),
            request_id=f"bench-{index}", actor="bench",
        )  # fmt: skip
        if index >= warmup:
            latencies.append(time.perf_counter() - started)
    total = sum(latencies)
    cuts = statistics.quantiles(latencies, n=100)
    rate = count / total
    print(
        f"{connection.vendor:<11} {count} invoices: {rate:7.0f}/s   "
        f"p50 {cuts[49] * 1000:5.2f} ms   p99 {cuts[98] * 1000:5.2f} ms | durable commits "
        f"{baseline:6.0f}/s ({rate / baseline:.3f}x)"
    )


def _spawn(url: str, count: int, warmup: int) -> None:
    env = {**os.environ, "FAPIAO_DATABASE_URL": url}
    subprocess.run(
        [sys.executable, __file__, "--measure", "--count", str(count), "--warmup", str(warmup)],
        env=env,
        check=True,
    )


def _postgresql_url() -> str:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        connection.execute(f"CREATE DATABASE {BENCH_DB}")
    return PG_URL.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def _drop_postgresql() -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.count, args.warmup)
        return
    print(f"issuing 5-line signed invoices one at a time (after {args.warmup} warm-up):")
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            os.environ["FAPIAO_VAR_DIR"] = directory
            _spawn(f"sqlite:///{Path(directory) / 'bench.sqlite3'}", args.count, args.warmup)
    if args.database in ("postgresql", "both"):
        try:
            _spawn(_postgresql_url(), args.count, args.warmup)
        finally:
            _drop_postgresql()


if __name__ == "__main__":
    main()
