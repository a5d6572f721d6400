"""Benchmark: disclosure control on stakeholder-sized and oversized tables.

Three cases, each run once to warm up and then five times; the medians are printed
with the number of cells and how many were suppressed (primary and secondary):

1. A partner table: 4 regions x 25 delivery partners with "All" rows, three funnel
   counts (entered, training, work) and a work rate.
2. A monthly table: 4 regions x 36 entry months x 2 pathways, all margins, three counts
   (three additive dimensions, 555 rows).
3. A 60 x 60 cross-tab with margins (``protect_crosstab``).

Counts are drawn from a skewed distribution so many cells are small. After each run
the output is checked with ``find_disclosive_counts``.

Run: ``.venv/bin/python benchmarks/bench_disclosure.py``
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ete_metrics.protect.disclosure import (  # noqa: E402
    SUPPRESSED,
    find_disclosive_counts,
    protect_crosstab,
    protect_table,
)

REPEATS = 5
RNG = np.random.default_rng(20230816)


def with_margins(grid: pd.DataFrame, groups: list[str], counts: list[str]) -> pd.DataFrame:
    """Add "All" rows for every subset of the group columns."""
    parts = [grid]
    for mask in range(1, 2 ** len(groups)):
        collapsed = [g for i, g in enumerate(groups) if mask >> i & 1]
        kept = [g for g in groups if g not in collapsed]
        summed = (
            grid.groupby(kept, as_index=False)[counts].sum()
            if kept
            else grid[counts].sum().to_frame().T
        )
        for g in collapsed:
            summed[g] = "All"
        parts.append(summed[[*groups, *counts]])
    return pd.concat(parts, ignore_index=True)


def funnel_counts(n: int) -> pd.DataFrame:
    """Nested entered >= training >= work with many small groups."""
    entered = RNG.negative_binomial(1, 0.03, size=n)
    training = RNG.binomial(entered, 0.38)
    work = RNG.binomial(training, 0.47)
    return pd.DataFrame({"entered": entered, "training": training, "work": work})


def timed(run: Callable[[], pd.DataFrame]) -> tuple[float, pd.DataFrame]:
    run()
    seconds = []
    out = pd.DataFrame()
    for _ in range(REPEATS):
        start = time.perf_counter()
        out = run()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), out


def report(name: str, truth: pd.DataFrame, out: pd.DataFrame, counts: list[str]) -> None:
    values = truth[counts].to_numpy()
    shown = out[counts].to_numpy()
    cells = values.size
    primary = int(((values >= 1) & (values <= 4)).sum())
    hidden = int((shown == SUPPRESSED).sum())
    leaks = find_disclosive_counts(out)
    print(
        f"  {name}: {cells:,} count cells, {primary:,} primary + {hidden - primary:,} secondary "
        f"suppressions; disclosive cells left: {len(leaks)}"
    )


def main() -> None:
    counts = ["entered", "training", "work"]

    regions = ["London", "North West", "West Midlands", "Wales"]
    partners = [f"Partner {i:02d}" for i in range(25)]
    grid = pd.MultiIndex.from_product([regions, partners], names=["region", "partner"]).to_frame(
        index=False
    )
    grid = pd.concat([grid, funnel_counts(len(grid))], axis=1)
    partner_table = with_margins(grid, ["region", "partner"], counts)
    partner_table["work_rate"] = partner_table["work"] / partner_table["entered"].where(
        partner_table["entered"] > 0
    )
    median, out = timed(
        lambda: protect_table(
            partner_table,
            count_columns=counts,
            group_columns=["region", "partner"],
            total_row_label="All",
            rate_columns=["work_rate"],
            denominator_column="entered",
            rate_numerators="work",
        )
    )
    print(f"partner table ({len(partner_table):,} rows): median {median * 1000:.1f} ms")
    report("partner table", partner_table, out, counts)

    months = [f"2021-{m:02d}" for m in range(1, 13)] + [
        f"{y}-{m:02d}" for y in (2022, 2023) for m in range(1, 13)
    ]
    grid = pd.MultiIndex.from_product(
        [regions, months, ["community", "custody"]], names=["region", "entry_month", "pathway"]
    ).to_frame(index=False)
    grid = pd.concat([grid, funnel_counts(len(grid))], axis=1)
    monthly = with_margins(grid, ["region", "entry_month", "pathway"], counts)
    median, out = timed(
        lambda: protect_table(
            monthly,
            count_columns=counts,
            group_columns=["region", "entry_month", "pathway"],
            total_row_label="All",
        )
    )
    print(f"monthly table ({len(monthly):,} rows): median {median * 1000:.1f} ms")
    report("monthly table", monthly, out, counts)

    cells = RNG.negative_binomial(1, 0.1, size=(60, 60))
    table = pd.DataFrame(
        cells, index=[f"r{i}" for i in range(60)], columns=[f"c{j}" for j in range(60)]
    )
    table["All"] = table.sum(axis=1)
    table.loc["All"] = table.sum(axis=0)
    median, out = timed(lambda: protect_crosstab(table))
    print(f"cross-tab (61 x 61): median {median * 1000:.1f} ms")
    report("cross-tab", table, out, list(table.columns))


if __name__ == "__main__":
    main()
