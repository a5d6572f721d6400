"""The import format's columns, once: a declarative schema the readers and checks consult.

Each file of an extract (participants, milestones, targets) is a tuple of
:class:`Column` rows: the column's name, its kind (how a value is read), whether the
file must have it, what a blank value means, the values it allows and the words of
its messages. Nothing here runs a check: :mod:`ete_metrics.data.validation` applies
each kind's rule to every column of that kind, in the file's order, and
:mod:`ete_metrics.data.frames` takes the column names, required columns and date
columns from here. ``data/README.md`` describes the same columns
(``tests/test_columns.py`` checks it lists each one with its type and whether it is
required).

A new optional column is one line, e.g. ``Column("first_contact_date", "date")`` in
:data:`PARTICIPANTS`: the header accepts it, its dates are checked (``invalid_date``,
``date_out_of_range``), it reaches the participants frame (:mod:`.frames`); storing it
takes a column in :mod:`ete_metrics.data.schema` too (and in ``ADDED_COLUMNS`` for
databases made before it).

Rules that span columns or rows (a participant needs an entry or a referral date, an
id given twice, a target given twice, a milestone of an unknown participant) are not
a column's and stay in :mod:`ete_metrics.data.validation`; the data-quality warnings
are the rules of :mod:`ete_metrics.data.checks`. The style follows pandera's
``DataFrameSchema`` (a column, its type and its checks as data), without the
dependency: the messages must name file, line and column in words of this project.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from ete_metrics import config
from ete_metrics.steps import MILESTONE_TYPES, TARGET_MEASURES

__all__ = [
    "KINDS",
    "MILESTONES",
    "PARTICIPANTS",
    "SCHEMA",
    "TARGETS",
    "VOCABULARIES",
    "Column",
    "allowed_values",
    "date_names",
    "names",
    "required_names",
]

#: How a value is read:
#: ``id`` a participant's pseudonymous id (normalised, at most 64 characters);
#: ``text`` kept as written (blank is missing);
#: ``code`` one of a vocabulary's values (``allowed``), stored in its spelling;
#: ``date`` ISO ``YYYY-MM-DD`` or UK ``DD/MM/YYYY``;
#: ``month`` a date that is the first day of a month;
#: ``count`` a whole number of 0 or more (a thousands comma allowed);
#: ``pseudonym`` text that must not look like an email address.
Kind = Literal["id", "text", "code", "date", "month", "count", "pseudonym"]
KINDS: tuple[str, ...] = ("id", "text", "code", "date", "month", "count", "pseudonym")

#: The words ``data/README.md`` gives each kind in its "Type" column.
TYPE_WORDS: dict[str, str] = {
    "id": "text",
    "text": "text",
    "code": "text",
    "date": "date",
    "month": "date",
    "count": "whole number",
    "pseudonym": "text",
}

#: The vocabularies a ``code`` column's values come from, by name (read when checked:
#: the regions may be set by ``ETE_REGIONS``).
VOCABULARIES: dict[str, Callable[[], Sequence[str]]] = {
    "regions": config.regions,
    "pathways": lambda: config.PATHWAYS,
    "milestones": lambda: MILESTONE_TYPES,
    "measures": lambda: TARGET_MEASURES,
}


@dataclass(frozen=True)
class Column:
    """One column of an import file.

    Attributes
    ----------
    name : str
        The column's name in the file and the frame (matched ignoring case, spaces
        and hyphens).
    kind : str
        How its values are read: one of :data:`KINDS`.
    required : bool
        The file must have the column (a ``missing_column`` error otherwise).
    blank_allowed : bool
        A blank value is allowed (stored as missing). When not: it is the error
        ``blank_message`` (check ``blank_check``) or, with no message, a value like
        any other the column does not allow (``wrong``).
    blank_message : str
        The words of a blank value's error.
    blank_check : str
        That error's check (default ``missing_<name>``).
    allowed : str
        For a ``code``: the vocabulary of :data:`VOCABULARIES` its values come from.
    match : {"code", "words"}
        How a ``code`` value is matched to the vocabulary: ``code`` ignores case and
        takes spaces or hyphens for underscores (``Job Start``); ``words`` ignores
        case and extra spaces (``north  west``).
    wrong : str
        The words of a value the column does not allow, with ``{value!r}`` (the value),
        ``{one_of}`` (the allowed values joined with ", "), ``{either}`` (joined with
        " or ") and ``{date}`` (a ``month`` column's date, ISO).
    wrong_check : str
        That error's check.
    """

    name: str
    kind: Kind
    required: bool = False
    blank_allowed: bool = True
    blank_message: str = ""
    blank_check: str = ""
    allowed: str = ""
    match: Literal["code", "words"] = "code"
    wrong: str = ""
    wrong_check: str = ""

    @property
    def missing_check(self) -> str:
        """The check of a blank value's error."""
        return self.blank_check or f"missing_{self.name}"


_UNKNOWN_REGION = "unknown region {value!r} (expected one of: {one_of})"

# fmt: off

#: The participants file, in the order of the participants frame.
PARTICIPANTS: tuple[Column, ...] = (
    Column("participant_id", "id", required=True, blank_allowed=False,
           blank_message="participant_id is blank; every row needs one"),
    Column("region", "code", required=True, blank_allowed=False,
           blank_message="region is blank; every participant needs a region",
           allowed="regions", match="words", wrong=_UNKNOWN_REGION, wrong_check="unknown_region"),
    Column("area", "text"),
    Column("referral_date", "date", required=True),
    Column("entry_date", "date", required=True),
    Column("pathway", "code", allowed="pathways",
           wrong="unknown pathway {value!r} (expected {either}, or blank)",
           wrong_check="unknown_pathway"),
    Column("prison", "text"),
    Column("delivery_partner", "text"),
    Column("gender", "text"),
    Column("age_band", "text"),
    Column("ethnicity", "text"),
    Column("disability", "text"),
    Column("exit_date", "date"),
    Column("exit_reason", "text"),
    # A caseworker is stored only as a pseudonym: an email (any '@') is refused, and
    # the message does not repeat it.
    Column("caseworker", "pseudonym",
           wrong="caseworker looks like an email address; give the caseworker's pseudonym, "
           "never a name or an email (a mapping with caseworker pseudonymises it)",
           wrong_check="caseworker_not_pseudonym"),
)

#: The milestones file.
MILESTONES: tuple[Column, ...] = (
    Column("participant_id", "id", required=True, blank_allowed=False,
           blank_message="participant_id is blank; every milestone needs one"),
    Column("milestone", "code", required=True, blank_allowed=False,
           blank_message="milestone is blank", allowed="milestones",
           wrong="unknown milestone {value!r} (expected one of: {one_of})",
           wrong_check="unknown_milestone"),
    Column("date", "date", required=True, blank_allowed=False,
           blank_message="a milestone needs a date", blank_check="missing_date"),
    Column("partner", "text"),
)

#: The targets file (every column required; a blank region or measure is unknown).
TARGETS: tuple[Column, ...] = (
    Column("region", "code", required=True, blank_allowed=False, allowed="regions",
           match="words", wrong=_UNKNOWN_REGION, wrong_check="unknown_region"),
    Column("period_start", "month", required=True, blank_allowed=False,
           blank_message="period_start is blank; give the first day of the month",
           blank_check="missing_date",
           wrong="period_start {date} is not the first day of a month",
           wrong_check="period_not_month_start"),
    Column("measure", "code", required=True, blank_allowed=False, allowed="measures",
           wrong="unknown measure {value!r} (expected one of: {one_of})",
           wrong_check="unknown_measure"),
    Column("target", "count", required=True, blank_allowed=False,
           wrong="target {value!r} is not a whole number of 0 or more",
           wrong_check="invalid_target"),
)
# fmt: on

#: Every file's columns, by the file's label (as messages name it).
SCHEMA: dict[str, tuple[Column, ...]] = {
    "participants": PARTICIPANTS,
    "milestones": MILESTONES,
    "targets": TARGETS,
}


def names(columns: Sequence[Column]) -> tuple[str, ...]:
    """The columns' names, in order."""
    return tuple(column.name for column in columns)


def required_names(columns: Sequence[Column]) -> tuple[str, ...]:
    """The names of the columns a file must have, in order."""
    return tuple(column.name for column in columns if column.required)


def date_names(columns: Sequence[Column]) -> tuple[str, ...]:
    """The names of the date columns (``date`` and ``month``), in order."""
    return tuple(column.name for column in columns if column.kind in ("date", "month"))


def allowed_values(column: Column) -> tuple[str, ...]:
    """The values a ``code`` column allows, in their canonical spelling (read now)."""
    return tuple(VOCABULARIES[column.allowed]())
