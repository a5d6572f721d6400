"""Benchmark: the dashboard's hand-written shared LRU against Streamlit's own ``st.cache_resource``.

The dashboard kept its filtered frames, metric results and protected views in
``dashboard/lru.py`` (``SharedLru``: a lock, an ``OrderedDict``, one computation per
key whatever the sessions); ``st.cache_resource`` does the same (shared by every
session, ``max_entries`` least recently used, a lock per key so that one session
computes and the others wait, nothing kept on an exception, ``.clear()``) but hashes
its arguments with Streamlit's hasher on every call. The hand-written one is read
from the commit before it was removed (:data:`HANDWRITTEN`, by ``git show``), so
both run in the same run:

1. **One look-up**, hit and miss, with the keys the dashboard uses (data version,
   metric name, filters, arguments), in microseconds;
2. **What a person waits for**: on the 45,000-referral demo (built in a temporary
   SQLite file), ``app.py`` driven by Streamlit's AppTest, per page, the rerun after
   a new region filter (metrics computed, then cached) and the warm rerun (all
   cached), with the dashboard's four caches as ``SharedLru`` and as
   ``st.cache_resource``, page by page alternately (medians; ``bench_dashboard.py``'s
   measures). The internal audience and the stakeholder audience (whose protected
   views are cached too).

Run: ``.venv/bin/python benchmarks/bench_cache.py [--repeats N] [--db URL]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable, Hashable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

#: The last commit with ``dashboard/lru.py`` (issue 27 replaced it with ``st.cache_resource``).
HANDWRITTEN = "50f9301"
PAGES = ("app_pages/1_overview.py", "app_pages/3_regions.py", "app_pages/5_partners.py")
#: Five region filters, one region at a time (a stakeholder may see one region or all).
SELECTIONS = (["Wales"], ["London"], ["North West"], ["West Midlands"], [])


def handwritten_lru(folder: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "show", f"{HANDWRITTEN}:dashboard/lru.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (Path(folder) / "handwritten_lru.py").write_text(source)
    sys.path.insert(0, folder)
    import handwritten_lru  # type: ignore[import-not-found]

    return handwritten_lru


def streamlit_cache() -> Any:
    """An ``st.cache_resource`` function behind ``get_or_compute`` (as the metric cache), for part 1."""
    import streamlit as st

    @st.cache_resource(show_spinner=False, max_entries=512)
    def metric(key: Hashable, _compute: Callable[[], Any]) -> Any:
        return _compute()

    class Cache:
        def get_or_compute(self, key: Hashable, compute: Callable[[], Any], *, limit: int) -> Any:
            return metric(key, compute)

    return Cache()


def lookups(lru: types.ModuleType, repeats: int = 2000) -> float:
    """Part 1: microseconds per look-up (Streamlit's warning that no script is running, which
    a session never sees, is switched off so that its logging is not timed)."""
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(
        logging.ERROR
    )
    version = ("sqlite:////tmp/ete.db", None, 3, 45_000, 67_500, 120)
    keys = [
        (
            version,
            "funnel",
            (("Wales",), (), ()),
            (
                ("as_of", date(2023, 8, 16)),
                ("include_sustained", True),
                ("date_from", date(2022, 1, i % 28 + 1)),
                ("date_to", None),
            ),
        )
        for i in range(repeats)
    ]
    ours, theirs = lru.SharedLru(), streamlit_cache()
    results = {}
    for name, cache in (("SharedLru", ours), ("st.cache_resource", theirs)):
        started = time.perf_counter()
        for key in keys[:28]:
            cache.get_or_compute(key, lambda: 1, limit=512)
        miss = (time.perf_counter() - started) / 28
        started = time.perf_counter()
        for key in keys:
            cache.get_or_compute(key, lambda: 1, limit=512)
        results[name] = (miss, (time.perf_counter() - started) / len(keys))
    print("1. one look-up (microseconds):")
    for name, (miss, hit) in results.items():
        print(f"   {name:18s} miss {miss * 1e6:7.1f}   hit {hit * 1e6:7.1f}")
    return results["st.cache_resource"][1] - results["SharedLru"][1]


def _timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def pages(lru: types.ModuleType, url: str, repeats: int, hit_cost: float) -> None:
    """Part 2: the pages' reruns with each kind of cache; ``hit_cost``: seconds a hit costs
    ``st.cache_resource`` more than ``SharedLru`` (part 1), times the look-ups of a warm rerun."""
    os.environ["ETE_DATABASE_URL"] = url
    from apptest_support import new_app

    import dashboard.data as data_module
    import dashboard.render as render_module

    # the dashboard's four st.cache_resource functions, and the same four over SharedLru
    theirs = {
        "_filtered": data_module._filtered,
        "_metric_cached": data_module._metric_cached,
        "_protected": render_module._protected,
        "_published": render_module._published,
    }
    caches = [lru.SharedLru() for _ in range(4)]

    def filtered(
        version: Any, regions: Any, pathways: Any, partners: Any, data: Any, filters: Any
    ) -> Any:
        key = (version, regions, pathways, partners)
        return caches[0].get_or_compute(
            key, lambda: data_module._apply_filters(data, filters), limit=4
        )

    def metric_cached(
        version: Any, name: str, filter_key: Any, kwargs: Any, fn: Any, frames: Any
    ) -> Any:
        key = (version, name, filter_key, kwargs)
        return caches[1].get_or_compute(key, lambda: fn(*frames, **dict(kwargs)), limit=512)

    ours = {
        "_filtered": filtered,
        "_metric_cached": metric_cached,
        "_protected": lambda key, protect: caches[2].get_or_compute(key, protect, limit=256),
        "_published": lambda key, protect: caches[3].get_or_compute(key, protect, limit=256),
    }

    calls: list[int] = []

    def counted(function: Any) -> Any:
        def call(*args: Any) -> Any:
            calls.append(1)
            return function(*args)

        return call

    theirs = {name: counted(function) for name, function in theirs.items()}

    def use(functions: dict[str, Any]) -> None:
        for name, function in functions.items():
            setattr(
                data_module if name in ("_filtered", "_metric_cached") else render_module,
                name,
                function,
            )

    print("2. reruns of a page (ms, median), SharedLru | st.cache_resource (ratio):")
    for audience in ("internal", "stakeholder"):
        apps = {
            "SharedLru": new_app({"audience": audience}),
            "st.cache_resource": new_app({"audience": audience}),
        }
        use(ours)
        apps["SharedLru"].run()
        use(theirs)
        apps["st.cache_resource"].run()
        for page in PAGES:
            times: dict[str, dict[str, list[float]]] = {
                name: {"new": [], "warm": []} for name in apps
            }
            lookups_per_rerun: list[int] = []
            for name, at in apps.items():
                use(ours if name == "SharedLru" else theirs)
                at.switch_page(page)
                at.run()
            for round_ in range(repeats):
                for name, at in apps.items():
                    use(ours if name == "SharedLru" else theirs)
                    at.multiselect(key="filter_regions").set_value(
                        SELECTIONS[round_ % len(SELECTIONS)]
                    )
                    times[name]["new"].append(_timed(at.run))
                    calls.clear()
                    times[name]["warm"].append(_timed(at.run))
                    if name != "SharedLru":
                        lookups_per_rerun.append(len(calls))
                    errors = [e.value for e in at.error] + [str(e.value) for e in at.exception]
                    if errors or not at.dataframe and not at.table:
                        raise SystemExit(
                            f"{page} ({name}): {(errors or ['no table shown'])[0][:200]}"
                        )
            looked = statistics.median(lookups_per_rerun)
            line = f"   {audience:11s} {page:24s}"
            for kind in ("new", "warm"):
                a, b = (statistics.median(times[name][kind]) for name in apps)
                line += (
                    f"  {kind} filter {a:6,.0f} | {b:6,.0f} ({b / a:4.2f})"
                    if kind == "new"
                    else (f"  warm {a:6,.0f} | {b:6,.0f} ({b / a:4.2f})")
                )
            line += f"  | {looked:3.0f} look-ups a rerun: {looked * hit_cost * 1000:5.1f} ms more"
            print(line, flush=True)
            for at in apps.values():
                at.multiselect(key="filter_regions").set_value([])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="ete_bench_") as folder:
        lru = handwritten_lru(folder)
        hit_cost = lookups(lru)
        url = args.db
        if url is None:
            from ete_metrics.data.db import make_engine
            from ete_metrics.data.demo import build_demo_database

            url = f"sqlite:///{folder}/ete.db"
            engine = make_engine(url)
            build_demo_database(engine, n_participants=45_000)
            engine.dispose()
        pages(lru, url, args.repeats, hit_cost)


if __name__ == "__main__":
    main()
