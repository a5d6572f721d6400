"""Mappings: import another system's export through a saved TOML mapping.

A mapping turns a source file (a Refer and Monitor report, CATS payments
exports, any extract) into this project's participants and milestones files
*before* the ordinary read and validation (:func:`ete_metrics.data.importer.read_extract`),
so every check still applies. Problems are then put back into the source's
own terms: its file name, its line numbers and its column names.

Identifiers never leave the mapping stage. A mapping gives each source column
at most one *identifying* role: an identifier (listed in ``identifiers``, or
mapped to ``participant_id``), the caseworker, or dropped; a column with such a
role and any other (a note, another of our columns) is refused when the mapping
is read, naming the column (:func:`parse_mapping`, :func:`read_mapped`). Only
the columns a mapping declares as outputs are kept: the sources of our columns
and the ``notes``.

Rules applied, in order, to each source file:

1. As soon as the file is read, every column that is not the source of one of
   our columns nor a note is removed: ``drop`` columns (names, emails), other
   ``identifiers`` and every column the mapping does not name. Their values
   reach no frame, message, log or database.
2. The column mapped to ``participant_id`` (a case reference number, a
   participant id) is replaced by a keyed pseudonym, HMAC-SHA256 with the secret
   key (:func:`pseudonym`), whether or not it is listed in ``identifiers``; the
   column mapped to ``caseworker`` (an email, a support worker's name) by the
   caseworker's pseudonym, under a key derived for caseworkers
   (:func:`caseworker_pseudonym`). Only then does anything else read the file.
3. Columns are renamed to ours; ``values`` maps translate values (region,
   pathway, milestone), ``constants`` fill a column with one value, and the
   ``--region-map`` file maps contract references or names to regions.
4. Timestamps with an offset or ``Z`` become the calendar date in ``time_zone``
   (Europe/London by default); a timestamp without one keeps its date.
5. A ``prison`` is kept only for a custody row.
6. ``notes`` columns (CATS ``Ineligibility Reason``) become data-quality warnings.
7. With ``dedupe``, a person enrolled twice in the participants file is kept
   once, the earliest enrolment, with a warning naming both lines.

The format is documented in ``data/README.md`` ("Mappings").
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from ete_metrics.data import db, frames
from ete_metrics.data.identifiers import ID_BREAK_PATTERN, id_break
from ete_metrics.data.importer import (
    READ_SHARE,
    Extract,
    ImportResult,
    read_extract,
    write_extract,
)
from ete_metrics.data.reading import FileInfo, Table, normalise_column, read_table
from ete_metrics.errors import ImportValidationError, InputError, Problem
from ete_metrics.progress import Progress, share, tell

__all__ = [
    "CASEWORKER_DOMAIN",
    "PROFILES",
    "caseworker_pseudonym",
    "check_roles",
    "column_key",
    "dates_as_read",
    "KEY_VARIABLE",
    "SourceMapping",
    "Section",
    "import_mapped",
    "load_mapping",
    "load_profile",
    "mapping_from_choices",
    "mapping_to_toml",
    "mappings_folder",
    "parse_mapping",
    "pseudonym",
    "pseudonym_key",
    "read_mapped",
    "read_region_map",
    "save_mapping",
    "saved_mappings",
    "source_preview",
]

KEY_VARIABLE = "ETE_PSEUDONYM_KEY"
"""The environment variable holding the pseudonymisation key."""

MIN_KEY_CHARS = 16
"""The shortest key accepted (a short key could be guessed by trying keys)."""

PROFILES: dict[str, Path] = {
    path.stem: path for path in sorted((Path(__file__).parent / "profiles").glob("*.toml"))
}
"""The mappings shipped with the project, by name (``refer-and-monitor``, ``cats``)."""

_PARTICIPANT_COLUMNS = frozenset(frames.PARTICIPANT_COLUMNS)
_MILESTONE_COLUMNS = frozenset(frames.MILESTONE_COLUMNS)
_TOP_KEYS = frozenset(
    {
        "name",
        "description",
        "time_zone",
        "date_format",
        "region_map_required",
        "identifiers",
        "drop",
        "notes",
        "dedupe",
        "participants",
        "milestones",
    }
)


@dataclass(frozen=True)
class Section:
    """How one kind of source file becomes participants or milestones.

    Attributes
    ----------
    columns : dict of str to str
        Our column -> the source column it is taken from.
    values : dict of str to dict of str to str
        Our column -> {source value: our value}; matched ignoring case and
        surrounding spaces; a value not in the map is kept (and validated).
    constants : dict of str to str
        Our column -> the one value it takes in every row.
    detect : str or None
        For milestones: a source column that tells this layout apart from the others.
    """

    columns: dict[str, str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    detect: str | None = None


@dataclass(frozen=True)
class SourceMapping:
    """A parsed mapping file (see ``data/README.md``, "Mappings").

    Attributes
    ----------
    name, description : str
        Shown in messages and on the Data page.
    participants : Section
        The participants file's mapping.
    milestones : tuple of Section
        The milestones layouts (empty: the source has no milestones).
    identifiers : tuple of str
        Source columns that identify people: never stored or shown (the one mapped
        to ``participant_id`` is stored as its keyed pseudonym, listed here or not).
    drop : tuple of str
        Source columns of personal data, removed at read.
    notes : tuple of str
        Source columns whose non-blank values are kept as data-quality warnings.
    time_zone : str
        The zone whose calendar date a timestamp with an offset becomes.
    date_format : str or None
        A ``strftime`` format for dates; ``None`` accepts ISO dates and
        timestamps and ``DD/MM/YYYY``.
    dedupe : bool
        Keep a person enrolled twice once (the earliest), with a warning.
    region_map_required : bool
        The source's region column holds contract references, so ``--region-map`` is needed.
    """

    name: str
    participants: Section
    milestones: tuple[Section, ...] = ()
    identifiers: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    time_zone: str = "Europe/London"
    date_format: str | None = None
    dedupe: bool = True
    region_map_required: bool = False
    description: str = ""


# ---------------------------------------------------------------------------
# Reading a mapping
# ---------------------------------------------------------------------------


def _kind(value: Any) -> str:
    """What a TOML value is, in words, for a message naming a wrong type."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (true or false)"
    if isinstance(value, str):
        return f"the text {_toml_string(value)}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, dict):
        return "a table"
    return f"a date or time ({value})"


def _wrong(name: str, value: Any, wanted: str) -> str:
    """The message part naming one setting of the wrong type: what it must be, what it is."""
    return f"{name} must be {wanted}, not {_kind(value)}"


def _strings(value: Any, where: str, wrong: list[str]) -> tuple[str, ...]:
    """A list of column names, or () with the wrong type added to ``wrong``."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    example = f"[{_toml_string(value)}]" if isinstance(value, str) else '["Name"]'
    if isinstance(value, list):
        wrong.append(
            f"{where} must be a list of column names in quotes, e.g. {example}; "
            "it holds something else"
        )
    else:
        wrong.append(_wrong(where, value, f"a list of column names, e.g. {where} = {example}"))
    return ()


def _section(
    raw: Any, where: str, ours: frozenset[str], source: str, wrong: list[str] | None = None
) -> Section:
    """One [participants] or [[milestones]] table; settings of the wrong type go to ``wrong``
    (raised at once when it is not given)."""
    own: list[str] = [] if wrong is None else wrong
    if not isinstance(raw, dict):
        own.append(_wrong(f"[{where}]", raw, 'a table of our column = "source column"'))
        if wrong is None:
            raise InputError(f"{source}: {own[0]}")
        return Section(columns={})
    columns: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    constants: dict[str, str] = {}
    detect: str | None = None
    for key, value in raw.items():
        if key in ours and not isinstance(value, str):
            one = isinstance(value, list) and len(value) == 1 and isinstance(value[0], str)
            example = f"{key} = {_toml_string(value[0] if one else 'Source column')}"
            own.append(
                _wrong(f"[{where}] {key}", value, f"one source column's name in quotes, e.g. {example}")
            )
        elif key == "detect" and not isinstance(value, str):
            own.append(_wrong(f"[{where}] detect", value, "a source column's name in quotes"))
        elif key in ("values", "constants") and not isinstance(value, dict):
            own.append(_wrong(f"[{where}] {key}", value, f"a table ([{where}.{key}])"))
        elif key == "detect":
            detect = value
        elif key in ("values", "constants"):
            for column, mapped in value.items():
                if column not in ours:
                    raise InputError(
                        f"{source}: [{where}.{key}] names {column!r}, which is not one of our "
                        f"columns ({', '.join(sorted(ours))})"
                    )
                if key == "constants":
                    if not isinstance(mapped, str):
                        raise InputError(f"{source}: [{where}.constants] {column} must be text")
                    constants[column] = mapped
                else:
                    if not isinstance(mapped, dict) or not all(
                        isinstance(v, str) for v in mapped.values()
                    ):
                        raise InputError(
                            f"{source}: [{where}.values.{column}] must map source values to "
                            "ours, e.g. \"Wing\" = \"custody\""
                        )
                    values[column] = {_value_key(k): v for k, v in mapped.items()}
        elif key in ours and isinstance(value, str):
            columns[key] = value
        else:
            raise InputError(
                f"{source}: in [{where}], {key!r} is not one of our columns "
                f"({', '.join(sorted(ours))}) given as \"source column\", nor detect, values "
                "or constants"
            )
    if wrong is None and own:
        raise InputError(f"{source}: {'; '.join(own)}")
    return Section(columns=columns, values=values, constants=constants, detect=detect)


def parse_mapping(text: str, source: str = "mapping") -> SourceMapping:
    """Parse a mapping from TOML text.

    Parameters
    ----------
    text : str
        The TOML (format in ``data/README.md``, "Mappings").
    source : str
        The file's name, for messages.

    Returns
    -------
    SourceMapping

    Raises
    ------
    InputError
        The TOML is invalid, or names an unknown key or column; the message says which.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{source}: is not a valid TOML mapping file ({exc})") from None
    return _mapping_from_raw(raw, source)


def _date_format_reads_dates(date_format: str) -> bool:
    """Whether a ``strftime`` format writes a date it reads back (day, month and year)."""
    day = date(2023, 12, 31)
    try:
        return datetime.strptime(day.strftime(date_format), date_format).date() == day
    except ValueError:
        return False


def _mapping_from_raw(raw: dict[str, Any], source: str) -> SourceMapping:
    """A mapping from its TOML tables (as :mod:`tomllib` reads them), checked."""
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise InputError(
            f"{source}: unknown setting {unknown[0]!r} (expected: {', '.join(sorted(_TOP_KEYS))})"
        )
    if "participants" not in raw:
        raise InputError(f"{source}: a mapping needs a [participants] table")
    # Every setting of the wrong type is named, all in one message.
    wrong: list[str] = []
    for key in ("name", "description", "time_zone", "date_format"):
        if key in raw and not isinstance(raw[key], str):
            wrong.append(_wrong(key, raw[key], "text in quotes"))
    for key in ("dedupe", "region_map_required"):
        if key in raw and not isinstance(raw[key], bool):
            wrong.append(_wrong(key, raw[key], "true or false (no quotes)"))
    participants = _section(
        raw["participants"], "participants", _PARTICIPANT_COLUMNS, source, wrong
    )
    milestones_raw = raw.get("milestones", [])
    if isinstance(milestones_raw, dict):
        milestones_raw = [milestones_raw]
    if not isinstance(milestones_raw, list):
        wrong.append(_wrong("milestones", milestones_raw, "[[milestones]] tables"))
        milestones_raw = []
    milestones = tuple(
        _section(m, "milestones", _MILESTONE_COLUMNS, source, wrong) for m in milestones_raw
    )
    identifiers = _strings(raw.get("identifiers", []), "identifiers", wrong)
    drop = _strings(raw.get("drop", []), "drop", wrong)
    notes = _strings(raw.get("notes", []), "notes", wrong)
    if wrong:
        raise InputError(
            f"{source}: {'a setting has' if len(wrong) == 1 else 'settings have'} the wrong "
            f"type: {'; '.join(wrong)}"
        )
    time_zone = raw.get("time_zone", "Europe/London")
    try:
        ZoneInfo(str(time_zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"{source}: unknown time_zone {time_zone!r} (use a name such as Europe/London)"
        ) from None
    date_format = raw.get("date_format") or None
    if date_format is not None and (
        not isinstance(date_format, str) or not _date_format_reads_dates(date_format)
    ):
        raise InputError(
            f"{source}: date_format must be a strftime format of a day, month and year such "
            f"as \"%d/%m/%Y\" (not {date_format!r})"
        )
    mapping = SourceMapping(
        name=str(raw.get("name", source)),
        description=str(raw.get("description", "")),
        participants=participants,
        milestones=milestones,
        identifiers=identifiers,
        drop=drop,
        notes=notes,
        time_zone=str(time_zone),
        date_format=date_format,
        dedupe=raw.get("dedupe", True),
        region_map_required=raw.get("region_map_required", False),
    )
    check_roles(mapping, source)
    return mapping


#: The roles that keep a column's values out of every output (see :func:`check_roles`).
_IDENTIFYING_ROLES = ("identifier", "caseworker", "dropped")


def _role_words(role: str) -> str:
    return {
        "identifier": "an identifier (in identifiers, or mapped to participant_id)",
        "caseworker": "the caseworker column (mapped to caseworker)",
        "dropped": "dropped (in drop)",
        "note": "a note (in notes)",
    }.get(role, f"mapped to our column {role}")


def _source_roles(mapping: SourceMapping) -> dict[str, dict[str, str]]:
    """Each source column (as :func:`column_key` matches it) -> its roles -> the name as written.

    Roles: ``identifier`` (listed in ``identifiers`` or mapped to ``participant_id``),
    ``caseworker`` (mapped to ``caseworker``), ``dropped``, ``note``, or the name of
    another of our columns it is mapped to. A ``detect`` column has no role: only its
    name is read.
    """
    roles: dict[str, dict[str, str]] = {}

    def add(name: str, role: str) -> None:
        roles.setdefault(normalise_column(name), {}).setdefault(role, name)

    for name in mapping.identifiers:
        add(name, "identifier")
    for section in (mapping.participants, *mapping.milestones):
        for ours, name in section.columns.items():
            add(name, {"participant_id": "identifier"}.get(ours, ours))
    for name in mapping.drop:
        add(name, "dropped")
    for name in mapping.notes:
        add(name, "note")
    return roles


def check_roles(mapping: SourceMapping, source: str | None = None) -> None:
    """Refuse a mapping that gives a source column an identifying role and another one.

    A column that identifies people (an identifier, the caseworker) or is dropped is
    never stored or shown, so it can have no other role: also a note, or also
    mapped to another of our columns (area, a grouping column, a milestone's
    partner...), its values would be written as they are. The message names the
    column as the mapping writes it, never a value.

    Raises
    ------
    InputError
        The first such column, with the two roles and what to change.
    """
    where = source or mapping.name
    for roles in _source_roles(mapping).values():
        identifying = [r for r in _IDENTIFYING_ROLES if r in roles]
        if not identifying or len(roles) == 1:
            continue
        first = identifying[0]
        other = next(r for r in roles if r != first)
        raise InputError(
            f"{where}: the column {roles[first]!r} is {_role_words(first)} and also "
            f"{_role_words(other)}. A column that identifies people, names a caseworker or is "
            "dropped is never stored or shown, so it can have no other role; take it out of "
            "one of them"
        )


def load_mapping(path: str | Path) -> SourceMapping:
    """Read a mapping file (TOML); see :func:`parse_mapping`."""
    path = Path(path)
    return parse_mapping(_read_text(path, "the mapping file"), path.name)


def _read_text(path: Path, what: str) -> str:
    """A small UTF-8 text file (BOM allowed), or an InputError naming it."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path.name}: {what} was not found ({path})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: {what} cannot be read as UTF-8 text ({exc})") from None


def load_profile(name: str) -> SourceMapping:
    """Return a shipped mapping by name (see :data:`PROFILES`)."""
    if name not in PROFILES:
        raise InputError(
            f"unknown profile {name!r} (profiles: {', '.join(PROFILES)}); "
            "for another layout give a mapping file with --mapping"
        )
    return load_mapping(PROFILES[name])


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mapping_to_toml(mapping: SourceMapping) -> str:
    """Write a mapping as TOML that :func:`parse_mapping` reads back to the same mapping."""

    def section_lines(header: str, section: Section) -> list[str]:
        lines = [header]
        if section.detect:
            lines.append(f"detect = {_toml_string(section.detect)}")
        lines += [f"{ours} = {_toml_string(src)}" for ours, src in section.columns.items()]
        table = header.strip("[]")
        for ours, value_map in section.values.items():
            lines += ["", f"[{table}.values.{ours}]"]
            lines += [f"{_toml_string(k)} = {_toml_string(v)}" for k, v in value_map.items()]
        if section.constants:
            lines += ["", f"[{table}.constants]"]
            lines += [f"{k} = {_toml_string(v)}" for k, v in section.constants.items()]
        return lines

    def string_list(values: Sequence[str]) -> str:
        return "[" + ", ".join(_toml_string(v) for v in values) + "]"

    lines = [
        f"name = {_toml_string(mapping.name)}",
        f"description = {_toml_string(mapping.description)}",
        f"time_zone = {_toml_string(mapping.time_zone)}",
    ]
    if mapping.date_format:
        lines.append(f"date_format = {_toml_string(mapping.date_format)}")
    lines += [
        f"region_map_required = {str(mapping.region_map_required).lower()}",
        f"identifiers = {string_list(mapping.identifiers)}",
        f"drop = {string_list(mapping.drop)}",
        f"notes = {string_list(mapping.notes)}",
        f"dedupe = {str(mapping.dedupe).lower()}",
        "",
    ]
    lines += section_lines("[participants]", mapping.participants)
    for section in mapping.milestones:
        lines += [""] + section_lines("[[milestones]]", section)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Pseudonyms, region map, dates
# ---------------------------------------------------------------------------


def pseudonym_key(environ: MappingABC[str, str] | None = None) -> str | None:
    """Return the pseudonymisation key from ``ETE_PSEUDONYM_KEY``, or ``None`` when unset."""
    env = os.environ if environ is None else environ
    key = env.get(KEY_VARIABLE, "").strip()
    return key or None


def _check_key(key: str | None, column: str, file: str) -> str:
    if not key:
        raise InputError(
            f"{file}: the column {column!r} identifies people and is replaced by a keyed "
            f"pseudonym, but no key is set. Set the environment variable {KEY_VARIABLE} (or "
            f"{KEY_VARIABLE} in the dashboard's Streamlit secrets) to a secret of at least "
            f"{MIN_KEY_CHARS} characters, the same for every import; nothing was imported"
        )
    if len(key) < MIN_KEY_CHARS:
        raise InputError(
            f"the pseudonymisation key in {KEY_VARIABLE} is {len(key)} characters long; use a "
            f"secret of at least {MIN_KEY_CHARS}; nothing was imported"
        )
    return key


def pseudonym(value: str, key: str) -> str:
    """Return the keyed pseudonym of an identifier: HMAC-SHA256, 64 hex digits.

    The same value and key always give the same pseudonym (so a re-import
    updates the same person); without the key it cannot be recomputed.
    """
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


#: What a caseworker pseudonym's key is derived with (domain separation, see
#: :func:`caseworker_pseudonym`). Changing it changes every caseworker pseudonym.
CASEWORKER_DOMAIN = b"ete-metrics caseworker pseudonym"


def caseworker_pseudonym(value: str, key: str) -> str:
    """Return the keyed pseudonym of a caseworker (an email or a name): 64 hex digits.

    HMAC-SHA256 of the value, with spaces collapsed and case folded
    (``Jo.Bloggs@X`` and ``jo.bloggs@x`` are one caseworker), under a key derived
    from the same secret for caseworkers only: ``HMAC-SHA256(key, CASEWORKER_DOMAIN)``.
    So the same caseworker always gets the same pseudonym, and it never equals the
    participant pseudonym (:func:`pseudonym`) of the same text.
    """
    derived = hmac.new(key.encode("utf-8"), CASEWORKER_DOMAIN, hashlib.sha256).digest()
    return hmac.new(derived, _value_key(value).encode("utf-8"), hashlib.sha256).hexdigest()


def _value_key(value: str) -> str:
    return " ".join(str(value).split()).casefold()


def read_region_map(path: str | Path) -> dict[str, str]:
    """Read a ``source,region`` CSV: contract reference or name -> region.

    Raises
    ------
    ImportValidationError
        The header is not ``source,region``, or a line lacks a value or repeats a source.
    """
    path = Path(path)
    name = path.name
    rows = list(csv.reader(_read_text(path, "the region map").splitlines()))
    problems: list[Problem] = []
    header = [normalise_column(c) for c in rows[0]] if rows else []
    if header[:2] != ["source", "region"]:
        raise ImportValidationError(
            [Problem(name, 1, None, "the header must be source,region", "missing_column")]
        )
    out: dict[str, str] = {}
    first: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        source = row[0].strip() if row else ""
        region = row[1].strip() if len(row) > 1 else ""
        if not source or not region:
            column = "source" if not source else "region"
            problems.append(Problem(name, line, column, f"{column} is blank", "blank_value"))
            continue
        key = _value_key(source)
        if key in first:
            problems.append(
                Problem(
                    name, line, "source",
                    f"{source!r} is mapped twice (lines {first[key]} and {line}); keep one",
                    "duplicate_key",
                )
            )
            continue
        first[key] = line
        out[key] = region
    if problems:
        raise ImportValidationError(problems)
    return out


_WITH_OFFSET = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$",
    re.IGNORECASE,
)
_WITHOUT_OFFSET = re.compile(
    r"^(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$"
)


def _to_dates(values: pd.Series, time_zone: str, date_format: str | None) -> pd.Series:
    """Dates as text our importer reads; what cannot be converted is left for it to report."""
    text = values.astype(str)
    out = text.copy()
    if date_format:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        ok = parsed.notna()
        out[ok] = parsed[ok].dt.strftime("%Y-%m-%d")
        return out.astype(object)
    offset = text.str.match(_WITH_OFFSET)
    if offset.any():
        stamps = pd.to_datetime(
            text[offset].str.replace(" ", "T", n=1), utc=True, format="ISO8601", errors="coerce"
        )
        ok = stamps.notna()
        days = stamps[ok].dt.tz_convert(time_zone).dt.tz_localize(None).to_numpy()
        out[stamps[ok].index] = np.datetime_as_string(days.astype("datetime64[D]"))
    naive = text.str.match(_WITHOUT_OFFSET) & ~offset
    out[naive] = text[naive].str.split(r"[T ]", n=1, regex=True).str[0]
    return out.astype(object)


def dates_as_read(
    values: Sequence[str], time_zone: str = "Europe/London", date_format: str | None = None
) -> list[date | None]:
    """The dates a mapping with this time zone and date format reads from source values.

    As the import reads them (:func:`read_mapped`): a timestamp with an offset is
    the calendar date in ``time_zone``; ``None`` where a value is not a date so read
    (the import would report it). For the Data page's mapping builder to show
    what a choice of format does to the user's own values.

    Examples
    --------
    >>> dates_as_read(["2023-06-30T23:30:00Z", "08/16/2023"], date_format=None)
    [datetime.date(2023, 7, 1), None]
    >>> dates_as_read(["08/16/2023"], date_format="%m/%d/%Y")
    [datetime.date(2023, 8, 16)]
    """
    text = pd.Series([str(v).strip() for v in values], dtype=object)
    converted = _to_dates(text, time_zone, date_format)
    iso = pd.to_datetime(converted, format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(converted, format="%d/%m/%Y", errors="coerce")
    # What the format did not convert, the import still reads as ISO or DD/MM/YYYY.
    return [None if pd.isna(v) else v.date() for v in iso.fillna(uk)]


def _sort_dates(values: pd.Series) -> pd.Series:
    iso = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(values, format="%d/%m/%Y", errors="coerce")
    return iso.fillna(uk)


# ---------------------------------------------------------------------------
# Translating one file
# ---------------------------------------------------------------------------


@dataclass
class _Translated:
    name: str  # the source file's name
    frame: pd.DataFrame  # our columns, text
    lines: np.ndarray  # source line of each row
    columns: dict[str, str]  # our column -> the source column (as written in the file)
    info: FileInfo


def _present(table: Table, column: str) -> str | None:
    """The table's column for a source column name (matched as the importer matches), or None."""
    key = normalise_column(column)
    return key if key in table.frame.columns else None


#: Our columns whose source identifies someone -> the pseudonym its values become.
_PSEUDONYMS: dict[str, Callable[[str, str], str]] = {
    "participant_id": pseudonym,
    "caseworker": caseworker_pseudonym,  # a name or an email: its own kind of pseudonym
}


def _declared_outputs(
    table: Table, section: Section, mapping: SourceMapping, key: str | None
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The only part of a source file the rest of the mapping stage sees.

    The sources of our columns and the notes, nothing else: every other column
    (dropped, an identifier not mapped, one the mapping does not name) is gone,
    and the sources of ``participant_id`` and ``caseworker`` hold their keyed
    pseudonyms. A column read twice (two headers the importer matches as one) is
    an error naming it, and is not read.
    """
    kept: dict[str, str] = {}  # column (as matched) -> our column it becomes, or "" for an output
    for ours, source in section.columns.items():
        kept[normalise_column(source)] = ours if ours in _PSEUDONYMS else ""
    for note in mapping.notes:
        kept.setdefault(normalise_column(note), "")
    frame = table.frame
    original = dict(
        zip(frame.columns, frame.attrs.get("original_columns", list(frame.columns)), strict=True)
    )
    columns = [c for c in frame.columns if c in kept]
    twice = sorted({c for c in columns if columns.count(c) > 1})
    problems = [
        Problem(
            table.name, 1, original.get(c, c),
            f"the column {original.get(c, c)!r} appears twice (the mapping {mapping.name} reads "
            "it); keep one",
            "duplicate_column",
        )
        for c in twice
    ]
    if problems:
        return None, problems
    safe = frame.loc[:, columns].copy()
    for column in columns:
        if kept[column] != "participant_id":
            continue
        # An identifier holding a line break, tab or byte-order mark would become the
        # pseudonym of someone else: refused, naming the row and column, never the value.
        values = safe[column]
        for i in np.flatnonzero(values.str.contains(ID_BREAK_PATTERN).to_numpy(dtype=bool)).tolist():
            found = id_break(str(values.iat[i]))
            if found is not None:
                problems.append(
                    Problem(
                        table.name, int(table.lines[i]), original.get(column, column),
                        f"the identifier holds {found[1]} (character {found[0]:,} of it, which is "
                        "not shown here); an identifier is one line of letters, digits and "
                        "punctuation: correct it in the source system and export again",
                        "participant_id_not_plain",
                    )
                )
    if problems:
        return None, problems
    for column in columns:
        ours = kept[column]
        if ours:
            secret = _check_key(key, original.get(column, column), table.name)
            as_pseudonym = _PSEUDONYMS[ours]
            safe[column] = safe[column].map(lambda v, f=as_pseudonym, k=secret: f(v, k) if v else "")
    safe.attrs["original_columns"] = [original.get(c, c) for c in columns]
    return safe, []


def _missing_sources(
    table: Table, section: Section, mapping: SourceMapping, ours: Sequence[str]
) -> list[Problem]:
    """A ``missing_column`` error for each source column the mapping takes one of ours from
    that the file does not have."""
    found = dict(
        zip(
            table.frame.columns,
            table.frame.attrs.get("original_columns", list(table.frame.columns)),
            strict=True,
        )
    )
    errors: list[Problem] = []
    for column in ours:
        source = section.columns.get(column)
        if source is not None and column not in section.constants and _present(table, source) is None:
            errors.append(
                Problem(
                    table.name, 1, source,
                    f"the column {source!r} is missing; the mapping {mapping.name} takes "
                    f"{column} from it (columns found: {', '.join(found.values()) or 'none'})",
                    "missing_column",
                )
            )
    return errors


def _our_columns(
    frame: pd.DataFrame,
    section: Section,
    mapping: SourceMapping,
    ours: Sequence[str],
    region_map: dict[str, str],
    date_columns: Sequence[str],
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Our columns from the declared outputs (3-5): renamed, values and regions mapped,
    constants filled, timestamps as dates, a prison only for custody; and the source
    column (as the file spells it) of each of ours."""
    original = dict(zip(frame.columns, frame.attrs["original_columns"], strict=True))
    out = pd.DataFrame(index=frame.index)
    source_names: dict[str, str] = {}
    for column in ours:
        if column in section.constants:
            out[column] = section.constants[column]
            continue
        source = section.columns.get(column)
        if source is None:
            out[column] = ""
            continue
        present = normalise_column(source)
        source_names[column] = original.get(present, source)
        values = frame[present]
        if column in section.values:
            value_map = section.values[column]
            values = values.map(lambda v, m=value_map: m.get(_value_key(v), v) if v else v)
        if column == "region" and region_map:
            values = values.map(lambda v: region_map.get(_value_key(v), v) if v else v)
        if column in date_columns:
            values = _to_dates(values, mapping.time_zone, mapping.date_format)
        out[column] = values
    if "prison" in section.columns and "pathway" in out.columns:
        out.loc[out["pathway"].str.casefold() != "custody", "prison"] = ""
    return out, source_names


def _note_warnings(
    table: Table, frame: pd.DataFrame, mapping: SourceMapping, ids: pd.Series | None
) -> list[Problem]:
    """A ``source_note`` warning for each non-blank note of the source system (6)."""
    original = dict(zip(frame.columns, frame.attrs["original_columns"], strict=True))
    warnings: list[Problem] = []
    for column in mapping.notes:
        present = normalise_column(column)
        if present not in frame.columns:
            continue
        notes = frame[present].tolist()
        id_list: list[str] = ids.tolist() if ids is not None else [""] * len(notes)
        for i in np.flatnonzero(frame[present].ne("").to_numpy()).tolist():
            warnings.append(
                Problem(
                    table.name,
                    int(table.lines[i]),
                    original.get(present, column),
                    f"{original.get(present, column)}: {notes[i]} (a note from the "
                    "source system; the row is imported)",
                    "source_note",
                    id_list[i] or None,
                )
            )
    return warnings


def _translate(
    table: Table,
    section: Section,
    mapping: SourceMapping,
    ours: Sequence[str],
    key: str | None,
    region_map: dict[str, str],
    date_columns: Sequence[str],
) -> tuple[_Translated | None, list[Problem], list[Problem]]:
    """Return (translated file, errors, warnings) for one source file."""
    errors = _missing_sources(table, section, mapping, ours)
    if errors:
        return None, errors, []
    # 1-2. Only the declared outputs go on, identifiers as pseudonyms: nothing below
    # (nor the table, from here on) holds any other value of the file.
    frame, errors = _declared_outputs(table, section, mapping, key)
    table.frame = frame if frame is not None else table.frame.iloc[:, :0]
    if frame is None:
        return None, errors, []
    out, source_names = _our_columns(frame, section, mapping, ours, region_map, date_columns)
    ids = out["participant_id"] if "participant_id" in out.columns else None
    warnings = _note_warnings(table, frame, mapping, ids)
    translated = _Translated(
        name=table.name,
        frame=out.reset_index(drop=True),
        lines=np.asarray(table.lines),
        columns=source_names,
        info=table.info,
    )
    return translated, errors, warnings


def _dedupe(part: _Translated) -> list[Problem]:
    """Keep each person's earliest enrolment; return a warning for each row left out."""
    frame = part.frame
    ids = frame["participant_id"]
    repeated = ids.ne("") & ids.duplicated(keep=False)
    if not repeated.any():
        return []
    order = pd.DataFrame(
        {
            "id": ids,
            "entry": _sort_dates(frame["entry_date"]),
            "referral": _sort_dates(frame["referral_date"]),
            "line": part.lines,
        }
    ).sort_values(["id", "entry", "referral", "line"], na_position="last", kind="stable")
    order = order[order["id"] != ""]
    kept = order.drop_duplicates("id")
    kept_line = dict(zip(kept["id"], kept["line"], strict=True))
    dropped = order.index.difference(kept.index)
    column = part.columns.get("participant_id", "participant_id")
    id_list: list[str] = ids.tolist()
    warnings = [
        Problem(
            part.name,
            int(part.lines[i]),
            column,
            f"the same {column} as line {kept_line[id_list[i]]} (a re-enrolment); the earliest "
            f"enrolment, line {kept_line[id_list[i]]}, is kept and line {int(part.lines[i])} "
            "is left out",
            "re_enrolment",
            id_list[i],
        )
        for i in sorted(dropped.tolist(), key=lambda i: int(part.lines[i]))
    ]
    keep = np.ones(len(frame), dtype=bool)
    keep[np.asarray(dropped, dtype=np.int64)] = False
    part.frame = frame.loc[keep].reset_index(drop=True)
    part.lines = part.lines[keep]
    return warnings


_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def _write_csv(path: Path, columns: Sequence[str], parts: Sequence[_Translated]) -> list[int]:
    """Write our CSV with each row on its source line (blank lines pad) and return file offsets.

    The ``k``-th part's line ``n`` is written on line ``offsets[k] + n``, so one
    source file keeps its own line numbers and several are stacked.
    """
    offsets: list[int] = []
    line = 1
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for part in parts:
            offset = line if offsets else 0  # a later file's line 2 comes after all before
            offsets.append(offset)
            frame = part.frame.loc[:, list(columns)]
            targets = offset + np.asarray(part.lines, dtype=np.int64)
            if not len(targets):
                continue
            body = frame.to_csv(header=False, index=False, lineterminator="\n")
            records = body.split("\n")[:-1]
            if len(records) == len(frame) and "\r" not in body:  # no line break in a value
                gaps = np.diff(targets, prepend=line) - 1
                handle.write("".join("\n" * g + r + "\n" for g, r in zip(gaps.tolist(), records, strict=True)))
            else:
                for row, target in zip(frame.itertuples(index=False, name=None), targets.tolist(), strict=True):
                    handle.write("\n" * (target - line - 1))
                    writer.writerow(row)
                    # A quoted line break moves the next record down as it did in the source.
                    line = target + sum(len(_LINE_BREAKS.findall(str(v))) for v in row)
            line = max(line, int(targets[-1]))
    return offsets


def _in_source_terms(
    problem: Problem, parts: Sequence[_Translated], offsets: Sequence[int], written: str
) -> Problem:
    """A problem found in our written file, told in the source file's name, lines and columns."""
    if problem.file != written:
        return problem
    index = 0
    line = problem.line
    if line is not None and line > 1:
        for k, offset in enumerate(offsets):
            if line - offset >= 2:  # data rows start on a file's line 2
                index = k
        line -= offsets[index]
    part = parts[index]
    column = problem.column
    message = problem.message
    if column in part.columns:
        source = part.columns[column]
        message = re.sub(rf"\b{re.escape(column)}\b", repr(source), message)
        column = source
    return replace(problem, file=part.name, line=line, column=column, message=message)


def _combined_info(parts: Sequence[_Translated], fallback: str) -> FileInfo:
    if len(parts) == 1:
        return parts[0].info
    if not parts:
        return FileInfo(name=fallback, path="", sha256=hashlib.sha256(b"").hexdigest(), rows=0)
    digest = hashlib.sha256(
        "\n".join(f"{p.info.sha256}  {p.info.name}" for p in parts).encode("utf-8")
    ).hexdigest()
    return FileInfo(
        name=", ".join(p.name for p in parts),
        path=", ".join(p.info.path for p in parts),
        sha256=digest,
        rows=sum(p.info.rows for p in parts),
    )


def read_mapped(
    mapping: SourceMapping,
    participants_path: str | Path,
    milestones_paths: Sequence[str | Path] = (),
    *,
    region_map: dict[str, str] | None = None,
    key: str | None = None,
    extract_date: date | None = None,
    known_entry_dates: pd.Series | None = None,
    progress: Progress | None = None,
) -> Extract:
    """Read source files through a mapping and validate them as an extract.

    Parameters
    ----------
    mapping : SourceMapping
        From :func:`load_profile`, :func:`load_mapping` or :func:`parse_mapping`.
    participants_path : str or Path
        The source's participants (enrolments, referrals) file, CSV or ``.xlsx``.
    milestones_paths : sequence of str or Path
        Its milestone files (none when the source has none).
    region_map : dict, optional
        From :func:`read_region_map`.
    key : str, optional
        The pseudonymisation key (:func:`pseudonym_key`); needed for the ``participant_id``
        and ``caseworker`` columns, which are always pseudonymised.
    extract_date, known_entry_dates, progress
        As for :func:`ete_metrics.data.importer.read_extract`.

    Returns
    -------
    Extract
        Its ``files`` describe the source files (SHA-256 of their bytes; several
        milestone files are named together with a SHA-256 of their SHA-256s).

    Raises
    ------
    ImportValidationError
        Every problem, in the source files' own names, lines and columns.
    InputError
        A mapping cannot apply (a column with an identifying role and another,
        see :func:`check_roles`; no key for an identifier; milestone files for a
        mapping without milestones).
    """
    _check_applies(mapping, milestones_paths, region_map)
    participants, milestone_parts, errors, warnings = _translate_sources(
        mapping, participants_path, milestones_paths, key, region_map or {}, progress
    )
    if errors:
        raise ImportValidationError(errors)
    assert participants is not None  # no errors: the participants file was read
    if mapping.dedupe:
        warnings += _dedupe(participants)
    extract = _read_translated(
        participants, milestone_parts, extract_date, known_entry_dates, progress
    )
    extract.warnings = warnings + extract.warnings
    extract.files = {
        "participants": participants.info,
        "milestones": _combined_info(milestone_parts, "(no milestones file)"),
    }
    return extract


def _check_applies(
    mapping: SourceMapping,
    milestones_paths: Sequence[str | Path],
    region_map: dict[str, str] | None,
) -> None:
    """Raise :class:`InputError` when the mapping cannot apply to these files: its roles
    break the rules, it needs a region map not given, or it has no milestones to read."""
    check_roles(mapping)  # a mapping built in code is held to the rules of one read from a file
    if mapping.region_map_required and not region_map:
        raise InputError(
            f"the {mapping.name} mapping takes regions from contract references: give a "
            "--region-map CSV with the columns source,region (e.g. a contract reference and "
            "its programme region)"
        )
    if milestones_paths and not mapping.milestones:
        raise InputError(
            f"the {mapping.name} mapping has no milestones (its source has no training or job "
            "dates); leave out --milestones"
        )


def _milestone_section(table: Table, mapping: SourceMapping) -> Section | Problem:
    """The mapping's milestones section whose layout the file has (its ``detect`` column),
    or the problem that it has none."""
    for section in mapping.milestones:
        if section.detect is None or _present(table, section.detect) is not None:
            return section
    layouts = " or ".join(repr(s.detect) for s in mapping.milestones)
    return Problem(
        table.name, 1, None,
        f"matches none of the {mapping.name} milestone layouts (a file with a "
        f"column {layouts}); check it is the right file",
        "unknown_layout",
    )  # fmt: skip


def _translate_sources(
    mapping: SourceMapping,
    participants_path: str | Path,
    milestones_paths: Sequence[str | Path],
    key: str | None,
    region_map: dict[str, str],
    progress: Progress | None,
) -> tuple[_Translated | None, list[_Translated], list[Problem], list[Problem]]:
    """Read and translate each source file: (participants, milestone files, errors, warnings)."""
    errors: list[Problem] = []
    warnings: list[Problem] = []

    def source_table(path: str | Path, label: str, known: set[str]) -> Table | None:
        table, problems = read_table(path, label, [normalise_column(c) for c in known])
        errors.extend(problems)
        return table

    participants: _Translated | None = None
    tell(progress, "Reading the participants file", 0.0)
    table = source_table(participants_path, "participants", set(mapping.participants.columns.values()))
    if table is not None:
        participants, problems, notes = _translate(
            table, mapping.participants, mapping, frames.PARTICIPANT_COLUMNS, key, region_map,
            frames.PARTICIPANT_DATE_COLUMNS,
        )
        errors += problems
        warnings += notes
    milestone_parts: list[_Translated] = []
    for number, path in enumerate(milestones_paths):
        tell(progress, "Reading the milestones files", 0.1 + 0.3 * number / len(milestones_paths))
        table = source_table(
            path, "milestones", {c for s in mapping.milestones for c in s.columns.values()}
        )
        if table is None:
            continue
        section = _milestone_section(table, mapping)
        if isinstance(section, Problem):
            errors.append(section)
            continue
        part, problems, notes = _translate(
            table, section, mapping, frames.MILESTONE_COLUMNS, key, region_map,
            frames.MILESTONE_DATE_COLUMNS,
        )
        errors += problems
        warnings += notes
        if part is not None:
            milestone_parts.append(part)
    return participants, milestone_parts, errors, warnings


def _read_translated(
    participants: _Translated,
    milestone_parts: Sequence[_Translated],
    extract_date: date | None,
    known_entry_dates: pd.Series | None,
    progress: Progress | None,
) -> Extract:
    """Write the translated files as our CSV and read them as an extract, every problem
    put back in the source files' names, lines and columns."""
    with tempfile.TemporaryDirectory(prefix="ete-mapped-") as folder:
        written_participants = Path(folder) / f"participants-{participants.name}.csv"
        written_milestones = Path(folder) / "milestones.csv"
        participant_offsets = _write_csv(
            written_participants, frames.PARTICIPANT_COLUMNS, [participants]
        )
        milestone_offsets = _write_csv(
            written_milestones, frames.MILESTONE_COLUMNS, milestone_parts
        )

        def told(problem: Problem) -> Problem:
            problem = _in_source_terms(
                problem, [participants], participant_offsets, written_participants.name
            )
            return _in_source_terms(
                problem, milestone_parts, milestone_offsets, written_milestones.name
            )

        try:
            extract = read_extract(
                written_participants,
                written_milestones,
                extract_date=extract_date,
                known_entry_dates=known_entry_dates,
                progress=share(progress, 0.4, 1.0),
            )
        except ImportValidationError as exc:
            raise ImportValidationError([told(p) for p in exc.problems]) from None
    extract.warnings = [told(p) for p in extract.warnings]
    return extract


def import_mapped(
    engine: Engine,
    mapping: SourceMapping,
    participants_path: str | Path,
    milestones_paths: Sequence[str | Path] = (),
    *,
    region_map: dict[str, str] | None = None,
    key: str | None = None,
    replace_all: bool = False,
    extract_date: date | None = None,
    imported_at: datetime,
    progress: Progress | None = None,
    audit: db.AuditEntry | None = None,
) -> ImportResult:
    """Read source files through a mapping and import them in one transaction.

    Parameters are those of :func:`read_mapped`, and ``replace_all``,
    ``extract_date``, ``imported_at``, ``progress`` and ``audit`` as for
    :func:`ete_metrics.data.importer.import_extract`.

    Returns
    -------
    ImportResult
    """
    effective_date = extract_date if extract_date is not None else imported_at.date()
    tell(progress, "Reading what is already stored", 0.0)
    stored = None if replace_all else db.participant_entry_dates(engine)
    extract = read_mapped(
        mapping,
        participants_path,
        milestones_paths,
        region_map=region_map,
        key=key,
        extract_date=effective_date,
        known_entry_dates=stored,
        progress=share(progress, *READ_SHARE),
    )
    return write_extract(
        engine, extract, replace_all=replace_all, extract_date=effective_date,
        imported_at=imported_at, progress=share(progress, READ_SHARE[1], 1.0), audit=audit,
    )


# ---------------------------------------------------------------------------
# Building and saving mappings (the Data page's mapping builder)
# ---------------------------------------------------------------------------

MAPPINGS_VARIABLE = "ETE_MAPPINGS_DIR"
"""The environment variable naming the folder of saved mappings (default ``mappings``)."""


def mappings_folder(environ: MappingABC[str, str] | None = None) -> Path:
    """Return the folder where saved mappings are kept (``ETE_MAPPINGS_DIR`` or ``mappings``)."""
    env = os.environ if environ is None else environ
    return Path(env.get(MAPPINGS_VARIABLE, "").strip() or "mappings")


def column_key(name: str) -> str:
    """A column name as the importer matches it (ignoring case, spaces and hyphens)."""
    return normalise_column(name)


def source_preview(path: str | Path, rows: int = 5) -> pd.DataFrame:
    """Return the first ``rows`` data rows of a source file, under its own column names.

    Raises
    ------
    ImportValidationError
        The file cannot be read (the message names it and says why).
    """
    table, problems = read_table(path, "sample")
    if table is None:
        raise ImportValidationError(problems)
    frame = table.frame.head(rows).copy()
    frame.columns = pd.Index(table.frame.attrs.get("original_columns", list(frame.columns)))
    return frame.reset_index(drop=True)


def _checked_choices(
    name: str,
    participants: MappingABC[str, str],
    milestones: MappingABC[str, str] | None,
    drop: Sequence[str],
) -> str:
    """The mapping's name, stripped; raise :class:`InputError` for a name that cannot be a
    file's, no column for ``participant_id``, or a column both used and dropped."""
    name = name.strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}", name):
        raise InputError(
            "give the mapping a name of letters, digits, spaces, '-', '_' or '.' (up to 64)"
        )
    if not participants.get("participant_id"):
        raise InputError("choose the column of your file that identifies each person (participant_id)")
    used = set(participants.values()) | set((milestones or {}).values())
    clash = sorted(used & set(drop))
    if clash:
        raise InputError(
            f"the column {clash[0]!r} is both used and dropped; drop only columns you do not map"
        )
    return name


def _section_choices(
    columns: MappingABC[str, str], maps: MappingABC[str, MappingABC[str, str]] | None, what: str
) -> dict[str, Any]:
    """A section of the mapping: our column -> its source column, and its value maps
    (a value map of a column not chosen is an :class:`InputError`)."""
    chosen = {column: dict(m) for column, m in (maps or {}).items() if m}
    unmapped = sorted(set(chosen) - set(columns))
    if unmapped:
        raise InputError(
            f"choose the column of your {what} file for {unmapped[0]} before mapping its values"
        )
    return {**columns, **({"values": chosen} if chosen else {})}


def mapping_from_choices(
    name: str,
    participants: MappingABC[str, str],
    *,
    milestones: MappingABC[str, str] | None = None,
    identifiers: Sequence[str] = (),
    drop: Sequence[str] = (),
    values: MappingABC[str, MappingABC[str, str]] | None = None,
    milestone_values: MappingABC[str, MappingABC[str, str]] | None = None,
    time_zone: str = "Europe/London",
    date_format: str | None = None,
) -> SourceMapping:
    """Build a mapping from a user's choice of source column for each of our columns.

    Parameters
    ----------
    name : str
        The mapping's name (also its file name when saved).
    participants : mapping of str to str
        Our participants column -> the source column chosen for it.
    milestones : mapping of str to str, optional
        Our milestones column -> source column, for a milestones file.
    identifiers : sequence of str
        More source columns that identify people: never stored or shown, so they
        can have no other role. The columns chosen for ``participant_id`` are
        identifiers (and stored as their keyed pseudonyms).
    drop : sequence of str
        Personal columns to drop at read.
    values, milestone_values : mapping of str to mapping of str to str, optional
        Value maps of the participants and the milestones file: our column
        (``region``, ``pathway``; ``milestone``) -> {their value: ours}.
    time_zone : str
        The zone whose calendar date a timestamp with an offset becomes.
    date_format : str, optional
        A ``strftime`` format of their dates (``None``: ISO dates and
        timestamps, or ``DD/MM/YYYY``).

    Raises
    ------
    InputError
        No name, no source column for ``participant_id``, a column both used
        and dropped, an identifier or the caseworker column given another role
        (:func:`check_roles`), a value map of a column not mapped, an unknown time
        zone or a date format that does not read a day, month and year.
    """
    name = _checked_choices(name, participants, milestones, drop)
    ids = [participants["participant_id"], (milestones or {}).get("participant_id", "")]
    raw: dict[str, Any] = {
        "name": name,
        "time_zone": time_zone,
        "identifiers": list(dict.fromkeys(c for c in [*ids, *identifiers] if c)),
        "drop": list(drop),
        "participants": _section_choices(participants, values, "participants"),
    }
    if date_format:
        raw["date_format"] = date_format
    if milestones:
        raw["milestones"] = [_section_choices(milestones, milestone_values, "milestones")]
    return _mapping_from_raw(raw, name)


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name.strip()).strip("-.").lower() or "mapping"


def save_mapping(mapping: SourceMapping, folder: str | Path) -> Path:
    """Write a mapping to ``folder/<name>.toml`` (replacing one of that name) and return the path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_file_stem(mapping.name)}.toml"
    path.write_text(mapping_to_toml(mapping), encoding="utf-8")
    return path


def saved_mappings(folder: str | Path) -> dict[str, Path]:
    """Return the saved mappings in ``folder`` by file stem, sorted (none when it does not exist)."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.glob("*.toml"))}
