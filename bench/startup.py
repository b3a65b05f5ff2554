"""Start-up time of read-only commands and of the worker's first round: `fapiao list`,
`fapiao show`, `fapiao worker --once`, on a demo database (SQLite). Prints the best and the
median of several runs beside, as the baseline measured in the same run, the interpreter's own
start and Django's set-up of the project (this machine's speed varies ~2x between runs:
compare the commands with the set-up). Target: at most 0.6 s for each command. Asserts nothing.

    python bench/startup.py [--runs 7]
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

FAPIAO = [sys.executable, "-m", "fapiao"]
SETUP = (
    "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'fapiao.settings'; "
    "import django; django.setup()"
)


def _times(command: list[str], env: dict[str, str], runs: int) -> list[float]:
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        spent.append(time.perf_counter() - started)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        env = {**os.environ, "FAPIAO_VAR_DIR": directory}
        env["FAPIAO_DATABASE_URL"] = f"sqlite:///{Path(directory) / 'startup.sqlite3'}"
        subprocess.run([*FAPIAO, "migrate", "-v0"], env=env, check=True)
        subprocess.run([*FAPIAO, "demo", "--json"], env=env, check=True, capture_output=True)
        number = (
            subprocess.run(
                [*FAPIAO, "list", "--json"], env=env, check=True, capture_output=True, text=True
            )
            .stdout.split('"number": "')[1]
            .split('"')[0]
        )
        rows = [
            ("python -c pass (baseline)", [sys.executable, "-c", "pass"]),
            ("django.setup() of the project (baseline)", [sys.executable, "-c", SETUP]),
            ("fapiao list", [*FAPIAO, "list"]),
            (f"fapiao show {number}", [*FAPIAO, "show", number]),
            ("fapiao worker --once", [*FAPIAO, "worker", "--once"]),
        ]
        print(f"start-up, best and median of {args.runs} runs (target: commands at most 0.6 s):")
        setup = 0.0
        for label, command in rows:
            spent = _times(command, env, args.runs)
            best, median = min(spent), statistics.median(spent)
            if "django.setup" in label:
                setup = best
            ratio = (
                f"  ({best / setup:4.2f}× the set-up)" if setup and "baseline" not in label else ""
            )
            print(f"  {label:<42} best {best:5.2f} s   median {median:5.2f} s{ratio}")


if __name__ == "__main__":
    main()
