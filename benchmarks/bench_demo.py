"""Benchmark: seconds to generate the demo programme at 45,000 and 1,000,000 referrals.

Run with ``.venv/bin/python benchmarks/bench_demo.py`` from the repository root.
Prints one line per size: referrals, participants/milestones/targets rows,
wall-clock seconds (best of the repeats) and the peak traced memory in MB.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ete_metrics.data.demo import generate_demo  # noqa: E402

SIZES: tuple[tuple[int, int], ...] = ((45_000, 5), (1_000_000, 2))


def main() -> None:
    """Time :func:`generate_demo` at each size and print the figures."""
    generate_demo(1_000)  # warm imports and caches
    for size, repeats in SIZES:
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            programme = generate_demo(size)
            best = min(best, time.perf_counter() - start)
        del programme
        tracemalloc.start()
        programme = generate_demo(size)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"generate_demo({size:>9,}): {best:6.2f} s (best of {repeats}), "
            f"peak {peak / 1e6:,.0f} MB; rows: participants {len(programme.participants):,}, "
            f"milestones {len(programme.milestones):,}, targets {len(programme.targets):,}"
        )
        del programme


if __name__ == "__main__":
    main()
