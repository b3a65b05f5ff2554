"""批量开具 through the services: a detail file of ``--invoices`` invoices of 5 lines each
(100,000 rows by default) read, checked and planned, then issued (each invoice signed, numbered
gapless, on the history and in the upload outbox), on SQLite and on PostgreSQL. Prints the time
of each stage, invoices/s and the process's peak memory (checking only that every invoice
was issued and queued for upload).

    python bench/batch.py [--invoices 20000] [--database sqlite|postgresql|both] [--format csv|xlsx]

Each figure is printed beside the database's durable-commit rate measured in the same run (this
machine's speed varies ~2x between runs: compare the ratios).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog import _commit_rate
from issue import _drop_postgresql, _postgresql_url, bench_world

LINES = [
    ("软件开发服务", "3040201010000000000", "6%", "", "", "10600.00"),
    ("培训费", "3070201020000000000", "6%", "3", "250", ""),
    ("修理修配劳务", "2020000000000000000", "13%", "7.44", "4056", ""),
    ("住宿费", "3070402000000000000", "6%", "", "", "380"),
    ("会议餐费", "3070401000000000000", "6%", "", "", "1280"),
]


def detail_file(invoices: int, format: str) -> bytes:
    """``invoices`` invoices of the five lines above, tax-inclusive, one buyer each."""
    from fapiao.domain.batchfile import COLUMNS

    header = [column.label for column in COLUMNS]
    at = {column.key: index for index, column in enumerate(COLUMNS)}
    rows = []
    for n in range(invoices):
        for name, code, rate, quantity, price, amount in LINES:
            cells = [""] * len(header)
            values = {
                "order": f"D{n:06d}",
                "kind": "电子普票",
                "mode": "含税",
                "buyer_name": f"客户{n % 500:03d}有限公司",
                "name": name,
                "tax_code": code,
                "rate": rate,
                "quantity": quantity,
                "unit_price": price,
                "amount": amount,
            }
            for key, value in values.items():
                cells[at[key]] = value
            rows.append(cells)
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("明细")
    sheet.append(header)
    for cells in rows:
        sheet.append(cells)
    raw = io.BytesIO()
    book.save(raw)
    return raw.getvalue()


def measure(invoices: int, format: str) -> None:
    """Inside a process whose FAPIAO_DATABASE_URL is set: migrate, set up, check, issue."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fapiao.settings")
    django.setup()
    from django.db import connection

    from fapiao.batches.checking import Options
    from fapiao.batches.issuing import batch_issue_run
    from fapiao.batches.services import batch_check, batch_confirm
    from fapiao.invoicing.models import Invoice, Upload

    taxpayer, device = bench_world(invoices)
    baseline = _commit_rate()
    started = time.perf_counter()
    content = detail_file(invoices, format)
    made = time.perf_counter() - started
    started = time.perf_counter()
    batch = batch_check(
        taxpayer=taxpayer,
        channel=device,
        content=content,
        filename=f"bench.{format}",
        options=Options(),
        actor="bench",
    )
    checked = time.perf_counter() - started
    assert batch.invoice_count == invoices, batch.errors[:3]
    batch_confirm(batch=batch, actor="bench")
    started = time.perf_counter()
    batch = batch_issue_run(batch.pk)
    issued = time.perf_counter() - started
    assert batch.issued == invoices
    assert Invoice.objects.count() == invoices
    assert Upload.objects.count() == invoices
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = invoices / issued
    print(
        f"{connection.vendor:<11} {invoices * 5} rows ({format}, {len(content) / 2**20:.1f} MB, "
        f"made in {made:.1f} s): read + check + plan {checked:5.2f} s | issue {issued:6.2f} s "
        f"= {rate:6.0f} invoices/s | peak memory {peak:5.0f} MB | durable commits "
        f"{baseline:6.0f}/s ({rate / baseline:.3f}x)"
    )


def _spawn(url: str, invoices: int, format: str) -> None:
    env = {**os.environ, "FAPIAO_DATABASE_URL": url}
    command = [
        sys.executable,
        __file__,
        "--measure",
        "--invoices",
        str(invoices),
        "--format",
        format,
    ]
    subprocess.run(command, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.invoices, args.format)
        return
    print(f"批量开具 of {args.invoices} invoices × 5 lines:")
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            os.environ["FAPIAO_VAR_DIR"] = directory
            _spawn(f"sqlite:///{Path(directory) / 'bench.sqlite3'}", args.invoices, args.format)
    if args.database in ("postgresql", "both"):
        try:
            _spawn(_postgresql_url(), args.invoices, args.format)
        finally:
            _drop_postgresql()


if __name__ == "__main__":
    main()
