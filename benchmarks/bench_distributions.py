"""Benchmark: the exact distributions from ``scipy.special`` against the NumPy ones they replaced.

``ete_metrics/metrics/distributions.py`` was an exact binomial, Poisson and gamma in
NumPy (Loader's saddle point, continued fractions, Newton's method), written because
SciPy "takes 1.5 s to load". It now calls ``scipy.special`` (``betaincc``,
``gammaincc``, ``gammaincinv``). The NumPy version is read from the commit before the
change (:data:`HANDWRITTEN`, by ``git show``), so both run in the same run:

1. **Import**, what a person running the CLI waits for: fresh ``python -c`` processes,
   in rounds, alternating: the floor ``import pandas, sqlalchemy`` (as
   ``bench_cli_start.py``), then the floor plus one funnel-plot limit worked out by each
   implementation (``binomial_ppf``: the NumPy one imports nothing more, the
   ``scipy.special`` one loads it on first use), and the floor plus ``import
   scipy.stats`` (what the library would cost through ``scipy.stats``). Wall and CPU
   seconds (user + system; far steadier than wall time on a loaded machine), medians,
   and their ratio to the floor.
2. **Run time** at realistic sizes, in this process, alternately (median of five): the
   work of a comparison page or report, the funnel limits at 120 group sizes up to a
   page's 45,000 referrals and up to the CLI's 1,000,000 (four probabilities each), the
   standardised ratios' limits at 120 expected counts (four) and the exact Poisson
   intervals of 150 groups; with the largest difference between the two results.

Run: ``.venv/bin/python benchmarks/bench_distributions.py [--repeats N]``.
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
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_funnel import time_pair  # noqa: E402

from ete_metrics.metrics import distributions  # noqa: E402

#: The last commit with the NumPy implementation (issue 27 replaced it).
HANDWRITTEN = "50f9301"
SOURCE = "ete_metrics/metrics/distributions.py"
FLOOR = "import pandas, sqlalchemy"
PROBABILITIES = (0.001, 0.025, 0.975, 0.999)


def handwritten_source() -> str:
    return subprocess.run(
        ["git", "show", f"{HANDWRITTEN}:{SOURCE}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _run(command: list[str], cpu: list[float]) -> float:
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    took = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{' '.join(command)} failed")
    cpu.append(usage.ru_utime + usage.ru_stime)
    return took


def imports(folder: str, repeats: int) -> None:
    """Part 1: fresh processes."""
    limit = "binomial_ppf(0.975, [100.0, 45000.0], 0.3)"
    commands = {
        "import pandas, sqlalchemy (floor)": FLOOR,
        "+ a limit, NumPy (hand-written)": f"{FLOOR}\nimport sys; sys.path.insert(0, {folder!r})\n"
        f"from handwritten_distributions import binomial_ppf\n{limit}",
        "+ a limit, scipy.special": f"{FLOOR}\nfrom ete_metrics.metrics.distributions import binomial_ppf\n{limit}",
        "+ import scipy.stats": f"{FLOOR}\nimport scipy.stats",
    }
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for code in commands.values():  # warm the file cache
        _run([sys.executable, "-c", code], [])
    for _ in range(repeats):
        for name, code in commands.items():
            wall[name].append(_run([sys.executable, "-c", code], cpu[name]))
    floor_wall = statistics.median(next(iter(wall.values())))
    floor_cpu = statistics.median(next(iter(cpu.values())))
    print(f"1. import, {repeats} fresh processes each (median):")
    for name in commands:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(
            f"   {name:34s} wall {w:6.2f} s (ratio {w / floor_wall:4.2f})"
            f"   CPU {c:5.2f} s (ratio {c / floor_cpu:4.2f}, +{c - floor_cpu:4.2f} s)"
        )


def workloads(module: types.ModuleType) -> dict[str, Callable[[], list[np.ndarray]]]:
    page = np.unique(np.round(np.geomspace(5, 45_000 * 1.2, 120) / 5) * 5)
    cli = np.unique(np.round(np.geomspace(5, 1_000_000 * 1.2, 120) / 5) * 5)
    expected = np.geomspace(0.5, 45_000 * 0.3, 120)
    observed = np.random.default_rng(27).poisson(300.0, 150).astype("float64")

    def limits(sizes: np.ndarray) -> Callable[[], list[np.ndarray]]:
        return lambda: [a for p in PROBABILITIES for a in module.binomial_ppf(p, sizes, 0.3)]

    def ratios() -> list[np.ndarray]:
        return [a for p in PROBABILITIES for a in module.poisson_ppf(p, expected)]

    def intervals() -> list[np.ndarray]:
        return [
            module.gamma_ppf(0.025, np.maximum(observed, 1.0)),
            module.gamma_ppf(0.975, observed + 1.0),
        ]

    return {
        "funnel limits, 120 sizes to 45,000": limits(page),
        "funnel limits, 120 sizes to 1,000,000": limits(cli),
        "ratio limits, 120 expected counts": ratios,
        "Poisson intervals, 150 groups": intervals,
    }


def run_times(handwritten: types.ModuleType) -> None:
    """Part 2: in this process."""
    print("2. run time (median of 5, alternating):")
    ours, library = workloads(handwritten), workloads(distributions)
    for name in ours:
        (numpy_s, numpy_out), (special_s, special_out) = time_pair(ours[name], library[name])
        differs = max(
            float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1.0)))
            for a, b in zip(numpy_out, special_out, strict=True)
        )
        print(
            f"   {name:38s} NumPy {numpy_s * 1000:7.1f} ms   scipy.special {special_s * 1000:6.1f} ms"
            f"   ratio NumPy / scipy.special {numpy_s / special_s:5.1f}   largest difference {differs:.1e}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "handwritten_distributions.py"
        path.write_text(handwritten_source())
        imports(folder, args.repeats)
        sys.path.insert(0, folder)
        import handwritten_distributions  # type: ignore[import-not-found]

        run_times(handwritten_distributions)


if __name__ == "__main__":
    main()
