"""Charts to PNG through Plotly's Kaleido and the system Chromium, offline.

Kaleido v1 drives a headless Chrome/Chromium through ``choreographer``. We
never let it download a browser: the binary is ``ETE_CHROMIUM``, else
``BROWSER_PATH`` (the variable choreographer reads), else the first of
``/usr/bin/chromium``, ``chromium``, ``chromium-browser``, ``google-chrome`` on
the PATH, and it is passed to ``kaleido.Kaleido(path=...)`` explicitly. The page
loads the ``plotly.min.js`` that ships with the installed plotly package and no
MathJax, so nothing is fetched from the network. When no browser can be run an
:class:`~ete_metrics.errors.ConfigError` says what to install; charts are never
left out silently.

Starting Chromium and loading plotly.js into its page takes seconds, longer than
drawing a report's charts: :class:`ChartBrowser` starts it in a thread of its own
(:func:`start_browser`), so that a caller works out its figures meanwhile, and
draws every chart of a report in that one page, one after another.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import queue
import shutil
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ete_metrics.errors import ConfigError
from ete_metrics.progress import Progress, tell

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["DEFAULT_SCALE", "ChartBrowser", "browser_path", "render_pngs", "start_browser"]

#: Pixel density: 2 gives sharp images on projectors and in print.
DEFAULT_SCALE = 2.0

#: Seconds without a chart drawn (or the browser opened) after which Chromium is taken
#: to have stalled: it is started again and the charts drawn once more; a second stall
#: is reported. Kaleido bounds each drawing itself, but not the waits around it (opening
#: the browser, getting its page): one of those once held a report for good.
STALL_SECONDS = 120.0

_CANDIDATES: tuple[str, ...] = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")

_INSTALL_HINT = (
    "Install Chromium (Debian/Ubuntu: `apt-get install chromium`) and Kaleido "
    "(`pip install kaleido`), or set ETE_CHROMIUM to the path of a Chrome or Chromium binary."
)


def browser_path() -> str:
    """The Chrome/Chromium binary Kaleido will run.

    Returns
    -------
    str
        ``ETE_CHROMIUM`` or ``BROWSER_PATH`` when set, else the first candidate found.

    Raises
    ------
    ConfigError
        When the named binary does not exist or no browser is installed.
    """
    for variable in ("ETE_CHROMIUM", "BROWSER_PATH"):
        named = os.environ.get(variable, "").strip()
        if named:
            found = shutil.which(named)
            if not found:
                raise ConfigError(f"{variable}={named!r} is not an executable browser. {_INSTALL_HINT}")
            return found
    for candidate in _CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise ConfigError(f"Charts need a Chromium browser to draw them and none was found. {_INSTALL_HINT}")


def _plotly_js() -> str:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise ConfigError(
            f"plotly's bundled plotly.min.js is missing ({path}); reinstall plotly (`pip install plotly`)."
        )
    return str(path)


def _kaleido(path: str) -> Any:
    """A Kaleido browser (not yet open) whose page is not reloaded between charts.

    Kaleido reloads its page after every chart, which parses plotly.js's 4.8 MB
    again. ``Plotly.toImage`` draws each chart in a new element of its own and removes
    it, so the next chart is drawn exactly as on a fresh page (the tests compare the
    images). Kaleido 1.5.0's public API has no way to keep the page (``calc_fig``,
    ``write_fig`` and the sync server all go through the private method overridden
    here, and no option of ``Kaleido(...)`` or its page generator changes it), so the
    override stays while ``benchmarks/bench_images.py`` shows it saves a felt
    difference; without the private method (a later Kaleido) the plain class is used.
    """
    import kaleido

    class _OnePage(kaleido.Kaleido):  # type: ignore[misc]
        async def _return_kaleido_tab(self, tab: Any) -> None:
            await self.tabs_ready.put(tab)

    chosen = _OnePage if hasattr(kaleido.Kaleido, "_return_kaleido_tab") else kaleido.Kaleido
    return chosen(n=1, path=path, plotlyjs=_plotly_js(), mathjax=False, timeout=90)


class ChartBrowser:
    """A headless Chromium with plotly.js loaded, started in a thread of its own.

    Made by :func:`start_browser`, which returns at once: the browser starts while
    the caller works. :meth:`draw` waits until it is ready, then draws charts in its
    one page; :meth:`close` ends it (also as a context manager). A browser that
    could not start says so, as a :class:`~ete_metrics.errors.ConfigError`, when
    asked to draw, not before: a caller's own errors come first.
    """

    def __init__(self) -> None:
        self._path = ""
        self._problem: ConfigError | None = None
        self._closed = False
        self._closing: concurrent.futures.Future[None] | None = None
        self._loop = asyncio.new_event_loop()
        self._browser: Any = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="ete-kaleido", daemon=True)
        try:
            self._path = browser_path()
        except ConfigError as exc:
            self._problem = exc
        self._opened: concurrent.futures.Future[None] | None = None
        if self._problem is None:
            _quiet_browser_logs()
            self._thread.start()
            self._opened = asyncio.run_coroutine_threadsafe(self._open(), self._loop)

    async def _open(self) -> None:
        try:  # imported here, in the browser's thread: the caller carries on meanwhile
            import kaleido  # noqa: F401
        except ImportError:
            raise ConfigError(f"Charts in reports need Kaleido. {_INSTALL_HINT}") from None
        self._browser = _kaleido(self._path)  # kept first: closed even if opening fails
        await self._browser.open()

    async def _draw(
        self,
        figures: Sequence[Any],
        opts: Sequence[Mapping[str, Any]],
        done: queue.SimpleQueue[int],
    ) -> list[bytes]:
        loop = asyncio.get_running_loop()
        flattened: list[asyncio.Future[bytes]] = []
        for figure, opt in zip(figures, opts, strict=True):
            png = await self._browser.calc_fig(figure, opts=dict(opt))
            # made opaque in a worker thread while Chromium draws the next chart
            flattened.append(loop.run_in_executor(None, _opaque, png))
            done.put(len(flattened))
        return list(await asyncio.gather(*flattened))

    def draw(
        self,
        figures: Sequence[Any],
        opts: Sequence[Mapping[str, Any]],
        progress: Progress | None = None,
    ) -> list[bytes]:
        """Draw figures to opaque PNGs, one after another in the one page.

        Parameters
        ----------
        figures : sequence of plotly.graph_objects.Figure or dict
            The charts (not modified).
        opts : sequence of dict
            Kaleido's options of each chart: ``format``, ``width``, ``height``, ``scale``.
        progress : Progress, optional
            Told after each chart, from the calling thread.

        Returns
        -------
        list of bytes

        Raises
        ------
        ConfigError
            When Kaleido or Chromium is missing, the browser could not draw, or it
            stalled twice (no chart for :data:`STALL_SECONDS`; after the first stall it
            is started again and every chart drawn once more).
        """
        if self._problem is not None:
            raise self._problem
        if self._closed or self._opened is None:
            raise RuntimeError("This chart browser is closed.")
        total = len(figures)
        tell(progress, f"Drawing chart 1 of {total}", 0.0)
        try:
            images = self._draw_or_stall(figures, opts, progress)
        except _StalledError:  # once more, in a new browser
            tell(progress, "Starting the chart browser again", 0.0)
            self._reopen()
            try:
                images = self._draw_or_stall(figures, opts, progress)
            except _StalledError as stalled:
                raise ConfigError(
                    f"Chromium at {self._path} stopped drawing charts (chart {stalled.chart} of {total} "
                    f"was not drawn in {STALL_SECONDS:g} seconds, twice). Try again; if it keeps "
                    f"happening, check that Chromium runs on this machine. {_INSTALL_HINT}"
                ) from None
        tell(progress, f"Drew {total} charts", 1.0)
        return images

    def _draw_or_stall(
        self, figures: Sequence[Any], opts: Sequence[Mapping[str, Any]], progress: Progress | None
    ) -> list[bytes]:
        """Draw in the browser's thread, telling ``progress`` from this one; raise
        :class:`_StalledError` (the drawing cancelled) after :data:`STALL_SECONDS` without a chart."""
        total = len(figures)
        done: queue.SimpleQueue[int] = queue.SimpleQueue()

        async def opened_then_draw() -> list[bytes]:
            assert self._opened is not None
            await asyncio.wrap_future(self._opened)
            return await self._draw(figures, opts, done)

        job = asyncio.run_coroutine_threadsafe(opened_then_draw(), self._loop)
        job.add_done_callback(lambda _: done.put(-1))  # the drawing has finished
        drawn = 0
        while True:
            try:
                step = done.get(timeout=STALL_SECONDS)
            except queue.Empty:
                job.cancel()
                raise _StalledError(drawn + 1) from None
            if step < 0:
                break
            drawn = step
            if drawn < total:
                tell(progress, f"Drawing chart {drawn + 1} of {total}", drawn / total)
        try:
            return job.result()
        except ConfigError:
            raise
        except BaseException as exc:  # noqa: BLE001 - reported as a ConfigError
            raise self._failure(exc) from exc

    def _failure(self, exc: BaseException) -> ConfigError:
        """What went wrong, in words: Chromium is there (it was found), so it is never
        "install Chromium" unless it was never started at all."""
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        detail = f"{type(exc).__name__}: {first}"
        opened = self._opened is not None and self._opened.done() and self._opened.exception() is None
        if opened:
            return ConfigError(
                f"Chromium at {self._path} stopped while drawing the charts ({detail}): it was "
                "closed or ended by something else on this machine, or ran out of memory. Nothing "
                "was written; try again."
            )
        return ConfigError(
            f"Chromium at {self._path} could not be started to draw the charts ({detail}). Check "
            f"that it runs on this machine (`{self._path} --headless --version`), or set "
            "ETE_CHROMIUM to another Chrome or Chromium binary. Nothing was written."
        )

    def _reopen(self) -> None:
        """Close the stalled browser (bounded) and start a new one in the same thread."""
        stalled = self._browser

        async def reopen() -> None:
            if stalled is not None:
                with contextlib.suppress(BaseException):  # it has stalled: closed as far as it goes
                    await asyncio.wait_for(stalled.close(), timeout=30)
            self._browser = _kaleido(self._path)
            await self._browser.open()

        self._opened = asyncio.run_coroutine_threadsafe(reopen(), self._loop)

    def close(self, wait: bool = True) -> None:
        """End the browser and its thread; closing again is harmless.

        Parameters
        ----------
        wait : bool, default True
            Wait until both have ended. ``False`` starts closing and returns (the
            browser ends while the caller lays out its files); a later ``close()`` waits.
        """
        if self._opened is None:
            if not self._closed:
                self._closed = True
                self._loop.close()
            return
        self._closed = True

        async def shut() -> None:
            assert self._opened is not None
            with contextlib.suppress(BaseException):  # a failed start was reported by draw
                await asyncio.wrap_future(self._opened)
            if self._browser is not None:
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(self._browser.close(), timeout=30)
            # What the browser driver left running (its watchdog of a browser that died,
            # say) ends here, not at exit with "Task was destroyed but it is pending!".
            left = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)
            await self._loop.shutdown_default_executor()

        if self._closing is None:
            self._closing = asyncio.run_coroutine_threadsafe(shut(), self._loop)
        if not wait or self._loop.is_closed():
            return
        try:
            self._closing.result(timeout=60)
        except BaseException:  # noqa: BLE001 - closing must not hide the caller's outcome
            pass
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            if not self._thread.is_alive():
                self._loop.close()

    def __enter__(self) -> ChartBrowser:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class _StalledError(Exception):
    """Chromium drew nothing for :data:`STALL_SECONDS`; ``chart`` is the one it was on (from 1)."""

    def __init__(self, chart: int) -> None:
        super().__init__(chart)
        self.chart = chart


def start_browser() -> ChartBrowser:
    """Start Chromium and load plotly.js in the background; returns at once.

    Returns
    -------
    ChartBrowser
        To draw with (:meth:`ChartBrowser.draw`, :func:`render_pngs`) and close.
        Never raises: a missing Kaleido or Chromium is reported when drawing.
    """
    return ChartBrowser()


def render_pngs(
    figures: Sequence[go.Figure | dict[str, Any]],
    *,
    width: int = 1100,
    height: int = 560,
    scale: float = DEFAULT_SCALE,
    progress: Progress | None = None,
    browser: ChartBrowser | None = None,
) -> list[bytes]:
    """Render Plotly figures to PNG images with one headless Chromium.

    Parameters
    ----------
    figures : sequence of plotly.graph_objects.Figure or dict
        The charts (not modified), as figures or their ``to_dict()``.
    width, height : int
        Size in CSS pixels; a figure's own ``layout.height`` wins over ``height``.
    scale : float, default 2
        Pixel density of the PNG (2 doubles the pixels for sharp images).
    progress : Progress, optional
        Told after each chart ("Drawing chart 3 of 8"), from the calling thread (the
        charts are drawn in a worker thread; a caller such as a Streamlit script can
        only update its page from its own thread).
    browser : ChartBrowser, optional
        A browser already started (:func:`start_browser`), left open; by default one
        is started for these charts and closed.

    Returns
    -------
    list of bytes
        Opaque (RGB) PNG files, one per figure, in order.

    Raises
    ------
    ConfigError
        When Kaleido is not installed or Chromium cannot be found or started.
    """
    if not figures:
        return []
    opts = [
        {"format": "png", "width": width, "height": _height(f) or height, "scale": scale}
        for f in figures
    ]
    if browser is not None:
        return browser.draw(figures, opts, progress)
    with start_browser() as own:
        return own.draw(figures, opts, progress)


def _height(figure: go.Figure | dict[str, Any]) -> int | None:
    """The figure's own ``layout.height``, if it has one."""
    if isinstance(figure, dict):
        value = figure.get("layout", {}).get("height")
    else:
        value = figure.layout.height
    return int(value) if value else None


def _quiet_browser_logs() -> None:
    """Keep Kaleido's browser driver from printing tracebacks on the user's terminal.

    ``choreographer`` logs recoverable hiccups of the browser pipe (a message split
    between two reads: "JSONError decoding message. Ignoring") with a full traceback
    on standard error. They are not errors of the report; real failures still reach
    :func:`render_pngs`, which raises a :class:`ConfigError` saying what to fix.
    """
    import logging

    for name in ("choreographer", "kaleido", "logistro"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _opaque(png: bytes) -> bytes:
    """The PNG without its alpha channel, on white (the charts' background).

    Kaleido writes RGBA; an opaque RGB image looks the same and a PDF writer embeds
    it about three times faster (no soft mask to build).
    """
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        if image.mode == "RGB":
            return png
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.convert("RGBA").getchannel("A"))
        out = io.BytesIO()
        background.save(out, format="PNG", optimize=False)
        return out.getvalue()
