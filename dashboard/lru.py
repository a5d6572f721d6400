"""A small least-recently-used cache shared by the sessions of one app server.

Streamlit runs each session's script in its own thread, so the dashboard's
in-process caches (filtered frames, metric results, protected views) are
guarded by a lock. A missing value is computed by one thread at a time per
key: sessions asking for it meanwhile (every open session right after an
import) wait for that result instead of computing it too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class SharedLru(Generic[V]):
    """A thread-safe mapping that keeps the most recently used values."""

    def __init__(self) -> None:
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def get_or_compute(self, key: Hashable, compute: Callable[[], V], *, limit: int) -> V:
        """The value under ``key``, computed (once, whatever the threads) when missing.

        Parameters
        ----------
        key : hashable
        compute : callable
            Returns the value; an exception is raised to the caller and nothing is kept,
            so the next caller tries again.
        limit : int
            At most this many values are kept; the least recently used go first.

        Returns
        -------
        The value (shared: callers must not modify it).
        """
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                if key in self._values:  # computed by another thread meanwhile
                    return self._values[key]
            try:
                value = compute()
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            with self._lock:
                self._values[key] = value
                while len(self._values) > limit:
                    self._values.popitem(last=False)
            return value

    def clear(self) -> None:
        """Drop every value."""
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)
