"""Benchmark: ``funnel(..., by=["region"])`` against DuckDB running the same funnel as SQL.

1,000,000 participants with ``P0000001`` style ids and 1,500,000 milestones are generated
with numpy, then run in several variants of the same frames, as real extracts differ:
ids in shuffled or in sorted order, and the text columns (ids, region, milestone,
partner) as Python objects (each value its own string object, as ``astype(object)``
makes them), as pandas' default ``str``, as ``string[pyarrow]``, or
region/milestone/partner as categoricals with the ids as Python objects or as ``str``. Both engines work on the
same DataFrames in one process (DuckDB reads them as registered views). For each
variant both are run once to warm up and then five times, alternating; the medians and
their ratio (ours / DuckDB, requirement <= 1.0) are printed, the counts of the two are
checked to be identical, and the peak resident memory is printed at the end.

Run: ``.venv/bin/python benchmarks/bench_funnel.py`` (all variants) or
``... bench_funnel.py sorted:categorical`` (the variants named).
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ete_metrics.counting.scope import Scope
from ete_metrics.metrics.funnel import funnel  # noqa: E402

N_PARTICIPANTS = 1_000_000
N_MILESTONES = 1_500_000
AS_OF = pd.Timestamp("2023-08-16")
REPEATS = 5

DUCKDB_SQL = """
WITH pop AS (
    SELECT participant_id, COALESCE(region, 'Not recorded') AS region, entry_date
    FROM participants
    WHERE entry_date IS NOT NULL AND entry_date <= $as_of
),
counted AS (
    SELECT m.participant_id,
           bool_or(m.milestone = 'training_start') AS training,
           bool_or(m.milestone = 'job_start') AS work
    FROM milestones m JOIN pop p ON m.participant_id = p.participant_id
    WHERE m.milestone IN ('training_start', 'job_start')
      AND m.date >= p.entry_date AND m.date <= $as_of
    GROUP BY m.participant_id
)
SELECT p.region,
       count(*) AS entered,
       count(*) FILTER (WHERE c.training) AS training,
       count(*) FILTER (WHERE c.work) AS work
FROM pop p LEFT JOIN counted c ON p.participant_id = c.participant_id
GROUP BY p.region
ORDER BY p.region
"""


PARTICIPANT_TEXT = ("participant_id", "region")
MILESTONE_TEXT = ("participant_id", "milestone", "partner")
ORDERS = ("shuffled", "sorted")
TEXTS = ("object", "str", "string[pyarrow]", "categorical", "categorical, str ids")


def make_data(order: str = "shuffled", seed: int = 20230816) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate the synthetic participants and milestones (text as pandas' default ``str``).

    ``order`` is ``"shuffled"`` (ids in random order) or ``"sorted"`` (in id order).
    """
    rng = np.random.default_rng(seed)
    numbers = rng.permutation(N_PARTICIPANTS) + 1
    if order == "sorted":
        numbers = np.sort(numbers)
    ids = np.char.add("P", np.char.zfill(numbers.astype(str), 7))
    start = np.datetime64("2021-06-01", "D")
    referral = start + rng.integers(0, 900, N_PARTICIPANTS).astype("timedelta64[D]")
    delay = rng.integers(0, 60, N_PARTICIPANTS).astype("timedelta64[D]")
    entry = (referral + delay).astype("datetime64[ns]")
    entered = rng.random(N_PARTICIPANTS) < 0.3
    entry[~entered] = np.datetime64("NaT")
    regions = np.array(["London", "North West", "West Midlands", "Wales"], dtype=object)
    region = regions[rng.integers(0, 4, N_PARTICIPANTS)].astype(object)
    region[rng.random(N_PARTICIPANTS) < 0.01] = None
    participants = pd.DataFrame(
        {
            "participant_id": pd.Series(ids.astype(object)),
            "region": pd.Series(region),
            "referral_date": referral.astype("datetime64[ns]"),
            "entry_date": entry,
        }
    )
    who = rng.integers(0, N_PARTICIPANTS, N_MILESTONES)
    kinds = np.array(["training_start", "training_completed", "job_start", "job_sustained"], dtype=object)
    kind = kinds[rng.choice(4, N_MILESTONES, p=[0.4, 0.2, 0.25, 0.15])]
    base = referral[who] + rng.integers(-30, 500, N_MILESTONES).astype("timedelta64[D]")
    milestones = pd.DataFrame(
        {
            "participant_id": pd.Series(ids[who].astype(object)),
            "milestone": pd.Series(kind),
            "date": base.astype("datetime64[ns]"),
            "partner": pd.Series(np.full(N_MILESTONES, "Partner A", dtype=object)),
        }
    )
    return participants, milestones


def time_pair(first, second):  # type: ignore[no-untyped-def]
    """Warm both up once, then time them alternately REPEATS times (so both see the same
    machine load); return (median seconds, last result) for each."""
    results = [first(), second()]
    times: list[list[float]] = [[], []]
    for _ in range(REPEATS):
        for i, fn in enumerate((first, second)):
            started = time.perf_counter()
            results[i] = fn()
            times[i].append(time.perf_counter() - started)
    return (statistics.median(times[0]), results[0]), (statistics.median(times[1]), results[1])


def with_text(frame: pd.DataFrame, columns: tuple[str, ...], text: str) -> pd.DataFrame:
    """A copy of ``frame`` with its text ``columns`` in the variant's dtype."""
    if text.startswith("categorical"):  # ids stay text: a million categories is not realistic
        ids = "str" if text.endswith("str ids") else object
        dtypes = {c: ids if c == "participant_id" else "category" for c in columns}
    else:
        dtypes = dict.fromkeys(columns, text)
    return frame.astype(dtypes)


def run_variant(
    duckdb: Any, participants: pd.DataFrame, milestones: pd.DataFrame
) -> tuple[float, float, pd.DataFrame]:
    """Median seconds of ours and of DuckDB's, and our counts (checked equal to DuckDB's)."""
    con = duckdb.connect()
    con.register("participants", participants)
    con.register("milestones", milestones)

    def ours() -> pd.DataFrame:
        return funnel(Scope(participants, milestones, as_of=AS_OF), by=["region"])

    def theirs() -> pd.DataFrame:
        return con.execute(DUCKDB_SQL, {"as_of": AS_OF.to_pydatetime()}).df()

    (ours_s, ours_out), (duck_s, duck_out) = time_pair(ours, theirs)
    con.close()
    wide = ours_out.pivot(index="region", columns="step", values="participants")
    wide = wide[["entered", "training", "work"]].sort_index()
    duck = duck_out.assign(region=duck_out["region"].astype(object)).set_index("region")
    duck = duck[["entered", "training", "work"]].sort_index()
    same = wide.index.tolist() == duck.index.tolist() and bool(
        (wide.to_numpy(dtype="int64") == duck.to_numpy(dtype="int64")).all()
    )
    if not same:
        print(wide.to_string())
        print(duck.to_string())
        raise SystemExit("counts differ between ete_metrics and DuckDB")
    return ours_s, duck_s, wide


def main() -> None:
    import duckdb

    chosen = sys.argv[1:] or [f"{order}:{text}" for order in ORDERS for text in TEXTS]
    print(f"participants: {N_PARTICIPANTS:,}  milestones: {N_MILESTONES:,}  as_of: {AS_OF.date()}")
    print(f"pandas {pd.__version__}  duckdb {duckdb.__version__}  median of {REPEATS} runs each")
    ratios: list[float] = []
    wide = pd.DataFrame()
    for order in ORDERS:
        variants = [name.split(":", 1)[1] for name in chosen if name.startswith(order + ":")]
        if not variants:
            continue
        base_participants, base_milestones = make_data(order)
        for text in variants:
            participants = with_text(base_participants, PARTICIPANT_TEXT, text)
            milestones = with_text(base_milestones, MILESTONE_TEXT, text)
            ours_s, duck_s, wide = run_variant(duckdb, participants, milestones)
            ratios.append(ours_s / duck_s)
            print(
                f"ids {order:>8}, text {text:>20}: ete_metrics {ours_s * 1000:7.1f} ms  "
                f"DuckDB {duck_s * 1000:7.1f} ms  ratio {ours_s / duck_s:.2f}  (identical counts)"
            )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"worst ratio ours / DuckDB: {max(ratios):.2f}  (requirement <= 1.0)")
    print(f"peak memory (maxrss): {peak_mb:,.0f} MB")
    print(wide.to_string())


if __name__ == "__main__":
    main()
