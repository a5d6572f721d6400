"""Benchmark: ``match.match_rows`` against ``pd.Index.get_indexer`` for participant ids.

Does the fast id matcher (:mod:`ete_metrics.counting.match`) still pay? For the demo's
size (45,000 participants, 1.5 milestones each) and for 1,000,000 participants, ids in
shuffled and in sorted order, in each dtype ids arrive in:

- ``object``: Python strings, the milestones' ids separate string objects from the
  participants' (as read from a file or a database);
- ``object, shared``: Python strings, the milestones' ids the very same string objects
  as the participants' (frames built in Python from one list of ids: the best case for
  ``get_indexer``, which then compares object identities and cached hashes);
- ``str`` (pandas' default text, Arrow-backed) and ``string[pyarrow]``;
- ``int64``: ids as numbers, which the matcher looks up with ``get_indexer`` itself (the
  ratio shows it costs nothing extra).

Both lookups are run once to warm up and then five times alternately; the medians and
their ratio (matcher / get_indexer; below 1 means the matcher pays) are printed, and
the two results are checked to be identical. ``get_indexer`` is timed as the library
would have to call it: building the index from the ids each time.

Run: ``.venv/bin/python benchmarks/bench_match.py`` (add ``45000`` or ``1000000`` for one size).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_funnel import REPEATS, time_pair  # noqa: E402

from ete_metrics.counting.match import match_rows  # noqa: E402

DTYPES = ("object", "object, shared", "str", "string[pyarrow]", "int64")


def ids_for(size: int, order: str, dtype: str, seed: int) -> tuple[pd.Series, pd.Series]:
    """Population ids (``P0000001`` style) and 1.5 event ids per participant."""
    rng = np.random.default_rng(seed)
    numbers = np.arange(1, size + 1) if order == "sorted" else rng.permutation(size) + 1
    who = rng.integers(0, size, size * 3 // 2)

    def text(values: np.ndarray) -> np.ndarray:
        return np.char.add("P", np.char.zfill(values.astype(str), 7)).astype(object)

    if dtype == "int64":  # ids as numbers (the matcher hands these to get_indexer)
        return pd.Series(numbers, dtype=dtype), pd.Series(numbers[who], dtype=dtype)
    ids = text(numbers)
    if dtype == "object, shared":
        return pd.Series(ids, dtype=object), pd.Series(ids[who], dtype=object)
    return pd.Series(ids, dtype=dtype), pd.Series(text(numbers[who]), dtype=dtype)


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [45_000, 1_000_000]
    print(f"pandas {pd.__version__}; ratio = match_rows / get_indexer, median of {REPEATS}")
    for size in sizes:
        for order in ("shuffled", "sorted"):
            for dtype in DTYPES:
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
