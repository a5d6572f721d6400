"""Rough speed of the dashboard's pages at the full demo size (prints figures; no assertions).

Builds the 45,000-referral demo database in a temporary SQLite file (or uses
``--db``), then drives ``app.py`` with Streamlit's AppTest and times, per page:

- ``first``: the first run of the page (data already cached by earlier pages);
- ``new filter``: the median of five reruns, each after changing the region
  filter to a selection not seen before on that page (metrics computed);
- ``warm``: the median of five reruns with nothing changed (everything cached);
- ``back``: a rerun returning to a filter seen before (cached).

Then, on the Data page, it chooses a two-row extract and times its check (which
reads every stored participant's entry date) and five reruns with the same files
(the check is kept, not done again). It ends with the process's peak resident
memory (the app's data and caches).

Each figure is the wall-clock time; ``new filter`` also gives the CPU time of the
process (median), which moves much less than the wall clock when other work
shares the machine (the load average is printed before and after).

AppTest runs the script in-process, so the figures include its own overhead
(building the element tree) but no browser or network time.

``--profile PAGE`` (e.g. ``4_cohorts``) instead profiles that page's five filter
changes with cProfile and prints the top entries. AppTest runs the script in its
own thread, which a profiler started in the main thread does not see, so the
profiler is switched on inside the script runner for those runs only.

Usage: ``python benchmarks/bench_dashboard.py [--participants 45000] [--db URL] [--profile PAGE]``
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

PAGES = (
    "app_pages/1_overview.py",
    "app_pages/2_funnels.py",
    "app_pages/3_regions.py",
    "app_pages/4_cohorts.py",
    "app_pages/5_partners.py",
    "app_pages/6_equality.py",
    "app_pages/7_data.py",
    "app_pages/8_about.py",
)


#: Five region selections, each new to a page when the benchmark reaches it.
SELECTIONS = (
    ["Wales"],
    ["London"],
    ["North West"],
    ["West Midlands", "Wales"],
    ["London", "North West"],
)


def _timed(action) -> float:  # type: ignore[no-untyped-def]
    return _timed_cpu(action)[0]


def _timed_cpu(action) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Wall-clock and process CPU milliseconds of ``action()``."""
    start, cpu = time.perf_counter(), time.process_time()
    action()
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=45_000)
    parser.add_argument("--db", default=None, help="use this database instead of building one")
    parser.add_argument("--profile", default=None, metavar="PAGE",
                        help="profile this page's filter changes (e.g. 4_cohorts) instead")
    parser.add_argument("--top", type=int, default=40, help="entries printed with --profile")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ete_bench_") as folder:
        _run(args, folder)


def _run(args: argparse.Namespace, folder: str) -> None:
    url = args.db
    if url is None:
        from ete_metrics.data.db import make_engine
        from ete_metrics.data.demo import build_demo_database

        url = f"sqlite:///{folder}/ete.db"
        engine = make_engine(url)
        started = time.perf_counter()
        build_demo_database(engine, n_participants=args.participants)
        engine.dispose()
        print(f"built demo database ({args.participants:,} referrals) in {time.perf_counter() - started:.1f} s")
    os.environ["ETE_DATABASE_URL"] = url

    from apptest_support import new_app  # also applies the AppTest pages/ work-around

    at = new_app()
    if args.profile:
        _profile(at, args.profile, args.top)
        return
    print(_load())
    print(f"cold start (load + overview): {_timed(at.run):,.0f} ms")
    print(f"{'page':<24}{'first':>10}{'new filter':>12}{'(cpu)':>8}{'warm':>10}{'back':>10}  (ms)")
    for page in PAGES:
        if not (ROOT / page).exists():
            continue
        at.switch_page(page)
        first = _timed(at.run)
        changes = []
        for selection in SELECTIONS:
            at.multiselect(key="filter_regions").set_value(selection)
            changes.append(_timed_cpu(at.run))
        changed = statistics.median(wall for wall, _ in changes)
        changed_cpu = statistics.median(cpu for _, cpu in changes)
        warm = statistics.median(_timed(at.run) for _ in range(5))
        at.multiselect(key="filter_regions").set_value([])
        back = _timed(at.run)
        errors = [e.value for e in at.error] + [str(e.value) for e in at.exception]
        note = f"  ERRORS: {errors[0][:60]}" if errors else ""
        print(
            f"{page:<24}{first:>10,.0f}{changed:>12,.0f}{changed_cpu:>8,.0f}{warm:>10,.0f}"
            f"{back:>10,.0f}{note}", flush=True,
        )
    _time_upload(at)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:,.0f} MB")
    print(_load())


#: A two-person update extract: one new participant, milestones of a stored one too.
UPLOAD_PARTICIPANTS = (
    "participant_id,region,referral_date,entry_date,area,delivery_partner\n"
    "BENCH1,Wales,2024-01-02,2024-01-09,Cardiff,Bench Partner\n"
)
UPLOAD_MILESTONES = "participant_id,milestone,date\nBENCH1,training_start,2024-02-01\n"


def _time_upload(at) -> None:  # type: ignore[no-untyped-def]
    """The Data page with an extract chosen: the check (which reads every stored
    participant's entry date), then reruns with the same files (the check is kept)."""
    at.switch_page("app_pages/7_data.py")
    at.run()
    upload_round = at.session_state["data_upload_round"]
    for role, name, text in (("participants", "participants.csv", UPLOAD_PARTICIPANTS),
                             ("milestones", "milestones.csv", UPLOAD_MILESTONES)):
        at.file_uploader(key=f"upload_{role}_{upload_round}").set_value((name, text.encode(), "text/csv"))
    checked = _timed(at.run)
    reruns = statistics.median(_timed(at.run) for _ in range(5))
    shown = [s.value for s in at.success] + [e.value for e in at.error]
    note = f"  ({shown[0][:50]})" if shown else "  (NO RESULT SHOWN)"
    print(f"data page, extract chosen: check {checked:,.0f} ms, rerun {reruns:,.0f} ms (median of 5){note}")


def _profile(at, page: str, top: int) -> None:  # type: ignore[no-untyped-def]
    """cProfile the script thread during ``page``'s five filter changes; print the top entries."""
    import cProfile
    import pstats

    from streamlit.runtime.scriptrunner import script_runner

    path = page if page.startswith("pages/") else f"pages/{page.removesuffix('.py')}.py"
    profiler = cProfile.Profile()
    active = {"on": False}
    run_script = script_runner.ScriptRunner._run_script

    def profiled(self, rerun_data):  # type: ignore[no-untyped-def]
        if not active["on"]:
            return run_script(self, rerun_data)
        profiler.enable()
        try:
            return run_script(self, rerun_data)
        finally:
            profiler.disable()

    script_runner.ScriptRunner._run_script = profiled  # type: ignore[method-assign]
    try:
        at.run()
        at.switch_page(path)
        at.run()
        cpu = []
        for selection in SELECTIONS:
            at.multiselect(key="filter_regions").set_value(selection)
            active["on"] = True
            cpu.append(_timed_cpu(at.run)[1])
            active["on"] = False
    finally:
        script_runner.ScriptRunner._run_script = run_script  # type: ignore[method-assign]
    errors = [e.value for e in at.error] + [str(e.value) for e in at.exception]
    print(_load())
    print(f"{path}: new filter, process CPU median {statistics.median(cpu):,.0f} ms (profiled, "
          f"so slower than unprofiled){'  ERRORS: ' + errors[0][:60] if errors else ''}")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top // 2)


if __name__ == "__main__":
    main()
