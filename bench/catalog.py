"""Catalog files at scale: import 100,000 customers from CSV (all new, then all updated),
export them as CSV and Excel and import that workbook again, through the services, on SQLite
and on PostgreSQL. Prints the seconds of each beside the database's durable-commit rate
measured in the same run (this machine's speed varies ~2x between runs: compare ratios). The
target: at most 30 s per 100,000 rows.
Asserts nothing.

    python bench/catalog.py [--rows 100000] [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_URL = os.environ.get("FAPIAO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BENCH_DB = "fapiao_bench_catalog"


def _file(rows: int, street: str) -> bytes:
    lines = ["名称,纳税人识别号,地址,电话,开户行,银行账号,电子邮箱,手机号"]
    lines += [
        f"客户{n:06d}有限公司,9132020013590404XW,{street}{n}号,010-6234{n % 10000:04d},"
        f"中国工商银行北京中关村支行,02000045090{n:08d},c{n}@example.cn,138{n % 10**8:08d}"
        for n in range(rows)
    ]
    return "\n".join(lines).encode()


def _commit_rate(seconds: float = 1.0) -> float:
    """Durable commits per second: one-row writes, each in its own transaction."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_commit (n integer)")
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_commit (n) VALUES (%s)", [done])
        done += 1
    return done / (time.perf_counter() - started)


def measure(rows: int) -> None:
    """Inside a process whose FAPIAO_DATABASE_URL is set: migrate, import, export, report."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fapiao.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from fapiao.domain.rates import TaxpayerKind
    from fapiao.invoicing.catalog_files import catalog_export, catalog_import
    from fapiao.invoicing.taxpayers import taxpayer_create

    call_command("migrate", verbosity=0)
    taxpayer = taxpayer_create(
        name="湖北某某科技有限公司", tax_id="9132020013590404XW", kind=TaxpayerKind.GENERAL,
        region="42", actor="bench",
    )  # fmt: skip
    baseline = _commit_rate()
    figures = []
    for label, street in (
        ("import, all new", "北京市海淀区中关村大街"),
        ("import, all updated", "上海市浦东新区世纪大道"),
    ):
        content = _file(rows, street)
        started = time.perf_counter()
        report = catalog_import(
            taxpayer=taxpayer, name="customers", content=content, filename="c.csv", actor="bench"
        )
        figures.append((label, time.perf_counter() - started))
        assert report.created + report.updated == rows
    book = b""
    for fmt in ("csv", "xlsx"):
        started = time.perf_counter()
        book = catalog_export(taxpayer=taxpayer, name="customers", format=fmt)
        figures.append((f"export {fmt}", time.perf_counter() - started))
    started = time.perf_counter()
    catalog_import(taxpayer=taxpayer, name="customers", content=book, filename="c.xlsx", actor="b")
    figures.append(("import xlsx, updated", time.perf_counter() - started))
    print(f"{connection.vendor:<11} durable commits {baseline:7.0f}/s (baseline of this run)")
    for label, seconds in figures:
        print(
            f"{'':<11} {label:<20} {rows} rows {seconds:6.1f} s  {rows / seconds:8.0f} rows/s  "
            f"({rows / seconds / baseline:5.1f} rows per durable commit)"
        )


def _spawn(url: str, rows: int) -> None:
    env = {**os.environ, "FAPIAO_DATABASE_URL": url}
    subprocess.run(
        [sys.executable, __file__, "--measure", "--rows", str(rows)], env=env, check=True
    )


def _postgresql(action: str) -> str:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        if action == "create":
            connection.execute(f"CREATE DATABASE {BENCH_DB}")
    return PG_URL.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.rows)
        return
    print(f"catalog files of {args.rows} customers (target: at most 30 s each):")
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            os.environ["FAPIAO_VAR_DIR"] = directory
            _spawn(f"sqlite:///{Path(directory) / 'bench.sqlite3'}", args.rows)
    if args.database in ("postgresql", "both"):
        try:
            _spawn(_postgresql("create"), args.rows)
        finally:
            _postgresql("drop")


if __name__ == "__main__":
    main()
