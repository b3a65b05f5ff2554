"""Issuing through the HTTP API against a production-style server: gunicorn with 2 workers on
PostgreSQL, several concurrent clients. Prints invoices/s, p50/p99 latency and the processor time
each request cost the server, the database and the clients; asserts nothing.

    python bench/api.py [--clients 8] [--seconds 20] [--workers 2]

PostgreSQL is reached at FAPIAO_TEST_PG_URL; the benchmark creates and drops its own database.
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import time
from functools import partial

from httpbench import gunicorn, own_database, run_clients

DATABASE = "fapiao_bench_api"
PORT = 8765
BODY = {
    "kind": "DIGITAL_ORDINARY",
    "channel": "数电",
    "mode": "inclusive",
    "buyer": {"name": "无锡市安协安全培训中心", "tax_id": "52320200509244470T"},
    "lines": [
        {"name": "软件开发服务", "tax_code": "3040201010000000000", "rate": "6%", "amount": "1060"},
        {"name": "培训费", "tax_code": "3070201020000000000", "rate": "6%", "quantity": "3",
         "unit_price": "250"},
        {"name": "修理修配劳务", "tax_code": "2020000000000000000", "rate": "13%",
         "quantity": "2", "unit_price": "113"},
        {"name": "住宿费", "tax_code": "3070402000000000000", "rate": "6%", "amount": "380"},
        {"name": "会议餐费", "tax_code": "3070401000000000000", "rate": "6%", "amount": "1280"},
    ],
}  # fmt: skip

SETUP = """
import django, os
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from decimal import Decimal
from fapiao.api.keys import apikey_create
from fapiao.domain.kinds import ChannelType
from fapiao.domain.rates import TaxpayerKind
from fapiao.core.roles import Role
from fapiao.invoicing.taxpayers import channel_create, taxpayer_create
taxpayer = taxpayer_create(name="湖北某某科技有限公司", tax_id="9132020013590404XW",
                           kind=TaxpayerKind.GENERAL, region="42", actor="bench")
channel_create(taxpayer=taxpayer, type=ChannelType.DIGITAL, name="数电", actor="bench")
print(apikey_create(taxpayer=taxpayer, name="bench", role=Role.ISSUER, actor="bench").plaintext)
"""


def client(key: str, stop: float, latencies: list[float], errors: list[int]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    body = json.dumps(BODY).encode()
    headers = {"Content-Type": "application/json", "X-API-Key": key, "Host": "localhost"}
    while time.perf_counter() < stop:
        started = time.perf_counter()
        connection.request("POST", "/api/v1/invoices", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status == 201:
            latencies.append(time.perf_counter() - started)
        else:
            errors.append(response.status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with own_database(DATABASE) as (_, env):
        setup = subprocess.run([sys.executable, "-c", SETUP], env=env, capture_output=True,
                               text=True, check=True)  # fmt: skip
        key = setup.stdout.strip().splitlines()[-1]
        with gunicorn(env, PORT, args.workers) as server:
            print(f"HTTP API, gunicorn {args.workers} workers, PostgreSQL, "
                  f"{args.clients} clients:")  # fmt: skip
            run_clients(partial(client, key), clients=args.clients, seconds=args.seconds,
                        unit="invoices", server=server, database=DATABASE)  # fmt: skip


if __name__ == "__main__":
    main()
