"""Concurrency: many browser sessions against one dashboard server, with an import mid-way.

Builds a demo database in a temporary folder (``python -m ete_metrics demo``),
starts ``streamlit run app.py`` headless on a free port of 127.0.0.1 against it,
and drives N simultaneous sessions in headless Debian Chromium (one browser, one
context per session; Playwright's Python package, never a downloaded browser).
Each session, for a bounded time, switches page through the sidebar and every
third step (the second first) changes a filter (a region in the sidebar, then "Reset filters").
Half-way through, an extract of new participants is imported from the command
line while everyone keeps reading (readers must see the data before or after it).

An action's time runs from the click until the new page's heading (or the new
URL, for a filter) is there and Streamlit reports the script is no longer running
(``data-test-script-state`` on the app root). Errors counted: Streamlit exception
boxes (``stException``), error messages (``stAlertContentError``), browser console
errors, uncaught page errors, actions that time out, and tracebacks in the server log.

Prints the median and 95th percentile of the action times (page switches and filter
changes separately and together) and the error counts. No assertions: the suite
runs a small version (``tests/test_concurrency_browser.py``) that asserts no errors.

Usage: ``python benchmarks/bench_concurrency.py [--sessions 20] [--seconds 60]
[--participants 45000] [--no-import]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SERVER_START_TIMEOUT = 120.0  # seconds
ACTION_TIMEOUT_MS = 90_000
#: Sidebar link text -> heading of the page.
PAGES: tuple[tuple[str, str], ...] = (
    ("Overview", "Overview"),
    ("Funnels", "Funnels"),
    ("Regions", "Regions"),
    ("Cohorts", "Cohorts"),
    ("Partners", "Partners"),
    ("Equality", "Equality"),
    ("Data", "Data"),
    ("About these statistics", "About these statistics"),
)
REGIONS = ("London", "North West", "West Midlands", "Wales")
#: True in the page when Streamlit has finished running the script.
IDLE = "() => { const a = document.querySelector('[data-testid=\"stApp\"]');" \
    " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }"


@dataclass
class Result:
    """What the sessions did and saw."""

    sessions: int
    seconds: float
    first_ms: list[float] = field(default_factory=list)
    page_ms: list[float] = field(default_factory=list)
    filter_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    import_seconds: float | None = None
    #: CPU seconds used during the run: the server process, and the whole machine.
    server_cpu: float | None = None
    machine_cpu: float | None = None
    wall: float | None = None
    offline: Counter[str] = field(default_factory=Counter)
    server_tracebacks: int = 0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def app_error_count(self) -> int:
        """Errors shown or logged by the app (everything but actions that timed out)."""
        return self.error_count - self.errors["timeout"]

    def note(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.examples) < 12:
            text = " ".join(detail.split())
            self.examples.append(f"{kind}: {text if len(text) < 500 else text[:200] + ' … ' + text[-300:]}")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    # Nearest-rank percentile.
    rank = max(1, int(-(-q * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]


def summary(result: Result) -> str:
    def line(label: str, values: list[float]) -> str:
        if not values:
            return f"  {label:<16} no actions"
        return (
            f"  {label:<16} n={len(values):>5,}  median {statistics.median(values) / 1000:6.2f} s"
            f"  p95 {_percentile(values, 95) / 1000:6.2f} s  max {max(values) / 1000:6.2f} s"
        )

    lines = [
        f"{result.sessions} sessions, each {result.seconds:.0f} s after its first page, "
        "on one server (127.0.0.1)",
        line("first page load", result.first_ms),
        line("page switches", result.page_ms),
        line("filter changes", result.filter_ms),
        line("all actions", result.page_ms + result.filter_ms),
    ]
    if result.import_seconds is not None:
        lines.append(f"  import mid-way   {result.import_seconds:.1f} s (command line, while reading)")
    lines.append(f"  errors           {result.error_count}, of which the app's own "
                 f"(not timeouts) {result.app_error_count}" + (
        " (" + ", ".join(f"{k} {v}" for k, v in sorted(result.errors.items())) + ")"
        if result.errors else ""
    ))
    lines.append(f"  server log tracebacks {result.server_tracebacks}")
    if result.server_cpu is not None and result.machine_cpu and result.wall:
        cores = os.cpu_count() or 1
        lines.append(
            f"  CPU: machine {result.machine_cpu / (result.wall * cores):.0%} busy on {cores} cores"
            f" over {result.wall:.0f} s; the server process used {result.server_cpu:.0f} CPU-s "
            f"({result.server_cpu / result.machine_cpu:.0%} of it), browsers and the rest the remainder"
        )
        actions = len(result.first_ms) + len(result.page_ms) + len(result.filter_ms)
        if actions:
            lines.append(f"  server CPU per page run: {result.server_cpu / actions:.2f} s "
                         f"({actions} page loads, switches and filter changes)")
    if result.offline:
        lines.append(
            "  not counted: external resources this offline machine cannot fetch: "
            + ", ".join(f"{url or '(no url)'} x{n}" for url, n in result.offline.most_common(4))
        )
    lines += [f"    {example}" for example in result.examples]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_demo(url: str, participants: int) -> None:
    subprocess.run(
        [sys.executable, "-m", "ete_metrics", "demo", "--db", url, "--participants", str(participants)],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, timeout=900,
    )


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def _machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


@contextmanager
def streamlit_server(
    url: str, log: Path, pids: list[int] | None = None, launch: Sequence[str] = ("streamlit", "run", "app.py"),
) -> Iterator[str]:
    """``streamlit run app.py`` on a free loopback port; yields the base URL; always stopped.

    The server's process id is appended to ``pids`` when given. ``launch`` is what
    ``python -m`` runs, before the server options (another script, or ``dashboard.serve``).
    """
    port = free_port()
    env = {**os.environ, "ETE_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable, "-m", *launch,
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    if pids is not None:
        pids.append(process.pid)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def write_extract(folder: Path, count: int) -> tuple[Path, Path]:
    """New participants BENCH1.. with a training start each (a small valid extract)."""
    folder.mkdir(parents=True, exist_ok=True)
    people = ["participant_id,region,referral_date,entry_date,delivery_partner"]
    events = ["participant_id,milestone,date"]
    for i in range(1, count + 1):
        people.append(f"BENCH{i},{REGIONS[i % 4]},2024-01-0{1 + i % 9},2024-02-0{1 + i % 9},Bench partner")
        events.append(f"BENCH{i},training_start,2024-03-0{1 + i % 9}")
    participants, milestones = folder / "participants.csv", folder / "milestones.csv"
    participants.write_text("\n".join(people) + "\n", encoding="utf-8")
    milestones.write_text("\n".join(events) + "\n", encoding="utf-8")
    return participants, milestones


def import_while_reading(url: str, folder: Path) -> float:
    participants, milestones = write_extract(folder, 500)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "ete_metrics", "import", "--participants", str(participants),
         "--milestones", str(milestones), "--db", url, "--extract-date", "2024-05-31"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, timeout=600,
    )
    return time.monotonic() - started


# ---------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------


async def _settle(page: Any, ready: str) -> None:
    """Wait (bounded) until ``ready`` holds and the script has finished."""
    await page.wait_for_function(f"() => ({ready})() && ({IDLE})()", timeout=ACTION_TIMEOUT_MS)


def _heading_js(heading: str) -> str:
    return (
        "() => Array.from(document.querySelectorAll('h1, h2, h3')).some("
        f"h => h.innerText.trim() === {heading!r})"
    )


async def _page_errors(page: Any, result: Result, where: str) -> None:
    shown = await page.locator('[data-testid="stException"]').all_inner_texts()
    for text in shown:
        result.note("exception", f"{where}: {text}")
    alerts = await page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
    for text in alerts:
        result.note("error message", f"{where}: {text}")


#: Tries at picking an option in a multiselect before giving up (see :func:`_choose`).
CHOOSE_ATTEMPTS = 6


def choose_wait_ms(attempt: int) -> int:
    """How long try ``attempt`` (from 0) waits for the option: 2 s, then longer, at most 10 s.

    A busy machine (four sessions and an import on two cores) can take seconds to draw
    the list, so later tries wait longer instead of giving up on a fixed short wait.
    """
    return min(2_000 * (attempt + 1), 10_000)


async def _choose(page: Any, box: Any, option: str) -> None:
    """Pick ``option`` in the multiselect ``box`` by typing its name, as a keyboard user does.

    Typing into the box's input opens its list, filtered to the matching option, whatever
    state a click would have left the list in (in Chromium 156 a click after Escape only
    focuses the box, and a rerun can close an open list). Each try types the name again
    and waits longer for the option; the tries are bounded. Escape closes the list.
    """
    wanted = page.get_by_role("option", name=option, exact=True)
    field = box.locator("input")
    for attempt in range(CHOOSE_ATTEMPTS):
        try:
            await field.click(timeout=5_000)
            await field.fill(option, timeout=5_000)
            await wanted.wait_for(state="visible", timeout=choose_wait_ms(attempt))
            await wanted.click(timeout=5_000)
            break
        except Exception:  # noqa: BLE001 - the list did not show, or closed under us: again
            if attempt == CHOOSE_ATTEMPTS - 1:
                raise
    await page.keyboard.press("Escape")


def _console(message: Any, number: int, result: Result) -> None:
    """Count console errors; a resource outside 127.0.0.1 that this offline box cannot
    fetch (Streamlit asks for some from the internet) is counted apart, not as an app error."""
    if message.type != "error":
        return
    where = (message.location or {}).get("url", "")
    if "Failed to load resource" in message.text and not where.startswith("http://127.0.0.1"):
        result.offline[where.split("?")[0]] += 1
        return
    result.note("console", f"session {number}: {message.text} ({where})")


async def session(browser: Any, base: str, number: int, seconds: float, result: Result) -> None:
    rng = random.Random(number)
    # A laptop-sized window; no animations (Playwright waits for elements to be still).
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, reduced_motion="reduce"
    )
    page = await context.new_page()
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    page.on("console", lambda m: _console(m, number, result))
    page.on("pageerror", lambda e: result.note("page error", f"session {number}: {e}"))
    try:
        began = time.perf_counter()
        await page.goto(base, wait_until="domcontentloaded", timeout=ACTION_TIMEOUT_MS)
        await _settle(page, _heading_js("Overview"))
        result.first_ms.append((time.perf_counter() - began) * 1000)
        # The bounded part: switching and filtering for ``seconds`` once the app is up.
        deadline = time.monotonic() + seconds
        step = 0
        current = "Overview"
        # At least one page switch and one filter change each, however slow the machine.
        while time.monotonic() < deadline or step < 2:
            step += 1
            try:
                if step % 3 == 2:
                    began = time.perf_counter()
                    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Regions").first
                    # Regions already chosen (each a tag in the box, `data-tag` in Streamlit
                    # 1.67, `data-baseweb="tag"` before): reset, else choose one.
                    if await box.locator('[data-tag], [data-baseweb="tag"]').count():
                        await page.locator('[data-testid="stSidebar"] button').filter(
                            has_text="Reset filters").first.click()
                        ready = "() => !location.search.includes('region=')"
                    else:
                        region = rng.choice(REGIONS)
                        await _choose(page, box, region)
                        ready = (
                            "() => new URLSearchParams(location.search).getAll('region')"
                            f".includes({region!r})"
                        )
                    await _settle(page, ready)
                    result.filter_ms.append((time.perf_counter() - began) * 1000)
                else:
                    link, heading = rng.choice([p for p in PAGES if p[1] != current])
                    began = time.perf_counter()
                    await page.locator('.st-key-ete_navigation a').filter(has_text=link).first.click()
                    await _settle(page, _heading_js(heading))
                    result.page_ms.append((time.perf_counter() - began) * 1000)
                    current = heading
                await _page_errors(page, result, f"session {number} step {step} on {current}")
            except Exception as exc:  # noqa: BLE001 - a timeout or a lost page: count, recover
                result.note("timeout" if "Timeout" in type(exc).__name__ else "action failed",
                            f"session {number} step {step} on {current}: {exc}")
                await page.goto(base, wait_until="domcontentloaded", timeout=ACTION_TIMEOUT_MS)
                await _settle(page, _heading_js("Overview"))
                current = "Overview"
    finally:
        await context.close()


async def drive(base: str, sessions: int, seconds: float, result: Result,
                halfway: Any = None) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=ACTION_TIMEOUT_MS
        )
        try:
            tasks = [asyncio.create_task(session(browser, base, n, seconds, result))
                     for n in range(sessions)]
            if halfway is not None:
                # Once every session has its first page, wait half the run, then import.
                while len(result.first_ms) < sessions and not all(t.done() for t in tasks):
                    await asyncio.sleep(0.2)
                await asyncio.sleep(seconds / 2)
                result.import_seconds = await asyncio.to_thread(halfway)
            for outcome in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    result.note("session lost", repr(outcome))
        finally:
            await browser.close()


def run(url: str, sessions: int, seconds: float, *, import_midway: bool, workdir: Path) -> Result:
    """Start the server on ``url``'s database, drive the sessions, stop it; return what happened."""
    result = Result(sessions=sessions, seconds=seconds)
    log = workdir / "streamlit.log"
    halfway = (lambda: import_while_reading(url, workdir / "extract")) if import_midway else None
    pids: list[int] = []
    with streamlit_server(url, log, pids) as base:
        server0, machine0, wall0 = _process_cpu(pids[0]), _machine_cpu(), time.monotonic()
        asyncio.run(drive(base, sessions, seconds, result, halfway))
        result.server_cpu = _process_cpu(pids[0]) - server0
        result.machine_cpu = _machine_cpu() - machine0
        result.wall = time.monotonic() - wall0
    result.server_tracebacks = log.read_text(errors="replace").count("Traceback")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--participants", type=int, default=45_000)
    parser.add_argument("--db", help="use this database instead of building a demo one")
    parser.add_argument("--no-import", action="store_true", help="no import half-way through")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="ete_bench_concurrency_") as tmp:
        workdir = Path(tmp)
        url = args.db or f"sqlite:///{workdir / 'ete_demo.db'}"
        if not args.db:
            started = time.monotonic()
            build_demo(url, args.participants)
            print(f"demo database: {args.participants:,} referrals in {time.monotonic() - started:.0f} s")
        result = run(url, args.sessions, args.seconds, import_midway=not args.no_import, workdir=workdir)
        print(summary(result))


if __name__ == "__main__":
    main()
