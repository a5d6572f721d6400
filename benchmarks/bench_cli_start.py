"""Benchmark: how long ``python -m ete_metrics funnel`` takes, against the floor of its imports.

Run: ``.venv/bin/python benchmarks/bench_cli_start.py [--repeats N] [--db URL]``.

A person running the CLI waits for the interpreter, the imports and the work. The
floor is ``python -c "import pandas, sqlalchemy"`` (what any command that reads the
database must load), timed in the same run, alternating with the CLI so both see
the same machine. Prints each one's median and range over N runs (default 7) and
the ratio of the medians; the goal is at most 1.5. The CPU seconds (user + system) of
each are printed too: on a loaded machine they vary far less than the wall time. Without ``--db`` a 45,000-referral
demo database is built in a temporary folder first (not timed).
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

ROOT = Path(__file__).resolve().parents[1]


def _time(command: list[str], cpu: list[float] | None = None) -> float:
    """Wall seconds of one run; its CPU seconds (user + system, from ``wait4``) appended to ``cpu``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    took = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{' '.join(command)} failed")
    if cpu is not None:
        cpu.append(usage.ru_utime + usage.ru_stime)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--db", help="database URL (default: a new 45,000-referral demo)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{folder}/demo.db"
        if not args.db:
            subprocess.run([sys.executable, "-m", "ete_metrics", "demo", "--db", url], cwd=ROOT,
                           check=True, stdout=subprocess.DEVNULL)
        floor_command = [sys.executable, "-c", "import pandas, sqlalchemy"]
        cli_command = [sys.executable, "-m", "ete_metrics", "funnel", "--db", url]
        _time(floor_command), _time(cli_command)  # warm the file cache
        floor, cli, floor_cpu, cli_cpu = [], [], [], []
        for _ in range(args.repeats):
            floor.append(_time(floor_command, floor_cpu))
            cli.append(_time(cli_command, cli_cpu))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.repeats} runs each")
    for name, times in (("import pandas, sqlalchemy", floor), ("ete_metrics funnel", cli)):
        print(f"{name:28s} median {statistics.median(times):6.2f} s  range "
              f"{min(times):.2f}-{max(times):.2f} s")
    print(f"ratio (medians): {statistics.median(cli) / statistics.median(floor):.2f} (goal <= 1.5)")
    # CPU time barely depends on what else the machine runs: the same ratio, less noise
    print(f"CPU seconds: floor median {statistics.median(floor_cpu):.2f} "
          f"({min(floor_cpu):.2f}-{max(floor_cpu):.2f}), funnel {statistics.median(cli_cpu):.2f} "
          f"({min(cli_cpu):.2f}-{max(cli_cpu):.2f}); ratio "
          f"{statistics.median(cli_cpu) / statistics.median(floor_cpu):.2f}")


if __name__ == "__main__":
    main()
