"""Benchmark: a full deck, pack and workbook for the 45,000-referral demo.

Run: ``.venv/bin/python benchmarks/bench_report.py [--repeats N] [--as-of YYYY-MM-DD]``.

Prints, per audience and format, the median and the range of N builds (default 5)
of :func:`ete_metrics.present.report.build_report` — content, charts (Kaleido with the
system Chromium) and layout, as the CLI and the app's download buttons do; the
target is under 30 s each. Also prints the machine's load average, since charts
are drawn by a browser and slow down when other work shares the cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ete_metrics.data.demo import generate_demo  # noqa: E402
from ete_metrics.present.report import build_report  # noqa: E402

AS_OF = date(2024, 5, 31)  # the demo's cut-off: every view has its full history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="builds per format (default 5)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF)
    args = parser.parse_args()

    demo = generate_demo()
    print(f"demo: {len(demo.participants):,} referrals, as at {args.as_of.isoformat()}, "
          f"{args.repeats} builds each; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'audience':12s} {'format':6s} {'median':>8s} {'min':>7s} {'max':>7s} {'size':>8s}")
    for audience in ("internal", "stakeholder"):
        for fmt in ("pptx", "pdf", "xlsx"):
            seconds: list[float] = []
            size = 0
            for _ in range(args.repeats):
                start = time.perf_counter()
                data = build_report(
                    demo.participants, demo.milestones, demo.targets,
                    as_of=args.as_of, audience=audience, fmt=fmt,
                )
                seconds.append(time.perf_counter() - start)
                size = len(data)
            print(f"{audience:12s} {fmt:6s} {statistics.median(seconds):7.2f}s {min(seconds):6.2f}s "
                  f"{max(seconds):6.2f}s {size / 1e6:6.2f}MB")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
