"""Benchmark: the hand-written id matcher against the libraries that could replace it.

Does :mod:`ete_metrics.counting.match` (an open-addressing hash table over the ids'
bytes) still pay, against, in the same run:

- ``pyarrow.compute.index_in`` (Arrow's own hash lookup of strings);
- ``pd.Index.get_indexer`` (pandas' hash lookup, the exact fallback the matcher keeps);
- ids coded as integers once where the data is loaded (``pd.factorize`` of the
  participants' and the milestones' ids together, timed as "coding at load"), after
  which a lookup is one NumPy gather (timed as "integer lookup", the floor: no
  matcher can do less).

Part 1 times one lookup (population ids, 1.5 event ids per participant) at a page's
size (45,000 referrals) and the CLI's (1,000,000), ids shuffled and sorted (the
database returns them sorted), as pandas' default ``str`` (Arrow-backed, what
:mod:`ete_metrics.data.db` reads) and as Python ``object`` strings (a CSV read with
the Python engine). Part 2 times what a person waits for: the funnel by region
(``ete_metrics.metrics.funnel``, which matches the milestones' ids once) with the
hand-written matcher and with ``index_in`` put in its place, against DuckDB running
the same funnel as SQL on the same frames (the floor of ``bench_funnel.py``, whose
requirement is ours / DuckDB <= 1.0). Each pair is warmed up once, then timed
alternately (median of five); every result is checked identical to ``get_indexer``'s
and the funnels' counts to DuckDB's.

Run: ``.venv/bin/python benchmarks/bench_match.py`` (add ``45000`` or ``1000000`` for one size).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_funnel  # noqa: E402
from bench_funnel import REPEATS, time_pair  # noqa: E402

from ete_metrics.counting import population as population_module  # noqa: E402
from ete_metrics.counting.match import PreparedIds, match_rows  # noqa: E402

DTYPES = ("str", "object")


def ids_for(size: int, order: str, dtype: str, seed: int) -> tuple[pd.Series, pd.Series]:
    """Population ids (``P0000001`` style) and 1.5 event ids per participant."""
    rng = np.random.default_rng(seed)
    numbers = np.arange(1, size + 1) if order == "sorted" else rng.permutation(size) + 1
    who = rng.integers(0, size, size * 3 // 2)

    def text(values: np.ndarray) -> np.ndarray:
        return np.char.add("P", np.char.zfill(values.astype(str), 7)).astype(object)

    return pd.Series(text(numbers), dtype=dtype), pd.Series(text(numbers[who]), dtype=dtype)


def _arrow(ids: pd.Series | pd.Index | np.ndarray, positions: np.ndarray | None = None) -> pa.Array:
    """The ids as one Arrow string array (at the positions)."""
    values = getattr(ids, "array", ids)
    try:
        arrow = pa.array(values)
    except (pa.ArrowException, TypeError):
        arrow = pa.array(np.asarray(ids, dtype=object), type=pa.string())
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    return arrow if positions is None else arrow.take(pa.array(positions))


def index_in(population: Any, events: Any) -> np.ndarray:
    """``match_rows`` by ``pyarrow.compute.index_in`` (-1 where absent)."""
    found = pc.index_in(_arrow(events), value_set=_arrow(population))
    return found.fill_null(-1).to_numpy().astype(np.int64)


class ArrowPopulationIds:
    """:class:`ete_metrics.counting.match.PopulationIds` by ``index_in``, for part 2."""

    def __init__(self, prepared: PreparedIds) -> None:
        self._values = _arrow(prepared.ids, prepared.positions)

    def rows_of(self, events: PreparedIds) -> np.ndarray:
        found = pc.index_in(_arrow(events.ids, events.positions), value_set=self._values)
        return found.fill_null(-1).to_numpy().astype(np.int64)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def lookups(size: int) -> None:
    """Part 1: one lookup by each means."""
    for order in ("shuffled", "sorted"):
        for dtype in DTYPES:
            population, events = ids_for(size, order, dtype, seed=size)

            def coded() -> tuple[np.ndarray, np.ndarray, int]:
                codes, uniques = pd.factorize(pd.concat([population, events], ignore_index=True))  # noqa: B023
                return codes[: len(population)], codes[len(population) :], len(uniques)  # noqa: B023

            (code_s, (pop_codes, event_codes, count)), (exact_s, exact) = time_pair(
                coded,
                lambda: pd.Index(population).get_indexer(events).astype(np.int64),  # noqa: B023
            )

            def integer() -> np.ndarray:
                row_of = np.full(count, -1, dtype=np.int64)  # noqa: B023
                row_of[pop_codes] = np.arange(len(pop_codes))  # noqa: B023
                return row_of[event_codes]  # noqa: B023

            (ours_s, ours), (arrow_s, arrow) = time_pair(
                lambda: match_rows(population, events),  # noqa: B023
                lambda: index_in(population, events),  # noqa: B023
            )
            (floor_s, floor), _ = time_pair(integer, integer)
            for name, got in (("match_rows", ours), ("index_in", arrow), ("integer codes", floor)):
                if not np.array_equal(got, exact):
                    raise SystemExit(f"{name} differs from get_indexer at {size:,} {order} {dtype}")
            print(
                f"{size:>9,} ids {order:>8} {dtype:>6}: match_rows {_ms(ours_s)}  index_in {_ms(arrow_s)}"
                f"  get_indexer {_ms(exact_s)}  coding at load {_ms(code_s)}  integer lookup {_ms(floor_s)}"
                f"  | index_in / match_rows {arrow_s / ours_s:4.1f}"
                f"  match_rows / floor {ours_s / floor_s:5.1f}"
            )


def funnels(size: int) -> None:
    """Part 2: the funnel by region with each matcher, against DuckDB."""
    import duckdb

    bench_funnel.N_PARTICIPANTS, bench_funnel.N_MILESTONES = size, size * 3 // 2
    participants, milestones = bench_funnel.make_data("sorted")
    participants = participants.astype({"participant_id": "str", "region": "category"})
    milestones = milestones.astype(
        {"participant_id": "str", "milestone": "category", "partner": "category"}
    )
    con = duckdb.connect()
    con.register("participants", participants)
    con.register("milestones", milestones)
    as_of = bench_funnel.AS_OF

    def ours(matcher: type) -> Callable[[], pd.DataFrame]:
        def run() -> pd.DataFrame:
            population_module.PopulationIds = matcher  # type: ignore[misc,assignment]
            return bench_funnel.funnel(participants, milestones, as_of=as_of, by=["region"])

        return run

    original = population_module.PopulationIds
    hand, arrow = ours(original), ours(ArrowPopulationIds)
    duck = lambda: con.execute(bench_funnel.DUCKDB_SQL, {"as_of": as_of.to_pydatetime()}).df()  # noqa: E731
    (hand_s, hand_out), (arrow_s, arrow_out) = time_pair(hand, arrow)
    (duck_s, _), _ = time_pair(duck, duck)
    population_module.PopulationIds = original  # type: ignore[misc,assignment]
    pd.testing.assert_frame_equal(hand_out, arrow_out)
    print(
        f"{size:>9,} referrals, funnel by region: hand-written {_ms(hand_s)}  index_in {_ms(arrow_s)}"
        f"  DuckDB (floor) {_ms(duck_s)}  | ratio to floor: hand-written {hand_s / duck_s:4.2f}"
        f"  index_in {arrow_s / duck_s:4.2f}  (bench_funnel requires <= 1.0)"
    )


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [45_000, 1_000_000]
    started = time.perf_counter()
    print(
        f"pandas {pd.__version__}  pyarrow {pa.__version__}; median of {REPEATS} runs each; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print("Part 1: one lookup, 1.5 event ids per participant id")
    for size in sizes:
        lookups(size)
    print("Part 2: what a person waits for (ids as the database reads them: sorted, str)")
    for size in sizes:
        funnels(size)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
