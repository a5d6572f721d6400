"""The one exception family of ``ete_metrics``.

Every message says what to fix. Callers (the CLI and the dashboard) catch
:class:`EteError` and show its message; nothing else reaches a user.
"""

from __future__ import annotations

from dataclasses import dataclass


class EteError(Exception):
    """Base class: a problem the user can fix, with a message saying how."""


class ConfigError(EteError):
    """A setting is missing or invalid (database URL, regions, access file)."""


class DatabaseError(EteError):
    """The database cannot be reached, or its schema is not what the library expects."""


class RealDataError(EteError):
    """A command would replace data that is not provably the synthetic demo; nothing was changed.

    Raised by :func:`ete_metrics.data.demo.build_demo_database` (and the ``demo`` command)
    over a database holding imported data, or data whose origin is not recorded.
    """


class DeliveryError(EteError):
    """The subscriptions file, a recipient or the mail server settings need fixing (``deliver``).

    A message names the file, the entry (``subscription 3``) and the key, or the setting.
    """


class InputError(EteError):
    """An argument to a metric is invalid (unknown grouping column, bad date range)."""


@dataclass(frozen=True)
class Problem:
    """One problem or warning found in an extract.

    Attributes
    ----------
    file : str
        The file's base name, e.g. ``participants.csv``.
    line : int or None
        The line in the file, the header being line 1; ``None`` for whole-file problems.
    column : str or None
        The column concerned, ``None`` when the problem is not about one column.
    message : str
        What is wrong, phrased so the user knows what to fix.
    check : str
        A short machine name for the check (``missing_column``, ``milestone_before_entry``…).
    participant_id : str or None
        The participant concerned, where there is one.
    """

    file: str
    line: int | None
    column: str | None
    message: str
    check: str = ""
    participant_id: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column:
            where += f", column {self.column}" if self.line is not None else f" column {self.column}"
        return f"{where}: {self.message}"


class ImportValidationError(EteError):
    """An extract was rejected; nothing was written.

    Parameters
    ----------
    problems : list of Problem
        Every problem found (the message shows the first 20 and the total).
    """

    MAX_SHOWN = 20

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = self.problems[: self.MAX_SHOWN]
        lines = [str(p) for p in shown]
        total = len(self.problems)
        head = f"The import was rejected: {total} problem{'s' if total != 1 else ''} found; nothing was changed."
        if total > len(shown):
            lines.append(f"... and {total - len(shown)} more ({total} in total).")
        super().__init__("\n".join([head, *lines]))
