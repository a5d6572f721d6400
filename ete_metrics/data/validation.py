"""Checking an extract's tables against the import format: the errors that reject it.

Each file read (:mod:`ete_metrics.data.reading`) is checked against its columns in the
schema (:mod:`ete_metrics.data.columns`): the header (:func:`check_header`), then every
column's values by the rule of its kind, then the rules that span columns or rows
(an id given twice, a participant with neither date, a target given twice, a
milestone of a participant nobody knows). Every check is vectorised and reports
*every* failing row as a :class:`Problem` naming the file, line and column (up to
:data:`ete_metrics.data.reading.MAX_ERRORS_PER_CHECK` per check and file).

A file's checks run in one order, which the problems of one line keep: ids (blank,
too long; a participant's given twice), codes that must be given (blank, not allowed),
every date column (not a date, out of range, blank, not a month's first day), a
participant with neither date or a milestone's unknown participant, codes that may be
blank, counts, pseudonyms, and last a target given twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ete_metrics.data import columns, frames
from ete_metrics.data.columns import Column
from ete_metrics.data.identifiers import too_long_ids
from ete_metrics.data.reading import Table, errors_at
from ete_metrics.errors import Problem

__all__ = [
    "check_header",
    "fmt",
    "validate_milestones",
    "validate_participants",
    "validate_targets",
]

_DATE_FORMATS_TEXT = "YYYY-MM-DD or DD/MM/YYYY"

#: The dates an extract may hold: those pandas can count with (it stores nanoseconds
#: since 1970, so 1677-09-21 to 2262-04-11), to whole years. A year typed as 2999 or
#: 0001 is an error naming the cell, not a failure later on.
_EARLIEST_DATE = np.datetime64("1678-01-01")
_LATEST_DATE = np.datetime64("2261-12-31")


def fmt(value: Any) -> str:
    """A date as ISO ``YYYY-MM-DD`` (as messages write it)."""
    stamp = pd.Timestamp(value)
    return stamp.strftime("%Y-%m-%d")


# ---------------------------------------------------------------------------
# The header
# ---------------------------------------------------------------------------


def check_header(table: Table, schema: Sequence[Column]) -> tuple[list[Problem], list[Problem]]:
    """Return (errors, warnings) about the header: missing, duplicated and unknown columns.

    With no errors, a repeated column is dropped from ``table`` (it cannot be, as a
    repeat is an error; kept for safety) and the table is ready for its checks.
    """
    known = columns.names(schema)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    names = list(table.frame.columns)
    original = table.frame.attrs.get("original_columns", names)
    seen: dict[str, str] = {}
    for raw, column in zip(original, names, strict=True):
        if column in seen:
            errors.append(
                Problem(
                    table.name,
                    1,
                    column,
                    f"the column {raw!r} appears twice (also as {seen[column]!r}); keep one",
                    "duplicate_column",
                )
            )
        else:
            seen[column] = raw
        if column not in known:
            warnings.append(
                Problem(
                    table.name,
                    1,
                    raw,
                    f"unknown column {raw!r} was ignored (expected columns: {', '.join(known)})",
                    "unknown_column",
                )
            )
    for column in columns.required_names(schema):
        if column not in seen:
            errors.append(
                Problem(
                    table.name,
                    1,
                    column,
                    f"the required column {column} is missing (columns found: {', '.join(original) or 'none'})",
                    "missing_column",
                )
            )
    if errors:
        return errors, warnings
    table.frame = table.frame.loc[:, ~table.frame.columns.duplicated()]
    return errors, warnings


# ---------------------------------------------------------------------------
# Each kind of column
# ---------------------------------------------------------------------------


def _parse_dates(values: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse ISO or UK dates.

    Each distinct text is parsed once (an extract has a few thousand distinct dates
    however many rows; a file of one bad value repeated a million times stays quick).

    Returns
    -------
    tuple of (pandas.Series, numpy.ndarray, numpy.ndarray)
        The ``datetime64[ns]`` dates (``NaT`` when blank or not accepted), the mask of
        non-blank values that are not a date, and the mask of real dates outside
        ``_EARLIEST_DATE`` to ``_LATEST_DATE``.
    """
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    texts = pd.Series(uniques, dtype=object)
    present = (texts != "").to_numpy()
    as_object = texts.where(present, None)
    parsed = pd.to_datetime(as_object, format="%Y-%m-%d", errors="coerce")
    need = present & parsed.isna().to_numpy()
    if need.any():
        uk = pd.to_datetime(as_object[need], format="%d/%m/%Y", errors="coerce")
        parsed = parsed.copy()
        parsed[need] = uk
    # Parsed at the precision that holds every year (microseconds); only then to nanoseconds.
    wide = parsed.to_numpy(dtype="datetime64[us]", copy=True)
    outside = ~np.isnat(wide) & ((wide < _EARLIEST_DATE) | (wide > _LATEST_DATE))
    wide[outside] = np.datetime64("NaT")
    parsed_values = wide.astype("datetime64[ns]")
    bad = present & np.isnat(parsed_values) & ~outside
    return pd.Series(parsed_values[codes], index=values.index), bad[codes], outside[codes]


def _text(table: Table, column: str) -> pd.Series:
    """The column's raw text; blank everywhere when the file does not have it."""
    if column in table.frame.columns:
        return table.frame[column]
    return pd.Series("", index=table.frame.index)


def _read_date(
    table: Table, column: Column, ids: pd.Series | None
) -> tuple[pd.Series, list[Problem]]:
    """A date column parsed, with its errors: not a date, out of range, blank, not a
    month's first day (a ``month`` column)."""
    values = _text(table, column.name)
    parsed, bad, outside = _parse_dates(values)
    errors = errors_at(
        table,
        bad,
        column.name,
        "invalid_date",
        lambda i: f"{values.iat[i]!r} is not a real date (use {_DATE_FORMATS_TEXT})",
        ids,
    )
    errors += errors_at(
        table,
        outside,
        column.name,
        "date_out_of_range",
        lambda i: (
            f"{values.iat[i]!r} is outside the dates accepted ({_EARLIEST_DATE.item():%Y} "
            f"to {_LATEST_DATE.item():%Y}); check the year"
        ),
        ids,
    )
    if not column.blank_allowed:
        errors += errors_at(
            table,
            (values == "").to_numpy(),
            column.name,
            column.missing_check,
            _constant(column.blank_message),
            ids,
        )
    if column.kind == "month":
        errors += errors_at(
            table,
            (parsed.notna() & (parsed.dt.day != 1)).to_numpy(),
            column.name,
            column.wrong_check,
            lambda i: column.wrong.format(date=fmt(parsed.iat[i])),
            ids,
        )
    return parsed, errors


def _canonical(
    values: pd.Series, mapping: Mapping[str, str], key: Callable[[str], str]
) -> pd.Series:
    """Map each distinct value through ``key`` then ``mapping`` (NaN when unknown)."""
    codes, uniques = pd.factorize(values)
    mapped = np.array([mapping.get(key(str(value))) for value in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _words_key(value: str) -> str:
    """Ignoring case and extra spaces (``north  west`` is ``North West``)."""
    return " ".join(value.lower().split())


def _code_key(value: str) -> str:
    """Ignoring case, with spaces or hyphens for underscores (``Job Start`` is ``job_start``)."""
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


def _read_code(
    table: Table, column: Column, ids: pd.Series | None
) -> tuple[pd.Series, list[Problem]]:
    """A ``code`` column in its vocabulary's spelling (NaN when blank or not allowed),
    with its errors: blank (when it must be given), not allowed."""
    raw = _text(table, column.name)
    allowed = columns.allowed_values(column)
    key = _words_key if column.match == "words" else _code_key
    code = _canonical(raw, {key(value): value for value in allowed}, key)
    blank = (raw == "").to_numpy()
    errors: list[Problem] = []
    if column.blank_message:
        errors += errors_at(
            table, blank, column.name, column.missing_check, _constant(column.blank_message), ids
        )
    wrong = code.isna().to_numpy()
    if column.blank_allowed or column.blank_message:  # else a blank is one more wrong value
        wrong = wrong & ~blank
    errors += errors_at(
        table,
        wrong,
        column.name,
        column.wrong_check,
        lambda i: column.wrong.format(
            value=raw.iat[i], one_of=", ".join(allowed), either=" or ".join(allowed)
        ),
        ids,
    )
    return code, errors


def _read_count(
    table: Table, column: Column, ids: pd.Series | None
) -> tuple[pd.Series, list[Problem]]:
    """A whole number of 0 or more (a thousands comma allowed), with its errors."""
    raw = _text(table, column.name)
    number = pd.to_numeric(raw.str.replace(",", "", regex=False), errors="coerce")
    wrong = (number.isna() | (number < 0) | (number % 1 != 0)).to_numpy()
    if column.blank_allowed:
        wrong = wrong & (raw != "").to_numpy()
    errors = errors_at(
        table, wrong, column.name, column.wrong_check,
        lambda i: column.wrong.format(value=raw.iat[i]), ids,
    )  # fmt: skip
    return number, errors


def _check_pseudonym(table: Table, column: Column, ids: pd.Series | None) -> list[Problem]:
    """A pseudonym never holds an ``@`` (it would be an email); the message does not repeat it."""
    if column.name not in table.frame.columns:
        return []
    looks_like_email = table.frame[column.name].str.contains("@", regex=False)
    return errors_at(
        table,
        looks_like_email.to_numpy(dtype=bool),
        column.name,
        column.wrong_check,
        _constant(column.wrong),
        ids,
    )


def _constant(message: str) -> Callable[[int], str]:
    return lambda _i: message


def _blank_to_none(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values != "", None)


# ---------------------------------------------------------------------------
# A file's columns, in the order of their checks
# ---------------------------------------------------------------------------


def _ids(table: Table) -> pd.Series | None:
    """The file's participant ids (named in the problems of its rows), if it has them."""
    return table.frame["participant_id"] if "participant_id" in table.frame.columns else None


def _check_ids(table: Table, schema: Sequence[Column]) -> list[Problem]:
    """Blank and too long ids (the problems do not carry the id: it is blank, or too long)."""
    errors: list[Problem] = []
    for column in schema:
        if column.kind != "id":
            continue
        ids = table.frame[column.name]
        errors += errors_at(
            table,
            (ids == "").to_numpy(),
            column.name,
            column.missing_check,
            _constant(column.blank_message),
        )
        errors += too_long_ids(table, ids)
    return errors


def _read_codes_and_dates(
    table: Table, schema: Sequence[Column], values: dict[str, pd.Series]
) -> list[Problem]:
    """The codes that must be given, then every date column: into ``values``, with errors."""
    ids = _ids(table)
    errors: list[Problem] = []
    for column in schema:
        if column.kind == "code" and not column.blank_allowed:
            values[column.name], found = _read_code(table, column, ids)
            errors += found
    for column in schema:
        if column.kind in ("date", "month"):
            values[column.name], found = _read_date(table, column, ids)
            errors += found
    return errors


def _read_the_rest(
    table: Table, schema: Sequence[Column], values: dict[str, pd.Series]
) -> list[Problem]:
    """The codes that may be blank, the counts and the pseudonyms: into ``values``, with errors."""
    ids = _ids(table)
    errors: list[Problem] = []
    for column in schema:
        if column.kind == "code" and column.blank_allowed:
            values[column.name], found = _read_code(table, column, ids)
            errors += found
    for column in schema:
        if column.kind == "count":
            values[column.name], found = _read_count(table, column, ids)
            errors += found
    for column in schema:
        if column.kind == "pseudonym":
            errors += _check_pseudonym(table, column, ids)
    return errors


def _frame(table: Table, schema: Sequence[Column], values: Mapping[str, pd.Series]) -> pd.DataFrame:
    """The file as a frame of the schema's columns: each value read by its kind, text as
    written (blank as missing), a column the file does not have left out (conform adds it)."""
    data: dict[str, Any] = {}
    for column in schema:
        if column.kind in ("date", "month"):
            data[column.name] = values[column.name]
        elif column.kind == "code":
            code = values[column.name].astype(object)
            data[column.name] = code.where(code.notna(), None)
        elif column.kind == "count":
            data[column.name] = values[column.name].fillna(0).astype("int64")
        elif column.name in table.frame.columns:
            data[column.name] = _blank_to_none(table.frame[column.name])
    return pd.DataFrame(data, index=table.frame.index)


# ---------------------------------------------------------------------------
# The files
# ---------------------------------------------------------------------------


def _duplicate_ids(table: Table) -> list[Problem]:
    """A participant's id given on two rows: both lines named."""
    ids = table.frame["participant_id"]
    duplicated = (ids.duplicated(keep="first") & (ids != "")).to_numpy()
    if not duplicated.any():
        return []
    first_line = pd.Series(table.lines, index=table.frame.index)[~ids.duplicated(keep="first")]
    first_by_id = dict(zip(ids[first_line.index], first_line, strict=True))
    return errors_at(
        table,
        duplicated,
        "participant_id",
        "duplicate_participant_id",
        lambda i: (
            f"participant_id {ids.iat[i]} appears twice (lines {first_by_id[ids.iat[i]]} "
            f"and {table.lines[i]}); keep one row per participant"
        ),
        ids,
    )


def _without_dates(table: Table) -> list[Problem]:
    """A participant needs an entry or a referral date."""
    frame = table.frame
    return errors_at(
        table,
        ((frame["entry_date"] == "") & (frame["referral_date"] == "")).to_numpy(),
        "entry_date",
        "missing_dates",
        _constant("a participant needs an entry_date or a referral_date"),
        frame["participant_id"],
    )


def validate_participants(table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """The participants file as a participants frame, with every error found."""
    schema = columns.PARTICIPANTS
    values: dict[str, pd.Series] = {}
    errors = _check_ids(table, schema)
    errors += _duplicate_ids(table)
    errors += _read_codes_and_dates(table, schema, values)
    errors += _without_dates(table)
    errors += _read_the_rest(table, schema, values)
    return frames.conform_participants(_frame(table, schema, values)), errors


def _unknown_participants(
    table: Table, participant_ids: pd.Series, known_ids: frozenset[str]
) -> list[Problem]:
    """Milestones of a participant in neither the participants file nor the database."""
    ids = table.frame["participant_id"]
    codes, uniques = pd.factorize(ids)
    candidates = pd.Index(uniques)
    known_unique = candidates.isin(participant_ids.to_numpy(dtype=object))
    if known_ids:
        known_unique |= candidates.isin(list(known_ids))
    return errors_at(
        table,
        ~known_unique[codes] & (ids != "").to_numpy(),
        "participant_id",
        "unknown_participant",
        lambda i: (
            f"participant {ids.iat[i]} is in neither the participants file nor the database; "
            "add them to the participants file"
        ),
        ids,
    )


def validate_milestones(
    table: Table, participant_ids: pd.Series | None, known_ids: frozenset[str]
) -> tuple[pd.DataFrame, list[Problem]]:
    """The milestones file as a milestones frame, with every error found.

    ``participant_ids`` are the participants file's (``None`` when it could not be
    checked: then no milestone is called unknown); ``known_ids`` those stored.
    """
    schema = columns.MILESTONES
    values: dict[str, pd.Series] = {}
    errors = _check_ids(table, schema)
    errors += _read_codes_and_dates(table, schema, values)
    if participant_ids is not None:
        errors += _unknown_participants(table, participant_ids, known_ids)
    errors += _read_the_rest(table, schema, values)
    return frames.conform_milestones(_frame(table, schema, values)), errors


def _duplicate_targets(table: Table, values: Mapping[str, pd.Series]) -> list[Problem]:
    """One target per region, month and measure."""
    region, period, measure = values["region"], values["period_start"], values["measure"]
    keys = pd.DataFrame({"r": region, "p": period, "m": measure})
    repeated = (keys.duplicated(keep=False) & keys.notna().all(axis=1)).to_numpy()
    return errors_at(
        table,
        repeated & keys.duplicated(keep="first").to_numpy(),
        "period_start",
        "duplicate_target",
        lambda i: (
            f"a target for {region.iat[i]}, {fmt(period.iat[i])}, {measure.iat[i]} is given more than once; "
            "keep one row per region, month and measure"
        ),
    )


def validate_targets(table: Table) -> tuple[pd.DataFrame, list[Problem]]:
    """The targets file as a targets frame, with every error found."""
    schema = columns.TARGETS
    values: dict[str, pd.Series] = {}
    errors = _check_ids(table, schema)
    errors += _read_codes_and_dates(table, schema, values)
    errors += _read_the_rest(table, schema, values)
    errors += _duplicate_targets(table, values)
    return frames.conform_targets(_frame(table, schema, values)), errors
