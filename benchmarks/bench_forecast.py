"""Benchmark and back-test: the forecast to contract end and the case-mix-adjusted comparison.

1. **Back-test** (the demo programme, 45,000 referrals): the data are cut at each month
   start from :data:`FIRST_CUT` to :data:`LAST_CUT`; the forecast made from the cut data
   (:func:`ete_metrics.metrics.forecast.forecast_to_end`) is compared with what the full
   data say happened at each later month end (the cumulative actuals of
   :func:`ete_metrics.metrics.targets.targets_vs_actual`, computed independently of the
   forecast). Printed: the share of (cut, region, measure, month) cells whose outcome fell
   inside the 80% and 95% intervals, overall and at the contract's end only.
2. **Speed** at 1,000,000 participants (``generate_demo(1_000_000)``): the median of
   :data:`REPEATS` runs of ``forecast_to_end`` and of ``standardised_ratios`` (by region and
   by delivery partner, adjusted for pathway and time since entry).

Run: ``.venv/bin/python benchmarks/bench_forecast.py [--skip-speed]``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ete_metrics.counting.scope import Scope
from ete_metrics.data.demo import DemoProgramme, generate_demo  # noqa: E402
from ete_metrics.metrics.forecast import forecast_to_end  # noqa: E402
from ete_metrics.metrics.standardised import standardised_ratios  # noqa: E402
from ete_metrics.metrics.targets import targets_vs_actual  # noqa: E402

#: Cuts from a year into the contract (the cohort curves then cover a year since entry).
FIRST_CUT = "2022-06-01"
#: Earlier cuts, printed apart: the curves beyond the few months seen are extrapolated.
EARLY_CUT = "2022-01-01"
LAST_CUT = "2024-03-01"
FINAL = "2024-05-31"
REPEATS = 3
BIG = 1_000_000


def back_test() -> None:
    demo = generate_demo()
    cells = _cells(demo, FIRST_CUT, LAST_CUT)
    early = _cells(demo, EARLY_CUT, (pd.Timestamp(FIRST_CUT) - pd.DateOffset(months=1)).strftime("%Y-%m-%d"))
    _report(cells, f"back-test: {cells['cut'].nunique()} cuts ({FIRST_CUT} .. {LAST_CUT}), {len(cells)} cells")
    _report(early, f"early cuts, under a year of data ({EARLY_CUT} .. before {FIRST_CUT}), {len(early)} cells",
            regions=False)


def _cells(demo: DemoProgramme, first: str, last: str) -> pd.DataFrame:
    truth = targets_vs_actual(
        Scope(demo.participants, demo.milestones, as_of=FINAL),
        demo.targets,
        period="month",
    )
    truth = truth.loc[truth["measure"].isin(["training", "work"]), ["region", "measure", "period_start",
                                                                    "cumulative_actual"]]
    total = truth.groupby(["measure", "period_start"], as_index=False)["cumulative_actual"].sum()
    total["region"] = "All regions"
    truth = pd.concat([truth, total], ignore_index=True).rename(columns={"period_start": "month"})
    rows = []
    for cut in pd.date_range(first, last, freq="MS"):
        as_of = cut - pd.Timedelta(days=1)  # data to the end of the previous month
        forecast = forecast_to_end(Scope(demo.participants, demo.milestones, as_of=as_of))
        merged = forecast.merge(truth, on=["region", "measure", "month"], how="inner")
        merged = merged.loc[merged["month"] > as_of]  # months wholly after the cut
        merged["cut"] = cut
        rows.append(merged)
    cells = pd.concat(rows, ignore_index=True)
    actual = cells["cumulative_actual"]
    cells["in_80"] = (actual >= cells["low_80"]) & (actual <= cells["high_80"])
    cells["in_95"] = (actual >= cells["low_95"]) & (actual <= cells["high_95"])
    return cells


def _report(cells: pd.DataFrame, title: str, *, regions: bool = True) -> None:
    actual = cells["cumulative_actual"]
    last = cells["month"] == cells["month"].max()
    print(title)
    for name, part in (("all months", cells), ("contract end only", cells.loc[last])):
        print(f"  {name:18s} 80% coverage {part['in_80'].mean():.1%}   95% coverage {part['in_95'].mean():.1%}"
              f"   (n = {len(part)})")
    for region, part in cells.groupby("region") if regions else ():
        print(f"  {region:18s} 80% {part['in_80'].mean():.1%}  95% {part['in_95'].mean():.1%}")
    error = (cells["forecast"] - actual) / actual
    print(f"  median relative error {np.median(error):+.1%}, median |error| {np.median(np.abs(error)):.1%}")


def speed() -> None:
    started = time.perf_counter()
    demo = generate_demo(BIG)
    print(f"generate_demo({BIG:,}): {time.perf_counter() - started:.1f} s, "
          f"{len(demo.participants):,} participants, {len(demo.milestones):,} milestones")
    runs = {
        "forecast_to_end": lambda: forecast_to_end(Scope(demo.participants, demo.milestones, as_of="2023-08-16")),
        "standardised_ratios by region": lambda: standardised_ratios(Scope(demo.participants, demo.milestones, as_of="2023-08-16"), by="region"),
        "standardised_ratios by delivery_partner": lambda: standardised_ratios(Scope(demo.participants, demo.milestones, as_of="2023-08-16"), by="delivery_partner"),
    }
    for name, run in runs.items():
        run()
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        print(f"{name}: median {statistics.median(times):.2f} s over {REPEATS} runs")


if __name__ == "__main__":
    back_test()
    if "--skip-speed" not in sys.argv:
        speed()
