"""A progress bar for the long commands (``import``, ``report``) on a terminal.

:func:`progress_bar` gives the :data:`ete_metrics.progress.Progress` hook a
command passes to the library: on a terminal it draws a `tqdm
<https://tqdm.github.io>`_ bar on standard error with the step in words; when
standard error is not a terminal (a pipe, a file, a scheduled job) or with
``--quiet`` it gives ``None`` and nothing extra is printed. tqdm is imported only
when a bar is drawn.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ete_metrics.progress import Progress

__all__ = ["progress_bar", "wants_bar"]

#: Steps of the bar (a whole job is 100).
_STEPS = 100


def wants_bar(quiet: bool, stream: Any = None) -> bool:
    """Whether to draw a bar: not ``quiet`` and ``stream`` (default stderr) is a terminal."""
    stream = sys.stderr if stream is None else stream
    if quiet:
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a real file
        return False


@contextmanager
def progress_bar(quiet: bool, stream: Any = None) -> Iterator[Progress | None]:
    """The progress hook of a command: a terminal bar, or ``None`` (nothing shown).

    Parameters
    ----------
    quiet : bool
        ``--quiet``: never draw.
    stream : file-like, optional
        Where the bar goes (default ``sys.stderr``).

    Yields
    ------
    Progress or None
        Call it with ``(step, fraction)``; the bar is cleared when the block ends.
    """
    stream = sys.stderr if stream is None else stream
    if not wants_bar(quiet, stream):
        yield None
        return
    from tqdm import tqdm

    # the terminal's size (80 x 24 when it reports none, as a new pseudo-terminal may: tqdm
    # would then hide the bar as below the bottom of a screen of no lines)
    size = shutil.get_terminal_size((80, 24))
    with tqdm(
        total=_STEPS, file=stream, leave=False, ncols=min(size.columns, 100), nrows=size.lines,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}",
    ) as bar:

        def show(step: str, fraction: float) -> None:
            bar.set_description_str(step, refresh=False)
            bar.update(max(int(round(fraction * _STEPS)) - bar.n, 0))
            bar.refresh()

        yield show
