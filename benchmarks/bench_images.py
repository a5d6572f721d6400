"""Benchmark: a report's charts drawn with the private Kaleido override against Kaleido's public API.

``ete_metrics/present/report/images.py`` subclasses ``kaleido.Kaleido`` and overrides its
private ``_return_kaleido_tab`` so that the page is not reloaded after every chart
(Kaleido 1.5.0 reloads it, parsing plotly.js's 4.8 MB again, and offers no option to
keep it). Timed in the same run, alternately, each starting the system Chromium,
drawing the charts of the stakeholder report (45,000-referral demo, the print copies
a deck or PDF draws) and closing it:

- ``override``: :func:`ete_metrics.present.report.images.render_pngs` as it is (one
  page, not reloaded);
- ``public, n=1``: the same :class:`~ete_metrics.present.report.images.ChartBrowser`
  (stall guard, timing) over a plain ``kaleido.Kaleido(n=1, ...)``: the page reloaded
  after each chart;
- ``public, n=2``: plain ``kaleido.Kaleido(n=2, ...)`` and its public ``calc_fig`` for
  every chart at once (two pages drawing side by side, each reloaded after its chart);
- the floor: start the browser and draw one small chart (as ``bench_report_ratios.py``).

Prints the medians, their ratio to the floor and the override's saving; the PNGs of
each variant are checked to be identical to the override's.

Run: ``.venv/bin/python benchmarks/bench_images.py [--repeats N] [--participants N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ete_metrics.present.report import images  # noqa: E402


def report_figures(participants: int) -> list[dict[str, Any]]:
    """The print copies of the stakeholder report's charts, as the deck and the PDF draw them."""
    from ete_metrics.data.demo import generate_demo
    from ete_metrics.present.report import _for_print, report_content

    demo = generate_demo(n_participants=participants)
    content = report_content(demo.participants, demo.milestones, demo.targets, as_of="2023-08-16")
    return [_for_print(view.figure) for view in content.views if view.figure is not None]


def _plain(n: int) -> Callable[[str], Any]:
    def make(path: str) -> Any:
        import kaleido

        return kaleido.Kaleido(
            n=n, path=path, plotlyjs=images._plotly_js(), mathjax=False, timeout=90
        )

    return make


def public_parallel(figures: list[dict[str, Any]]) -> list[bytes]:
    """Two pages through the public API: every chart's ``calc_fig`` at once."""
    opts = [
        {"format": "png", "width": 1000, "height": images._height(f) or 540, "scale": 2.0}
        for f in figures
    ]

    async def draw() -> list[bytes]:
        browser = _plain(2)(images.browser_path())
        await browser.open()
        try:
            pngs = await asyncio.gather(
                *(browser.calc_fig(f, opts=o) for f, o in zip(figures, opts, strict=True))
            )
        finally:
            await browser.close()
        return [images._opaque(png) for png in pngs]

    return asyncio.run(draw())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--participants", type=int, default=45_000)
    args = parser.parse_args()
    import plotly.graph_objects as go

    figures = report_figures(args.participants)
    small = [go.Figure(go.Bar(x=["a", "b"], y=[1, 2])).to_dict()]
    override = images._kaleido

    def with_override() -> list[bytes]:
        images._kaleido = override  # type: ignore[assignment]
        return images.render_pngs(figures, width=1000, height=540)

    def public_one() -> list[bytes]:
        images._kaleido = _plain(1)  # type: ignore[assignment]
        try:
            return images.render_pngs(figures, width=1000, height=540)
        finally:
            images._kaleido = override  # type: ignore[assignment]

    variants: dict[str, Callable[[], list[bytes]]] = {
        "floor (browser + one chart)": lambda: images.render_pngs(small),
        "override (one page)": with_override,
        "public, n=1 (reloaded)": public_one,
        "public, n=2 (reloaded)": lambda: public_parallel(figures),
    }
    print(
        f"{len(figures)} charts of the stakeholder report ({args.participants:,} referrals); "
        f"Chromium {images.browser_path()}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    results = {name: fn() for name, fn in variants.items()}  # warm up (and the PNGs to compare)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, fn in variants.items():
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    same = {
        name: results[name] == results["override (one page)"] for name in variants if "n=" in name
    }
    floor = statistics.median(times["floor (browser + one chart)"])
    mine = statistics.median(times["override (one page)"])
    for name, took in times.items():
        median = statistics.median(took)
        print(
            f"{name:30s} median {median:6.2f} s (range {min(took):.2f}-{max(took):.2f})  "
            f"ratio to floor {median / floor:4.2f}  override saves {median - mine:+5.2f} s"
        )
    print(f"PNGs identical to the override's: {same}")


if __name__ == "__main__":
    main()
