"""Timing of the cohort, time-to-outcome, partner, equality and data-quality metrics.

Run: .venv/bin/python benchmarks/bench_c2_metrics.py [n_participants ...]
Prints seconds per call (best of 3) on the deterministic demo programme.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ete_metrics.counting.scope import Scope
from ete_metrics.data.demo import generate_demo
from ete_metrics.data.quality import data_quality
from ete_metrics.metrics.cohorts import cohort_curves, cumulative_incidence
from ete_metrics.metrics.equality import equality
from ete_metrics.metrics.partners import delivery_partners, employers, prisons, training_providers
from ete_metrics.metrics.time_to_outcome import time_to_outcome

AS_OF = "2023-08-16"

CALLS = {
    "cohort_curves(entry_month, training)": lambda p, m: cohort_curves(Scope(p, m, as_of=AS_OF)),
    "cohort_curves(entry_quarter, work)": lambda p, m: cohort_curves(Scope(p, m, as_of=AS_OF), cohort="entry_quarter", outcome="work"),
    "cumulative_incidence(work)": lambda p, m: cumulative_incidence(Scope(p, m, as_of=AS_OF), outcome="work"),
    "cumulative_incidence(by region)": lambda p, m: cumulative_incidence(Scope(p, m, as_of=AS_OF), by="region"),
    "time_to_outcome(by region)": lambda p, m: time_to_outcome(Scope(p, m, as_of=AS_OF), by="region"),
    "delivery_partners": lambda p, m: delivery_partners(Scope(p, m, as_of=AS_OF)),
    "prisons": lambda p, m: prisons(Scope(p, m, as_of=AS_OF)),
    "training_providers": lambda p, m: training_providers(Scope(p, m, as_of=AS_OF)),
    "employers": lambda p, m: employers(Scope(p, m, as_of=AS_OF)),
    "equality(work)": lambda p, m: equality(Scope(p, m, as_of=AS_OF)),
    "data_quality": lambda p, m: data_quality(p, m, as_of=AS_OF),
}


def main(sizes: list[int]) -> None:
    for n in sizes:
        demo = generate_demo(n)
        p, m = demo.participants, demo.milestones
        print(f"n_participants={n:,} milestones={len(m):,}")
        for name, call in CALLS.items():
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                call(p, m)
                best = min(best, time.perf_counter() - start)
            print(f"  {name:<40} {best:8.3f} s")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [45_000, 1_000_000])
