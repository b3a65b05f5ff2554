"""Backup and verified restore at scale: one taxpayer with many invoices (5 lines each, loaded by
SQL as in bench/reports.py), backed up while the database is live, then restored into an empty
database of the same engine in a process of its own (migrate, load, ledger and audit verify,
counts and heads compared). Prints the time and size of each beside the database's
durable-commit rate measured in the same run (this machine's speed varies ~2x between runs:
compare ratios). Asserts nothing.

    python bench/backup.py [--invoices 1000000] [--database postgresql|sqlite]

The bulk-loaded invoices carry no history events, so the restore's ledger check reports them;
the figure that matters is the time it takes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog import PG_URL, _commit_rate
from reports import _load

RESTORED_DB = "fapiao_bench_restored"


def _database(name: str, action: str) -> str:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if action == "create":
            connection.execute(f"CREATE DATABASE {name}")
    return PG_URL.rsplit("/", 1)[0] + f"/{name}"


def measure(count: int, var: str, target: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fapiao.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from fapiao.backups.archive import keypair
    from fapiao.backups.services import backup_create

    call_command("migrate", verbosity=0)
    baseline = _commit_rate()
    _load(count)
    identity, recipient = keypair()
    (Path(var) / "identity.txt").write_text(identity)
    started = time.perf_counter()
    backup = backup_create(destinations=[Path(var) / "backups"], recipients=[recipient])
    took = time.perf_counter() - started
    rows = sum(backup.counts.values())
    print(f"  {connection.vendor}: backup of {rows:,} rows in {took:.0f} s, "
          f"{backup.size / 2**20:.0f} MB encrypted ({backup.size / count:.0f} bytes an invoice) | "
          f"durable commits {baseline:.0f}/s (the backup took the time of "
          f"{took * baseline:,.0f} commits)")  # fmt: skip
    env = {**os.environ, "FAPIAO_DATABASE_URL": target, "FAPIAO_VAR_DIR": var}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "fapiao", "restore", backup.destinations[0], "--identity",
         str(Path(var) / "identity.txt"), "--no-renumber", "--json"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    took = time.perf_counter() - started
    answer = json.loads(done.stdout or "{}")
    if "manifest" not in answer:
        print(f"  the restore failed: {answer.get('message') or done.stderr[-500:]}")
    counted = answer.get("manifest", {}).get("counts", {}) == backup.counts
    print(f"  {connection.vendor}: verified restore into an empty database in {took:.0f} s "
          f"({rows / took:,.0f} rows/s; counts as the manifest: {counted}; checks found "
          f"{len(answer.get('problems', []))} problems) | the time of "
          f"{took * baseline:,.0f} durable commits")  # fmt: skip
    print(f"    by step (s): {answer.get('seconds')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--inside", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.inside:
        measure(options.invoices, *options.inside)
        return
    print(f"backup and verified restore of {options.invoices:,} invoices ({options.database}):")
    with tempfile.TemporaryDirectory() as var:
        os.environ["BENCH_KEEP"] = var
        if options.database == "sqlite":
            source, target = f"sqlite:///{var}/bench.sqlite3", f"sqlite:///{var}/restored.sqlite3"
        else:
            source = _database("fapiao_bench", "create")
            target = _database(RESTORED_DB, "create")
        try:
            subprocess.run(
                [sys.executable, __file__, "--inside", var, target, "--invoices",
                 str(options.invoices)],
                env={**os.environ, "FAPIAO_VAR_DIR": var, "FAPIAO_DATABASE_URL": source},
                check=True,
            )  # fmt: skip
        finally:
            if options.database == "postgresql":
                _database("fapiao_bench", "drop")
                _database(RESTORED_DB, "drop")


if __name__ == "__main__":
    main()
