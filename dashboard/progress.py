"""Progress on screen while long work runs: a status box with the step it is on.

:func:`status_progress` turns the library's progress hook
(:mod:`ete_metrics.progress`) into an ``st.status`` box holding an ``st.progress``
bar: the box's label and the bar's text say the step ("Checking the milestones"),
the bar how far the work has gone. It must be used from the page's script (the
library tells the hook from the calling thread, never from a worker).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from ete_metrics.progress import Progress

__all__ = ["status_progress"]


@contextmanager
def status_progress(working: str, finished: str) -> Iterator[Progress]:
    """Show a status box while the block runs and yield the progress hook that moves it.

    Parameters
    ----------
    working : str
        The box's label while the work runs, e.g. "Checking the files".
    finished : str
        Its label when the block ends without an error, e.g. "Checked the files".

    Yields
    ------
    Progress
        Pass it to the library function as ``progress``.
    """
    with st.status(working, expanded=True) as status:
        bar = st.progress(0, text=working)

        def show(step: str, fraction: float) -> None:
            bar.progress(int(round(fraction * 100)), text=step)
            status.update(label=f"{working}: {step[:1].lower()}{step[1:]}")

        try:
            yield show
        except BaseException:
            status.update(label=f"{working}: stopped", state="error", expanded=False)
            raise
        bar.empty()
        status.update(label=finished, state="complete", expanded=False)
