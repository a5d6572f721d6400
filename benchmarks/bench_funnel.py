"""Benchmark: ``funnel(..., by=["region"])`` against DuckDB running the same funnel as SQL.

1,000,000 participants with shuffled string ids (``P0000001`` style) and 1,500,000
milestones are generated with numpy. Both engines work on the same DataFrames in one
process (DuckDB reads them as registered views). Each is run once to warm up and then
five times, alternating between the two; the medians, their ratio and the peak resident memory are printed, and the
counts of the two are checked to be identical.

Run: ``.venv/bin/python benchmarks/bench_funnel.py`` (text columns in pandas' default string
dtype) or ``... bench_funnel.py --object`` (text columns as Python-object arrays).
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def make_data(seed: int = 20230816) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate the synthetic participants and milestones."""
    rng = np.random.default_rng(seed)
    numbers = rng.permutation(N_PARTICIPANTS) + 1
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


def main() -> None:
    import duckdb

    participants, milestones = make_data()
    if "--object" in sys.argv[1:]:
        participants = participants.astype({"participant_id": object, "region": object})
        milestones = milestones.astype({"participant_id": object, "milestone": object, "partner": object})
    con = duckdb.connect()
    con.register("participants", participants)
    con.register("milestones", milestones)

    def ours() -> pd.DataFrame:
        return funnel(participants, milestones, as_of=AS_OF, by=["region"])

    def theirs() -> pd.DataFrame:
        return con.execute(DUCKDB_SQL, {"as_of": AS_OF.to_pydatetime()}).df()

    (ours_s, ours_out), (duck_s, duck_out) = time_pair(ours, theirs)

    wide = ours_out.pivot(index="region", columns="step", values="participants")
    wide = wide[["entered", "training", "work"]].sort_index()
    duck = duck_out.set_index("region")[["entered", "training", "work"]].sort_index()
    same = wide.index.tolist() == duck.index.tolist() and (
        wide.to_numpy(dtype="int64") == duck.to_numpy(dtype="int64")
    ).all()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"participants: {N_PARTICIPANTS:,}  milestones: {N_MILESTONES:,}  as_of: {AS_OF.date()}")
    print(f"id dtype: {participants['participant_id'].dtype}  pandas {pd.__version__}  duckdb {duckdb.__version__}")
    print(f"ete_metrics.metrics.funnel median of {REPEATS}: {ours_s * 1000:8.1f} ms")
    print(f"DuckDB SQL         median of {REPEATS}: {duck_s * 1000:8.1f} ms")
    print(f"ratio ours / DuckDB: {ours_s / duck_s:.2f}  (requirement <= 1.5)")
    print(f"peak memory (maxrss): {peak_mb:,.0f} MB  (requirement < 1,536 MB)")
    print(f"identical counts: {bool(same)}")
    print(wide.to_string())
    if not same:
        print(duck.to_string())
        raise SystemExit("counts differ between ete_metrics and DuckDB")


if __name__ == "__main__":
    main()
