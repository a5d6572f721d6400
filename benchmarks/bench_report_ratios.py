"""Benchmark: the report commands against the workbook and the CLI funnel, as a person runs them.

Run: ``.venv/bin/python benchmarks/bench_report_ratios.py [--repeats N] [--db URL]``.

Times, interleaved round after round so all see the same machine, the commands
``python -m ete_metrics funnel`` and ``python -m ete_metrics report --format xlsx|pptx|pdf``
on a 45,000-referral demo database (built first, not timed; ``--db`` to use another).
Prints each one's median and range over N rounds (default 5) and the ratios of the
medians: goals, the deck and the PDF each within 2x the workbook, the workbook within
2x the funnel. A floor is timed with them: a process that only starts the chart browser
(Chromium with plotly.js) and draws one small chart, which a deck or PDF cannot go under.
Then, in this process, all three formats built by one
:func:`ete_metrics.present.report.build_reports` call (the figures worked out and the
charts drawn once) against the three built one by one with ``build_report``.
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
FORMATS = ("xlsx", "pptx", "pdf")
BROWSER_FLOOR = (
    "import plotly.graph_objects as go\n"
    "from ete_metrics.present.report.images import render_pngs\n"
    "render_pngs([go.Figure(go.Bar(x=['a', 'b'], y=[1, 2]))])"
)


def _time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _spread(name: str, times: list[float]) -> str:
    return (f"{name:34s} median {statistics.median(times):6.2f} s  range "
            f"{min(times):.2f}-{max(times):.2f} s")


def _one_call_against_three(url: str, repeats: int) -> None:
    sys.path.insert(0, str(ROOT))
    from ete_metrics.data import db
    from ete_metrics.present.report import build_report, build_reports

    engine = db.make_engine(url)
    try:
        frames = (db.load_participants(engine), db.load_milestones(engine), db.load_targets(engine))
        as_of = db.data_cutoff(engine)
    finally:
        engine.dispose()
    together, apart = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        build_reports(*frames, as_of=as_of, formats=FORMATS)
        together.append(time.perf_counter() - start)
        start = time.perf_counter()
        for fmt in FORMATS:
            build_report(*frames, as_of=as_of, fmt=fmt)
        apart.append(time.perf_counter() - start)
    print(_spread("three formats, one build_reports", together))
    print(_spread("three formats, build_report each", apart))
    print(f"one call / three calls (medians): {statistics.median(together) / statistics.median(apart):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--db", help="database URL (default: a new 45,000-referral demo)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ete_bench_reports_") as folder:
        url = args.db or f"sqlite:///{folder}/demo.db"
        if not args.db:
            subprocess.run([sys.executable, "-m", "ete_metrics", "demo", "--db", url], cwd=ROOT,
                           check=True, stdout=subprocess.DEVNULL)
        commands = {"ete_metrics funnel": [sys.executable, "-m", "ete_metrics", "funnel", "--db", url]}
        # the floor under any deck or PDF: a process that starts the chart browser (Chromium
        # with plotly.js loaded) and draws one small chart, with no data read and no report laid out
        commands["chart browser floor"] = [sys.executable, "-c", BROWSER_FLOOR]
        for fmt in FORMATS:
            commands[f"ete_metrics report --format {fmt}"] = [
                sys.executable, "-m", "ete_metrics", "report", "--format", fmt, "--quiet",
                "--out", f"{folder}/report.{fmt}", "--db", url,
            ]
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():
            _time(command)  # warm the file cache
        for _ in range(args.repeats):
            for name, command in commands.items():
                times[name].append(_time(command))
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.repeats} runs each")
        for name, taken in times.items():
            print(_spread(name, taken))
        median = {name: statistics.median(taken) for name, taken in times.items()}
        workbook = median["ete_metrics report --format xlsx"]
        print(f"deck / workbook:     {median['ete_metrics report --format pptx'] / workbook:.2f} (goal <= 2)")
        print(f"PDF / workbook:      {median['ete_metrics report --format pdf'] / workbook:.2f} (goal <= 2)")
        print(f"workbook / funnel:   {workbook / median['ete_metrics funnel']:.2f} (goal <= 2)")
        floor = median["chart browser floor"]
        print(f"chart browser floor / workbook: {floor / workbook:.2f} (what a deck or PDF pays before "
              f"its own work; at 2 or more the goal of 2 cannot be met with Kaleido)")
        _one_call_against_three(url, max(1, args.repeats // 2))


if __name__ == "__main__":
    main()
