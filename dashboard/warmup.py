"""Warm-up: what the first page needs, loaded once per server, so the first visitor waits no longer.

A cold server makes its first visitor wait for everything nobody has needed yet:
the page modules and their libraries (Plotly, the metrics, the charts), the whole
programme data read from the database, the milestones' participant rows. Later
visitors find all of that in memory (``st.cache_resource`` and the loaded
modules are shared by every session of the process). :func:`warm_up` does that
work in advance; :func:`start_warm_up` runs it once per process in a background
thread.

It starts at server start when the dashboard is launched with ``python -m
dashboard.serve`` (``make run``), and otherwise with the first session (``app.py``
calls :func:`start_warm_up`; the thread then works beside that first visitor's
own loading, and every visitor after finds it done). It never shows anything and
never fails the app: an empty or missing database, or any error, is logged and
left for the pages to report as they always do.
"""

from __future__ import annotations

import ast
import importlib
import logging
import threading
import time
from pathlib import Path

from streamlit import config as streamlit_config
from streamlit.logger import get_logger

__all__ = ["page_modules", "start_warm_up", "start_with_the_server", "warm_up"]

#: Streamlit's logger (its level and handler): "Warm-up done: ..." shows in the server log.
LOGGER = get_logger(__name__)
ROOT = Path(__file__).resolve().parent.parent
THREAD_NAME = "ete-warm-up"
#: The logger of Streamlit's "Thread '...': missing ScriptRunContext!" warning.
CONTEXT_LOGGER = "streamlit.runtime.scriptrunner_utils.script_run_context"


class _NotFromTheWarmUp(logging.Filter):
    """Drops the warm-up thread's "missing ScriptRunContext" warnings, and nothing else.

    The warm-up fills the shared caches outside any session by design; Streamlit warns
    about every cached call made so (harmless, as the warning itself says), which would
    read as a fault in the server's log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != THREAD_NAME


def page_modules(folder: Path = ROOT / "app_pages") -> list[str]:
    """The modules the pages import at their top level (found in their source), sorted."""
    found: set[str] = set()
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
    return sorted(found - {"__future__"})


def _first_chart() -> None:
    """Build and serialise one small chart (Plotly loads its validators on first use)."""
    import plotly.graph_objects as go

    go.Figure(go.Bar(x=["a", "b"], y=[1, 2])).to_json()


def warm_up() -> dict[str, float]:
    """Import what the pages import and load the whole programme data into the caches.

    Returns
    -------
    dict of str to float
        Seconds each part took (``modules``, ``chart``, ``data``); a part that
        failed is left out (the reason is logged).
    """
    took: dict[str, float] = {}
    start = time.perf_counter()
    # what the pages import, and pandas' Styler (with Jinja2), imported when the RAG table is drawn
    for name in [*page_modules(), "pandas.io.formats.style"]:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a page reports its own import error
            LOGGER.warning("Warm-up: could not import %s", name, exc_info=True)
    took["modules"] = time.perf_counter() - start
    start = time.perf_counter()
    try:
        _first_chart()
        took["chart"] = time.perf_counter() - start
    except Exception:  # noqa: BLE001 - charts report their own errors on the page
        LOGGER.warning("Warm-up: could not build a chart", exc_info=True)
    start = time.perf_counter()
    try:
        from dashboard.data import read_data, warm_filters

        warm_filters(read_data())  # everything, as the local operator and directors see it
        took["data"] = time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 - no data yet: the pages say what to do
        LOGGER.info("Warm-up: no programme data loaded (%s)", exc)
    LOGGER.info("Warm-up done: %s", ", ".join(f"{k} {v:.2f} s" for k, v in took.items()))
    return took


def start_warm_up() -> threading.Thread | None:
    """Start :func:`warm_up` in a background thread, once per process (later calls: the same thread).

    Under AppTest (``global.appTest``) nothing is started: a test's script runs alone,
    with no thread beside it reading the test's database or counting as its calls.
    """
    if streamlit_config.get_option("global.appTest"):  # the module's: AppTest patches it there
        return None
    return _warm_up_thread()


def start_with_the_server() -> None:
    """Start the warm-up as soon as the server has read its configuration (``dashboard.serve``).

    Nothing here reads the configuration itself: read before ``streamlit run`` reads it
    with its own options (the port from ``STREAMLIT_SERVER_PORT``, say), it would be
    read twice, and Streamlit would warn that "[server] config option section was
    detected" changed.
    """
    streamlit_config.on_config_parsed(_start_once, force_connect=True)


def _start_once() -> None:
    _warm_up_thread()


_STARTED: list[threading.Thread] = []
_START_LOCK = threading.Lock()


def _warm_up_thread() -> threading.Thread:
    with _START_LOCK:
        if not _STARTED:
            logging.getLogger(CONTEXT_LOGGER).addFilter(_NotFromTheWarmUp())
            thread = threading.Thread(target=warm_up, name=THREAD_NAME, daemon=True)
            thread.start()
            _STARTED.append(thread)
        return _STARTED[0]
