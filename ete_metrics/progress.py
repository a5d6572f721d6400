"""Progress hooks: long work (an import, a report) says which step it is on.

A function that can take long takes ``progress``, a callable ``progress(step,
fraction)``: ``step`` is what it is doing now in words a person reads ("Checking
the participants"), ``fraction`` how much of the whole is done, from 0 to 1 (it
never goes down; 1 when finished). The caller decides how to show it: the command
line draws a bar on a terminal, the dashboard a status box. ``None`` shows nothing.
The library never prints or imports a user interface.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress", "share", "tell"]

#: ``progress(step, fraction)``: the step in words and the fraction done (0 to 1).
Progress = Callable[[str, float], None]


def tell(progress: Progress | None, step: str, fraction: float) -> None:
    """Report ``step`` at ``fraction`` (clipped to 0-1) when there is someone to tell."""
    if progress is not None:
        progress(step, min(max(fraction, 0.0), 1.0))


def share(progress: Progress | None, start: float, end: float) -> Progress | None:
    """A hook for one stage of a longer job: its 0-1 maps onto ``start``-``end`` of the whole.

    Parameters
    ----------
    progress : Progress or None
        The whole job's hook (``None``: the stage reports to nobody).
    start, end : float
        The share of the whole job this stage covers, ``0 <= start <= end <= 1``.

    Returns
    -------
    Progress or None
        ``None`` when ``progress`` is ``None``.
    """
    if progress is None:
        return None
    outer = progress

    def stage(step: str, fraction: float) -> None:
        tell(outer, step, start + (end - start) * min(max(fraction, 0.0), 1.0))

    return stage
