"""Benchmark: ``match.match_rows`` against ``pd.Index.get_indexer`` for participant ids.

Does the fast id matcher (:mod:`ete_metrics.counting.match`) still pay? For the demo's
size (45,000 participants, 1.5 milestones each) and for 1,000,000 participants, ids in
shuffled and in sorted order and as Python objects and as ``string[pyarrow]``, both
lookups are run once to warm up and then five times alternately; the medians and
their ratio (matcher / get_indexer; below 1 means the matcher pays) are printed, and
the two results are checked to be identical. ``get_indexer`` is timed as the
library would have to call it: building the index from the ids each time.

Run: ``.venv/bin/python benchmarks/bench_match.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_funnel import REPEATS, time_pair  # noqa: E402

from ete_metrics.counting.match import match_rows  # noqa: E402


def ids_for(size: int, order: str, dtype: str, seed: int) -> tuple[pd.Series, pd.Series]:
    """Population ids (``P0000001`` style) and 1.5 event ids per participant."""
    rng = np.random.default_rng(seed)
    numbers = np.arange(1, size + 1) if order == "sorted" else rng.permutation(size) + 1
    ids = np.char.add("P", np.char.zfill(numbers.astype(str), 7)).astype(object)
    who = rng.integers(0, size, size * 3 // 2)
    return pd.Series(ids, dtype=dtype), pd.Series(ids[who], dtype=dtype)


def main() -> None:
    print(f"pandas {pd.__version__}; ratio = match_rows / get_indexer, median of {REPEATS}")
    for size in (45_000, 1_000_000):
        for order in ("shuffled", "sorted"):
            for dtype in ("object", "string[pyarrow]"):
                population, events = ids_for(size, order, dtype, seed=size)

                def fast() -> np.ndarray:
                    return match_rows(population, events)  # noqa: B023

                def exact() -> np.ndarray:
                    index = pd.Index(population)  # noqa: B023
                    return index.get_indexer(events).astype(np.int64)  # noqa: B023

                (fast_s, fast_out), (exact_s, exact_out) = time_pair(fast, exact)
                if not np.array_equal(fast_out, exact_out):
                    raise SystemExit(f"results differ at {size:,} {order} {dtype}")
                print(
                    f"{size:>9,} ids {order:>8} {dtype:>15}: match_rows {fast_s * 1000:7.1f} ms"
                    f"  get_indexer {exact_s * 1000:7.1f} ms  ratio {fast_s / exact_s:.2f}"
                )


if __name__ == "__main__":
    main()
