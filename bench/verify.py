"""查验 through the authority's HTTP API against a registry of 1,000,000 invoices on PostgreSQL
(gunicorn, 2 workers × 2 threads, several concurrent clients), and the upload throughput of the
outbox worker. Prints requests/s, p50/p99 latency and uploads/s; asserts nothing.

    python bench/verify.py [--registry 1000000] [--clients 8] [--seconds 20] [--uploads 3000]
                           [--workers 2] [--threads 2]

The authority runs as a service of its own (``FAPIAO_AUTHORITY_URL`` on the taxpayer side), so
it is served as that service would be: gthread workers, which keep the public's connections
alive (the sync worker closes each after one answer, and 查验 answers are short).

PostgreSQL is reached at FAPIAO_TEST_PG_URL; the benchmark creates and drops its own database.
The registry is one real uploaded invoice (signed, with its receipt) copied by SQL under a
million other numbers, so every check reads a real row, counts it and verifies its signature.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import subprocess
import sys
import time
from functools import partial

import psycopg

from httpbench import gunicorn, own_database, run_clients

DATABASE = "fapiao_bench_verify"
PORT = 8766

SETUP = """
import django, json, sys, time
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from datetime import date
from decimal import Decimal
from fapiao.authority.client import EmbeddedClient
from fapiao.domain.kinds import ChannelType, DeviceKind, InvoiceKind
from fapiao.domain.rates import TaxpayerKind
from fapiao.invoicing.taxpayers import (
    channel_create,
    monitoring_set,
    stock_receive,
    taxpayer_create,
)
from fapiao.invoicing.drafts import parse_draft
from fapiao.invoicing.services import invoice_issue
from fapiao.invoicing.uploads import upload_flush

uploads = int(sys.argv[1])
taxpayer = taxpayer_create(name="湖北某某科技有限公司", tax_id="9132020013590404XW",
                           kind=TaxpayerKind.GENERAL, region="42", actor="bench")
device = channel_create(taxpayer=taxpayer, type=ChannelType.DEVICE, name="UKey",
                        device_number="661900000001", device_kind=DeviceKind.UKEY, actor="bench")
kind = InvoiceKind.VAT_ORDINARY_ELECTRONIC
monitoring_set(channel=device, kind=kind, lock_date=date(2099, 1, 1),
               single_limit=Decimal("1e9"), offline_hours=10**6, offline_amount=Decimal("1e12"),
               source="bench", actor="bench")
stock_receive(channel=device, kind=kind, code="042002600111", first=1, last=uploads,
              received_from="bench", actor="bench")
draft = {"kind": kind.value, "buyer": {"name": "无锡市安协安全培训中心"},
         "lines": [{"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%",
                    "amount": str(100 + n)} for n in range(5)]}
for _ in range(uploads):
    invoice_issue(taxpayer=taxpayer, channel=device, draft=parse_draft(draft), request_id=None,
                  actor="bench")
started = time.perf_counter()
flushed = upload_flush(client=EmbeddedClient())
elapsed = time.perf_counter() - started
print(json.dumps({"uploads": flushed.accepted, "seconds": elapsed}))
"""

FILL = """
INSERT INTO authority_registryinvoice (taxpayer_id, kind, code, number, issued_at, issued_on,
    amount, tax, total, check_code, buyer_name, buyer_tax_id, device_number, status, blue_id,
    red_total, content, digest, signature, key_id, received_at, changed_at)
SELECT taxpayer_id, kind, '042002600211', lpad(g::text, 8, '0'), issued_at, issued_on, amount,
    tax, total, check_code, buyer_name, buyer_tax_id, device_number, status, NULL, red_total,
    content, digest, signature, key_id, received_at, changed_at
FROM authority_registryinvoice, generate_series(1, %s) AS g
WHERE id = (SELECT min(id) FROM authority_registryinvoice)
"""


def client(template: dict[str, str], size: int, stop: float, latencies: list[float],
           errors: list[int]) -> None:  # fmt: skip
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"Content-Type": "application/json", "Host": "localhost"}
    pick = random.Random()
    while time.perf_counter() < stop:
        body = {**template, "number": f"{pick.randint(1, size):08d}"}
        started = time.perf_counter()
        try:
            connection.request("POST", "/authority/v1/verify", json.dumps(body), headers)
            response = connection.getresponse()
            answer = json.loads(response.read())
        except (OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            errors.append(0)
            continue
        if response.status == 200 and answer["outcome"] == "一致":
            latencies.append(time.perf_counter() - started)
        else:
            errors.append(response.status)


def build_registry(url: str, size: int) -> dict[str, str]:
    """Copy the one uploaded invoice under ``size`` more numbers; the inputs that match them."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(FILL, [size])
        db.execute("ANALYZE")
        row = db.execute(
            "SELECT issued_on, check_code FROM authority_registryinvoice LIMIT 1"
        ).fetchone()
    assert row is not None
    print(f"registry of {size:,} more invoices built in {time.perf_counter() - started:.0f} s")
    return {"code": "042002600211", "issued_on": str(row[0]), "check6": row[1][-6:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--registry", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="threads per worker (gthread)")
    parser.add_argument("--uploads", type=int, default=3000)
    args = parser.parse_args()
    with own_database(DATABASE) as (url, env):
        setup = subprocess.run([sys.executable, "-c", SETUP, str(args.uploads)], env=env,
                               capture_output=True, text=True, check=True)  # fmt: skip
        uploaded = json.loads(setup.stdout.strip().splitlines()[-1])
        print(f"outbox worker, embedded authority, PostgreSQL, {uploaded['uploads']} uploads:")
        print(f"  {uploaded['uploads'] / uploaded['seconds']:7.1f} invoices/s")
        template = build_registry(url, args.registry)
        with gunicorn(env, PORT, args.workers, args.threads) as server:
            print(f"查验 over HTTP, gunicorn {args.workers} workers × {args.threads} threads, "
                  f"PostgreSQL, {args.clients} clients, "
                  f"registry {args.registry + uploaded['uploads']:,}:")  # fmt: skip
            run_clients(partial(client, template, args.registry), clients=args.clients,
                        seconds=args.seconds, unit="checks", server=server,
                        database=DATABASE)  # fmt: skip


if __name__ == "__main__":
    main()
