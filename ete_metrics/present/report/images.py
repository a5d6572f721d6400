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
"""

from __future__ import annotations

import asyncio
import os
import queue
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from ete_metrics.errors import ConfigError
from ete_metrics.progress import Progress, tell

__all__ = ["DEFAULT_SCALE", "browser_path", "render_pngs"]

#: Pixel density: 2 gives sharp images on projectors and in print.
DEFAULT_SCALE = 2.0

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


async def _render(
    figures: Sequence[go.Figure], opts: list[dict[str, Any]], path: str, done: queue.SimpleQueue[int]
) -> list[bytes]:
    import kaleido

    async with kaleido.Kaleido(n=1, path=path, plotlyjs=_plotly_js(), mathjax=False, timeout=90) as k:
        results = []
        for figure, opt in zip(figures, opts, strict=True):
            results.append(await k.calc_fig(figure, opts=opt))
            done.put(len(results))
        return results


def render_pngs(
    figures: Sequence[go.Figure],
    *,
    width: int = 1100,
    height: int = 560,
    scale: float = DEFAULT_SCALE,
    progress: Progress | None = None,
) -> list[bytes]:
    """Render Plotly figures to PNG images with one headless Chromium.

    Parameters
    ----------
    figures : sequence of plotly.graph_objects.Figure
        The charts (not modified).
    width, height : int
        Size in CSS pixels; a figure's own ``layout.height`` wins over ``height``.
    scale : float, default 2
        Pixel density of the PNG (2 doubles the pixels for sharp images).
    progress : Progress, optional
        Told after each chart ("Drawing chart 3 of 8"), from the calling thread (the
        charts are drawn in a worker thread; a caller such as a Streamlit script can
        only update its page from its own thread).

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
    try:
        import kaleido  # noqa: F401
    except ImportError:
        raise ConfigError(f"Charts in reports need Kaleido. {_INSTALL_HINT}") from None
    path = browser_path()
    _quiet_browser_logs()
    opts = [
        {
            "format": "png",
            "width": width,
            "height": int(f.layout.height) if f.layout.height else height,
            "scale": scale,
        }
        for f in figures
    ]
    outcome: dict[str, Any] = {}
    done: queue.SimpleQueue[int] = queue.SimpleQueue()

    def run() -> None:  # in its own thread: the caller may already run an event loop
        try:
            outcome["images"] = asyncio.run(_render(list(figures), opts, path, done))
        except BaseException as exc:  # noqa: BLE001 - reported below as a ConfigError
            outcome["error"] = exc
        finally:
            done.put(-1)  # the worker has finished

    total = len(figures)
    worker = threading.Thread(target=run, name="ete-kaleido", daemon=True)
    worker.start()
    tell(progress, f"Drawing chart 1 of {total}", 0.0)
    while (drawn := done.get()) >= 0:
        if drawn < total:
            tell(progress, f"Drawing chart {drawn + 1} of {total}", drawn / total)
    worker.join()
    if "error" in outcome:
        exc = outcome["error"]
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            f"Could not draw the charts with Chromium at {path} ({type(exc).__name__}: {first}). "
            f"{_INSTALL_HINT}"
        ) from exc
    tell(progress, f"Drew {total} charts", 1.0)
    return [_opaque(png) for png in outcome["images"]]


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
