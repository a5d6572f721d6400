"""Threads for the counting rules: split into stretches, run, combine.

The rules themselves (:mod:`ete_metrics.counting.population`) are written as plain
functions of one stretch of rows; this module decides how many stretches, runs them in
threads and joins their outputs in row order, so the figures never depend on the threads.
The work in the threads is mostly NumPy and Arrow, which releases the GIL
(``benchmarks/bench_funnel.py`` and ``bench_scaling.py`` measure the time).

For the milestone rule (:func:`ete_metrics.counting.population.counted_events`) the
milestones are taken in stretches of rows (one per processor, for a large table). The
calling thread reads the ids, one read after another (for Python strings that holds the
GIL, so reads in several threads would only queue for it); the NumPy and Arrow work runs
in threads beside it: each stretch's milestones of the wanted types and dates are chosen
while the calling thread reads the population's ids; the population is hashed while it
reads the chosen milestones' ids; each stretch's ids are looked up as soon as they are read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

#: Rows are read in stretches of at least this many, one thread each.
STRETCH_ROWS = 500_000

Chosen = TypeVar("Chosen")
Prepared = TypeVar("Prepared")
Shared = TypeVar("Shared")
Read = TypeVar("Read")
Out = TypeVar("Out")


def stretches(rows: int) -> list[slice]:
    """The stretches ``rows`` rows are read in: one per processor this process may use,
    each of at least :data:`STRETCH_ROWS` rows (one stretch for a smaller table)."""
    processors = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    )
    count = max(1, min(processors or 1, rows // STRETCH_ROWS))
    bounds = np.linspace(0, rows, count + 1).astype(int)
    return [slice(int(low), int(high)) for low, high in zip(bounds[:-1], bounds[1:], strict=True)]


def run_in_stretches(
    parts: list[slice],
    *,
    choose: Callable[[slice], Chosen],
    prepare: Callable[[], Prepared],
    shared: Callable[[Prepared], Shared],
    read: Callable[[Chosen], Read],
    finish: Callable[[Shared, Chosen, Read, slice], Out],
) -> list[Out]:
    """Run a three-stage rule over stretches of rows, overlapping the stages in threads.

    - ``choose(stretch)`` runs for every stretch at once, in threads;
    - ``prepare()`` runs in *this* thread meanwhile, and ``shared(prepared)`` (what every
      stretch's last stage needs) then in a thread beside them;
    - ``read(chosen)`` runs in *this* thread, one stretch after another, as each choice is
      ready (for work that holds the GIL, such as reading Python strings, which several
      threads would only queue for);
    - ``finish(shared, chosen, read, stretch)`` runs in a thread as soon as that stretch
      is read, waiting for ``shared`` there.

    Parameters
    ----------
    parts : list of slice
        The stretches (:func:`stretches`).
    choose, prepare, shared, read, finish : callable
        The stages, as above.

    Returns
    -------
    list
        ``finish``'s output for each stretch, in the order of ``parts``.
    """
    # one thread more than stretches, so that the shared task, submitted before the
    # last stages that wait for it, always has one
    with ThreadPoolExecutor(max_workers=len(parts) + 1, thread_name_prefix="ete-events") as workers:
        choosing = [workers.submit(choose, part) for part in parts]
        common = workers.submit(shared, prepare())

        def last(chosen: Chosen, item: Read, part: slice) -> Out:
            return finish(common.result(), chosen, item, part)

        finishing = []
        for part, choice in zip(parts, choosing, strict=True):
            chosen = choice.result()
            finishing.append(workers.submit(last, chosen, read(chosen), part))
        return [future.result() for future in finishing]


def concatenate(outputs: Sequence[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """Join the stretches' tuples of arrays column by column, in stretch order."""
    if len(outputs) == 1:
        return outputs[0]
    return tuple(np.concatenate(column) for column in zip(*outputs, strict=True))


@contextmanager
def beside(function: Callable[..., Out], *args: Any) -> Iterator[Future[Out]]:
    """Run ``function(*args)`` in a second thread while the ``with`` block runs.

    Yields
    ------
    concurrent.futures.Future
        Its result (``.result()`` waits for it); the thread ends with the block.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ete-beside") as pool:
        yield pool.submit(function, *args)
