"""Time the metric calls the dashboard's pages make, outside Streamlit (prints figures).

Loads a demo database once (``--db``, or builds one of ``--participants``), then
times each call the pages make with their default widgets, unfiltered and with a
region filter (the participants and milestones restricted as ``dashboard.data``
does). ``--profile NAME`` runs one call under cProfile and prints the top entries.

Usage: ``python benchmarks/profile_pages.py [--participants N | --db URL] [--profile funnel]``
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from ete_metrics.counting.filters import filter_participants, milestones_for  # noqa: E402
from ete_metrics.data import db  # noqa: E402
from ete_metrics.data.quality import data_quality  # noqa: E402
from ete_metrics.metrics import comparison  # noqa: E402
from ete_metrics.metrics.activity import follow_up_list, monthly_activity  # noqa: E402
from ete_metrics.metrics.cohorts import cohort_curves, cumulative_incidence  # noqa: E402
from ete_metrics.metrics.equality import equality  # noqa: E402
from ete_metrics.metrics.funnel import funnel, referral_funnel  # noqa: E402
from ete_metrics.metrics.partners import delivery_partners, employers, prisons, training_providers  # noqa: E402
from ete_metrics.metrics.targets import target_summary, targets_vs_actual  # noqa: E402
from ete_metrics.metrics.time_to_outcome import time_to_outcome  # noqa: E402


def _calls(as_of: Any) -> list[tuple[str, str, Callable[..., pd.DataFrame], bool, dict[str, Any]]]:
    month_earlier = (pd.Timestamp(as_of) - pd.DateOffset(months=1)).date()
    chars = ("gender", "age_band", "ethnicity", "disability")
    return [
        ("overview", "funnel", funnel, False, dict(as_of=as_of, include_sustained=True)),
        ("overview", "funnel_before", funnel, False, dict(as_of=month_earlier, include_sustained=True)),
        ("overview", "target_summary", target_summary, True, dict(as_of=as_of, regions=None)),
        ("overview", "monthly_activity", monthly_activity, False, dict(as_of=as_of)),
        ("overview", "targets_vs_actual", targets_vs_actual, True, dict(as_of=as_of, period="month", regions=None)),
        ("funnels", "funnel_any", funnel, False, dict(as_of=as_of, window_days=None, ordered=False, by=(), include_sustained=False)),
        ("funnels", "referral_funnel", referral_funnel, False, dict(as_of=as_of, window_days=None, ordered=False, by=())),
        ("funnels", "follow_up_list", follow_up_list, False, dict(as_of=as_of, days=30)),
        ("regions", "funnel_region", funnel, False, dict(as_of=as_of, window_days=None, by=("region",))),
        ("regions", "compare_region", comparison.compare_groups, False, dict(as_of=as_of, window_days=None, by="region", step="work")),
        ("cohorts", "cohort_curves", cohort_curves, False, dict(as_of=as_of, cohort="entry_quarter", outcome="training")),
        ("cohorts", "cumulative_incidence", cumulative_incidence, False, dict(as_of=as_of, outcome="training")),
        ("cohorts", "time_to_outcome", time_to_outcome, False, dict(as_of=as_of)),
        ("partners", "compare_partner", comparison.compare_groups, False, dict(as_of=as_of, by="delivery_partner", step="work")),
        ("partners", "delivery_partners", delivery_partners, False, dict(as_of=as_of)),
        ("partners", "training_providers", training_providers, False, dict(as_of=as_of)),
        ("partners", "employers", employers, False, dict(as_of=as_of)),
        ("partners", "prisons", prisons, False, dict(as_of=as_of)),
        ("equality", "equality", equality, False, dict(as_of=as_of, characteristics=chars, step="work", window_days=None)),
        ("data", "data_quality", data_quality, False, dict(as_of=as_of)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=45_000)
    parser.add_argument("--db", default=None)
    parser.add_argument("--profile", default=None, help="profile this call (name in the table)")
    parser.add_argument("--regions", default="Wales", help="comma-separated region filter")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ete_prof_") as folder:
        url = args.db
        if url is None:
            from ete_metrics.data.demo import build_demo_database

            url = f"sqlite:///{folder}/ete.db"
            build_demo_database(db.make_engine(url), n_participants=args.participants)
        _run(url, args)


def _run(url: str, args: argparse.Namespace) -> None:
    engine = db.make_engine(url)
    started = time.perf_counter()
    participants = db.load_participants(engine)
    loaded_p = time.perf_counter()
    milestones = db.load_milestones(engine)
    loaded_m = time.perf_counter()
    targets = db.load_targets(engine)
    print(f"load_participants {loaded_p - started:.2f} s, load_milestones {loaded_m - loaded_p:.2f} s "
          f"({len(participants):,} participants, {len(milestones):,} milestones)")
    print(f"rss after load: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    as_of = db.data_cutoff(engine)
    regions = args.regions.split(",")
    t0 = time.perf_counter()
    part_f = filter_participants(participants, regions=regions)
    t1 = time.perf_counter()
    mile_f = milestones_for(part_f, milestones)
    t2 = time.perf_counter()
    print(f"filter_participants {1000 * (t1 - t0):.0f} ms, milestones_for {1000 * (t2 - t1):.0f} ms")
    calls = _calls(as_of)
    if args.profile:
        for _page, name, fn, with_targets, kwargs in calls:
            if name == args.profile:
                frames = (participants, milestones, *((targets,) if with_targets else ()))
                profiler = cProfile.Profile()
                profiler.enable()
                fn(*frames, **kwargs)
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        return
    totals: dict[str, list[float]] = {}
    print(f"{'page':<10}{'call':<22}{'all (ms)':>10}{'filtered':>10}")
    for page, name, fn, with_targets, kwargs in calls:
        timings = []
        for p, m in ((participants, milestones), (part_f, mile_f)):
            frames = (p, m, *((targets,) if with_targets else ()))
            start = time.perf_counter()
            fn(*frames, **kwargs)
            timings.append((time.perf_counter() - start) * 1000)
        totals.setdefault(page, [0.0, 0.0])
        totals[page] = [totals[page][0] + timings[0], totals[page][1] + timings[1]]
        print(f"{page:<10}{name:<22}{timings[0]:>10,.0f}{timings[1]:>10,.0f}")
    for page, (a, b) in totals.items():
        print(f"TOTAL {page:<16}{'':<10}{a:>10,.0f}{b:>10,.0f}")
    print(f"peak rss: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
