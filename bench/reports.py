"""报表查询 at scale: one taxpayer with many invoices (5 lines each) over 3 years, loaded by SQL
from one really issued invoice, then the monthly, annual and three-year reports (every breakdown,
the by-product one included) and the trend, timed at p50 and p95 over repeated runs. Prints each
beside the database's durable-commit rate measured in the same run (this machine's speed varies
~2x between runs: compare ratios). Asserts nothing.

    python bench/reports.py [--invoices 200000] [--database sqlite|postgresql|both] [--runs 10]

Targets (issue 20): PostgreSQL with 1,000,000 invoices: ≤ 300 ms at p95; SQLite with 200,000: ≤ 1 s.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog import _commit_rate, _postgresql

START = date(2024, 1, 1)
DAYS = 3 * 365


def _load(count: int) -> object:
    """The taxpayer and ``count`` invoices copied from one issued for real."""
    from django.db import connection

    from fapiao.domain.kinds import ChannelType
    from fapiao.domain.rates import TaxpayerKind
    from fapiao.invoicing.drafts import parse_draft
    from fapiao.invoicing.models import Invoice, InvoiceLine
    from fapiao.invoicing.services import invoice_issue
    from fapiao.invoicing.statements import summaries_rebuild
    from fapiao.invoicing.taxpayers import channel_create, taxpayer_create

    taxpayer = taxpayer_create(name="报表压测有限公司", tax_id="91420100MA4K5TQ3XG",
                               kind=TaxpayerKind.GENERAL, region="42", actor="bench")  # fmt: skip
    channel = channel_create(taxpayer=taxpayer, type=ChannelType.DIGITAL, name="数电",
                             actor="bench")  # fmt: skip
    lines = [{"name": f"服务{n}", "tax_code": "3040201010000000000", "rate": "6%",
              "amount": f"{100 + n * 10}"} for n in range(5)]  # fmt: skip
    template = invoice_issue(
        taxpayer=taxpayer, channel=channel, request_id=None, actor="bench",
        draft=parse_draft({"kind": "DIGITAL_ORDINARY", "buyer": {"name": "模板",
                           "individual": True}, "lines": lines}),
    )  # fmt: skip
    postgres = connection.vendor == "postgresql"
    prefix = template.number[:5]
    series = (
        f"SELECT g FROM generate_series(1, {count}) AS g"
        if postgres
        else f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {count}) "
        "SELECT g FROM s"
    )
    day = (f"(DATE '{START}' + (s.g %% {DAYS}))" if postgres
           else f"date('{START}', '+' || (s.g %% {DAYS}) || ' days')")  # fmt: skip
    at = (f"(TIMESTAMPTZ '{START} 10:00+08' + (s.g %% {DAYS}) * INTERVAL '1 day')" if postgres
          else f"datetime('{START} 02:00:00', '+' || (s.g %% {DAYS}) || ' days')")  # fmt: skip
    overrides = {
        # the 20 digits of a 数电 number: the block's prefix, then a 15-digit sequence
        "number": (
            f"'{prefix}' || RIGHT('000000000000000' || CAST(s.g + 1 AS TEXT), 15)"
            if postgres
            else f"'{prefix}' || substr('000000000000000' || CAST(s.g + 1 AS TEXT), -15)"
        ),
        "issued_on": day,
        "issued_at": at,
        "kind": "CASE WHEN s.g %% 4 = 0 THEN 'DIGITAL_SPECIAL' ELSE 'DIGITAL_ORDINARY' END",
        "status": "CASE WHEN s.g %% 50 = 0 THEN 'voided' ELSE 'issued' END",
        "buyer_name": "'购买方' || CAST(s.g %% 200 AS TEXT)",
        "drawer": "'开票员' || CAST(s.g %% 5 AS TEXT)",
        "request_id": "NULL",
    }
    columns = [f.column for f in Invoice._meta.concrete_fields if f.column != "id"]
    chosen = ", ".join(overrides.get(c, f"t.{c}") for c in columns)
    line_columns = [f.column for f in InvoiceLine._meta.concrete_fields if f.column != "id"]
    line_overrides = {
        "invoice_id": "i.id",
        "tax_code": "CASE (i.id + l.\"index\") %% 5 WHEN 0 THEN '3040201010000000000' "
        "WHEN 1 THEN '3070201020000000000' WHEN 2 THEN '2020000000000000000' "
        "WHEN 3 THEN '3070401000000000000' ELSE '3070402000000000000' END",
        "rate": "CASE WHEN (i.id + l.\"index\") %% 3 = 0 THEN '0.13' ELSE '0.06' END",
    }
    quoted = ", ".join(connection.ops.quote_name(c) for c in line_columns)
    chosen_lines = ", ".join(line_overrides.get(c, f"l.{connection.ops.quote_name(c)}")
                             for c in line_columns)  # fmt: skip
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO invoicing_invoice ({', '.join(columns)}) "
            f"SELECT {chosen} FROM invoicing_invoice t, ({series}) AS s WHERE t.id = %s",
            [template.pk],
        )
        cursor.execute(
            f"INSERT INTO invoicing_invoiceline ({quoted}) SELECT {chosen_lines} "
            "FROM invoicing_invoiceline l, invoicing_invoice i "
            "WHERE l.invoice_id = %s AND i.taxpayer_id = %s AND i.id <> %s",
            [template.pk, taxpayer.pk, template.pk],
        )
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    summaries_rebuild(taxpayer.pk)  # what the issuing transactions keep, made for the bulk load
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  loaded {count:,} invoices and {count * 5:,} lines in {loaded:.0f} s, their day "
          f"sums made in {time.perf_counter() - started:.0f} s")  # fmt: skip
    return taxpayer


def measure(count: int, runs: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fapiao.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from fapiao.domain.reporting import ReportPeriod, Span
    from fapiao.reports.selectors import report_of, trend_of

    call_command("migrate", verbosity=0)
    baseline = _commit_rate()
    taxpayer = _load(count)
    periods = {
        "monthly": ReportPeriod(Span.MONTHLY, date(2025, 6, 1), date(2025, 7, 1)),
        "annual": ReportPeriod(Span.ANNUAL, date(2025, 1, 1), date(2026, 1, 1)),
        "3 years": ReportPeriod(Span.RANGE, START, date(2027, 1, 1)),
    }
    for name, period in periods.items():
        for what, run in (("report", report_of), ("trend", trend_of)):
            run(taxpayer, period)  # warm
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                run(taxpayer, period)
                times.append((time.perf_counter() - started) * 1000)
            p95 = sorted(times)[math.ceil(len(times) * 0.95) - 1]
            commits = p95 * baseline / 1000
            print(f"  {connection.vendor:10s} {name:8s} {what:6s} p50 "
                  f"{statistics.median(times):7.0f} ms  p95 {p95:7.0f} ms | durable commits "
                  f"{baseline:6.0f}/s (p95 = the time of {commits:.0f} commits)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=0, help="default: 200,000 on SQLite, "
                        "1,000,000 on PostgreSQL")  # fmt: skip
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.inside:
        measure(options.invoices, options.runs)
        return
    databases = ["sqlite", "postgresql"] if options.database == "both" else [options.database]
    for database in databases:
        count = options.invoices or (200_000 if database == "sqlite" else 1_000_000)
        print(f"reports over {count:,} invoices of one taxpayer, 3 years ({database}):")
        with tempfile.TemporaryDirectory() as var:
            sqlite = f"sqlite:///{var}/bench.sqlite3"
            url = sqlite if database == "sqlite" else _postgresql("create")
            environment = {**os.environ, "FAPIAO_VAR_DIR": var, "FAPIAO_DATABASE_URL": url}
            try:
                subprocess.run(
                    [sys.executable, __file__, "--inside", "--invoices", str(count),
                     "--runs", str(options.runs)],
                    env=environment, check=True,
                )  # fmt: skip
            finally:
                if database == "postgresql":
                    _postgresql("drop")


if __name__ == "__main__":
    main()
