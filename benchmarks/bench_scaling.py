"""Benchmark: how the CLI funnel, the deck and a dashboard rerun grow with the number of people.

Run: ``.venv/bin/python benchmarks/bench_scaling.py [--sizes 45000 200000 1000000] [--repeats 3]``.

For each size a demo database is built (``python -m ete_metrics demo --participants N``,
not timed), then, interleaved round after round, each in a process of its own:

- ``python -m ete_metrics funnel`` (the whole command);
- ``python -m ete_metrics report --format pptx`` (the deck, charts included);
- the dashboard (AppTest of ``app.py``): the first run (the data read and the Overview
  worked out), then a rerun after choosing a region in the sidebar (the Overview worked
  out again on the filtered data). The rerun's own time is what is reported as
  "dashboard rerun"; the process's peak memory covers both runs.

Prints for each the median time and its range and the median peak memory (the process's
maximum resident set, from ``wait4``), then how each grows from the smallest size to each
larger one against the growth in people: a growth ratio at or under 1 is linear or better.
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

DASHBOARD = """\
import sys, time
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=1200)
at.run()
assert not at.exception, [e.value for e in at.exception]
box = next(m for m in at.sidebar.multiselect if m.label == "Regions")
box.set_value([box.options[0]])
start = time.perf_counter()
at.run()
took = time.perf_counter() - start
assert not at.exception, [e.value for e in at.exception]
print(took)
"""


def _run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Seconds, peak resident memory (MiB) and standard output of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    took = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{' '.join(command[:5])}... failed ({process.returncode})")
    return took, usage.ru_maxrss / 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[45_000, 200_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results: dict[tuple[str, int], tuple[list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="ete_bench_scaling_") as folder:
        urls = {}
        for size in args.sizes:
            urls[size] = f"sqlite:///{folder}/demo_{size}.db"
            subprocess.run([sys.executable, "-m", "ete_metrics", "demo", "--participants", str(size),
                            "--db", urls[size]], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        for _ in range(args.repeats):
            for size, url in urls.items():
                work = {
                    "CLI funnel": ([sys.executable, "-m", "ete_metrics", "funnel", "--db", url], None),
                    "deck (CLI report pptx)": (
                        [sys.executable, "-m", "ete_metrics", "report", "--format", "pptx", "--quiet",
                         "--out", f"{folder}/deck.pptx", "--db", url], None),
                    "dashboard rerun": (
                        [sys.executable, "-c", DASHBOARD],
                        {**os.environ, "ETE_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}),
                }
                for name, (command, env) in work.items():
                    took, peak, out = _run(command, env)
                    if name == "dashboard rerun":
                        took = float(out.strip().splitlines()[-1])
                    times, peaks = results.setdefault((name, size), ([], []))
                    times.append(took)
                    peaks.append(peak)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.repeats} runs each")
    smallest = args.sizes[0]
    for name in ("CLI funnel", "deck (CLI report pptx)", "dashboard rerun"):
        print(name)
        base_time = statistics.median(results[(name, smallest)][0])
        base_peak = statistics.median(results[(name, smallest)][1])
        for size in args.sizes:
            times, peaks = results[(name, size)]
            time_median, peak_median = statistics.median(times), statistics.median(peaks)
            growth = size / smallest
            print(f"  {size:>9,} people: {time_median:7.2f} s (range {min(times):.2f}-{max(times):.2f}),"
                  f" peak {peak_median:7.0f} MiB; x{growth:.1f} people -> time x{time_median / base_time:.2f}"
                  f" (ratio {time_median / base_time / growth:.2f}), memory x{peak_median / base_peak:.2f}"
                  f" (ratio {peak_median / base_peak / growth:.2f})")


if __name__ == "__main__":
    main()
