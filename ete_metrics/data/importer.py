"""Validated import of an extract (participants, milestones, optional targets).

The extract is read from CSV (UTF-8, with or without a byte-order mark) or
Excel ``.xlsx`` files, checked in full with vectorised pandas operations, and
either rejected with *every* problem listed (:class:`ImportValidationError`,
nothing written) or written in one transaction by
:func:`ete_metrics.data.db.save_extract` with its warnings stored alongside.

Line numbers in messages count the header as line 1, so the first data row is
line 2 (a row whose quoted value spans lines is named by its first line; blank
lines count as lines but are not rows). The format is documented in
``data/README.md``.

Hostile input is expected (uploads come from the dashboard): a file above the
size or row limit (:func:`ete_metrics.config.max_upload_mb`,
:func:`ete_metrics.config.max_rows`) or an ``.xlsx`` that unpacks to far more
than its size is refused with :class:`InputError` before anything costly; any
other unreadable file (random bytes, UTF-16, latin-1, NUL bytes, a quote never
closed, a damaged workbook) becomes a problem naming the file. No other
exception escapes, and nothing is written unless the whole extract is valid.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from ete_metrics.data import columns, db, frames
from ete_metrics.data.extract_warnings import extract_warnings, repeated_milestones
from ete_metrics.data.identifiers import normalise_ids
from ete_metrics.data.reading import MAX_ERRORS_PER_CHECK, FileInfo, Table, read_table
from ete_metrics.data.validation import (
    check_header,
    validate_milestones,
    validate_participants,
    validate_targets,
)
from ete_metrics.errors import ImportValidationError, Problem
from ete_metrics.progress import Progress, share, tell

#: Shares of an import's progress: reading and checking the files, then writing them.
READ_SHARE: tuple[float, float] = (0.02, 0.6)

__all__ = [
    "MAX_ERRORS_PER_CHECK",
    "Extract",
    "FileInfo",
    "ImportResult",
    "import_extract",
    "write_extract",
    "read_extract",
]


@dataclass
class Extract:
    """A validated extract, ready for :func:`ete_metrics.data.db.save_extract`.

    Attributes
    ----------
    participants, milestones : pandas.DataFrame
        In the :mod:`ete_metrics.data.frames` formats, with canonical spellings.
    targets : pandas.DataFrame or None
        In the frames format; ``None`` when no targets file was given.
    warnings : list of Problem
        Data-quality warnings (the import may proceed).
    files : dict of str to FileInfo
        Keyed ``participants``, ``milestones`` and (when given) ``targets``.
    extract_date : datetime.date or None
        The date the extract was taken, used for the future-date check.
    """

    participants: pd.DataFrame
    milestones: pd.DataFrame
    targets: pd.DataFrame | None
    warnings: list[Problem] = field(default_factory=list)
    files: dict[str, FileInfo] = field(default_factory=dict)
    extract_date: date | None = None


@dataclass(frozen=True)
class ImportResult:
    """The outcome of :func:`import_extract`.

    Attributes
    ----------
    import_id : int
        The id of the ``imports`` row.
    participants, milestones, targets : int
        Rows imported from each file.
    warnings : tuple of Problem
        The warnings stored with the import.
    extract_date : datetime.date
        The extract date used for the future-date check.
    """

    import_id: int
    participants: int
    milestones: int
    targets: int
    warnings: tuple[Problem, ...]
    extract_date: date

    def warnings_by_check(self) -> dict[str, int]:
        """Return the number of warnings per check, most frequent first."""
        return dict(Counter(w.check for w in self.warnings).most_common())


def _in_file_order(problems: list[Problem], paths: Mapping[str, str | Path]) -> list[Problem]:
    """Sort problems by file (participants, milestones, targets) then line; stable otherwise."""
    order = {Path(path).name or str(path): position for position, path in enumerate(paths.values())}
    return sorted(problems, key=lambda p: (order.get(p.file, len(order)), p.line or 0))


def _read_files(
    paths: Mapping[str, str | Path], progress: Progress | None
) -> tuple[dict[str, Table], dict[str, FileInfo], list[Problem], list[Problem]]:
    """Read each file (by its label) and check its header and ids.

    Returns the tables whose values can be checked (header and ids fine), what was
    read of every file, the errors and the warnings.
    """
    tables: dict[str, Table] = {}
    files: dict[str, FileInfo] = {}
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for number, (label, path) in enumerate(paths.items()):
        tell(progress, f"Reading the {label} file", 0.5 * number / len(paths))
        schema = columns.SCHEMA[label]
        table, problems = read_table(path, label, columns.names(schema))
        errors += problems
        if table is None:
            continue
        files[label] = table.info
        header_errors, header_warnings = check_header(table, schema)
        errors += header_errors
        warnings += header_warnings
        if not header_errors:
            id_errors, id_warnings = normalise_ids(table)
            errors += id_errors
            warnings += id_warnings
            tables[label] = table
    return tables, files, errors, warnings


def _check_values(
    tables: Mapping[str, Table], known_ids: frozenset[str], progress: Progress | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, list[Problem]]:
    """Check the values of each table read; return the three frames and every error.

    A file that could not be read leaves its frame empty (``None`` for targets); the
    milestones' participants are checked only when the participants file was read.
    """
    participants = frames.empty_participants()
    milestones = frames.empty_milestones()
    targets: pd.DataFrame | None = None
    errors: list[Problem] = []
    if "participants" in tables:
        tell(progress, "Checking the participants", 0.5)
        participants, problems = validate_participants(tables["participants"])
        errors += problems
    if "milestones" in tables:
        tell(progress, "Checking the milestones", 0.65)
        ids = participants["participant_id"] if "participants" in tables else None
        milestones, problems = validate_milestones(tables["milestones"], ids, known_ids)
        errors += problems
    if "targets" in tables:
        tell(progress, "Checking the targets", 0.8)
        targets, problems = validate_targets(tables["targets"])
        errors += problems
    return participants, milestones, targets, errors


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def read_extract(
    participants_path: str | Path,
    milestones_path: str | Path,
    targets_path: str | Path | None = None,
    *,
    known_participant_ids: Iterable[str] = frozenset(),
    extract_date: date | None = None,
    known_entry_dates: pd.Series | None = None,
    progress: Progress | None = None,
) -> Extract:
    """Read and validate an extract without touching any database.

    Parameters
    ----------
    participants_path, milestones_path : str or Path
        CSV (UTF-8, BOM optional) or ``.xlsx`` files; see ``data/README.md``.
    targets_path : str or Path, optional
        A targets file; ``None`` leaves targets out.
    known_participant_ids : iterable of str
        Participants already in the database: milestones may refer to them.
    extract_date : datetime.date, optional
        When the extract was taken; dates after it are warned about. ``None``
        skips that check (:func:`import_extract` defaults it to the import day).
    known_entry_dates : pandas.Series, optional
        Stored participants' entry dates indexed by ``participant_id``
        (:func:`ete_metrics.data.db.participant_entry_dates`; ``NaT`` for a referral
        that never started). Its ids count as known, and milestones of stored
        participants who are not in the extract are checked against these dates
        (``milestone_before_entry``, ``milestone_without_entry`` warnings), as the
        extract's own participants are against theirs.
    progress : Progress, optional
        Told each step (reading each file, checking each table, the warnings):
        :mod:`ete_metrics.progress`.

    Returns
    -------
    Extract
        Frames in the :mod:`ete_metrics.data.frames` formats, warnings and file info.

    Raises
    ------
    ImportValidationError
        With every problem found (file, line, column and what to fix).
    """
    known_ids = frozenset(known_participant_ids)
    if known_entry_dates is not None:
        known_ids |= frozenset(known_entry_dates.index)
    paths: dict[str, str | Path] = {"participants": participants_path}
    paths["milestones"] = milestones_path
    if targets_path is not None:
        paths["targets"] = targets_path

    tables, files, errors, warnings = _read_files(paths, progress)
    participants, milestones, targets, problems = _check_values(tables, known_ids, progress)
    errors += problems
    if errors:
        raise ImportValidationError(_in_file_order(errors, paths))

    tell(progress, "Looking for data-quality warnings", 0.9)
    repeated, milestones = repeated_milestones(tables["milestones"], milestones)
    warnings += repeated
    warnings += extract_warnings(
        tables["participants"],
        participants,
        tables["milestones"],
        milestones,
        extract_date,
        known_entry_dates,
    )
    extract = Extract(
        participants=participants,
        milestones=milestones,
        targets=targets,
        warnings=_in_file_order(warnings, paths),
        files=files,
        extract_date=extract_date,
    )
    tell(progress, "Checked the extract", 1.0)
    return extract


def import_extract(
    engine: Engine,
    participants_path: str | Path,
    milestones_path: str | Path,
    targets_path: str | Path | None = None,
    *,
    replace_all: bool = False,
    extract_date: date | None = None,
    imported_at: datetime,
    progress: Progress | None = None,
    audit: db.AuditEntry | None = None,
) -> ImportResult:
    """Validate an extract and write it to the database in one transaction.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database; the schema is created when missing.
    participants_path, milestones_path, targets_path : str or Path
        The files (``targets_path`` optional); see :func:`read_extract`.
    replace_all : bool
        Make the extract the whole database (participants and milestones not
        in it are deleted; targets too when a targets file is given).
        Otherwise participants in the extract are updated, their milestones
        replaced, and everyone else kept.
    extract_date : datetime.date, optional
        When the extract was taken; defaults to ``imported_at.date()``.
    imported_at : datetime.datetime
        The time of the import, recorded in ``imports`` (the caller reads the clock).
    progress : Progress, optional
        Told each step, reading and checking then writing (:mod:`ete_metrics.progress`).
    audit : AuditEntry, optional
        The import's audit event (:func:`ete_metrics.data.audit.import_entry`), written in
        the import's transaction.

    Returns
    -------
    ImportResult
        The import id, rows imported and the stored warnings.

    Raises
    ------
    ImportValidationError
        The extract has errors, or ``replace_all`` with a participants file that
        has no data rows (it would empty the database); the database is unchanged.
    DatabaseError
        The write failed; the database is unchanged.
    """
    effective_date = extract_date if extract_date is not None else imported_at.date()
    # Nothing is written (not even the schema) until the extract has passed validation.
    tell(progress, "Reading what is already stored", 0.0)
    stored = None if replace_all else db.participant_entry_dates(engine)
    extract = read_extract(
        participants_path,
        milestones_path,
        targets_path,
        extract_date=effective_date,
        known_entry_dates=stored,
        progress=share(progress, READ_SHARE[0], READ_SHARE[1]),
    )
    return write_extract(
        engine,
        extract,
        replace_all=replace_all,
        extract_date=effective_date,
        imported_at=imported_at,
        progress=share(progress, READ_SHARE[1], 1.0),
        audit=audit,
    )


def _emptying_the_database(name: str) -> ImportValidationError:
    """A participants file with no rows would, replacing everything, delete every participant."""
    message = (
        "has a header but no data rows; replacing the whole database with it would "
        "delete every participant. Check that it is the right file, or import without "
        "--replace-all"
    )
    return ImportValidationError([Problem(name, None, None, message, "empty_file")])


def _import_record(
    files: Mapping[str, FileInfo], imported_at: datetime, extract_date: date
) -> dict[str, Any]:
    """The ``imports`` row of an import: when, the extract date, each file's name and SHA-256."""
    record: dict[str, Any] = {"imported_at": imported_at, "extract_date": extract_date}
    for label in ("participants", "milestones", "targets"):
        if label in files:
            record[f"{label}_file"] = files[label].name
            record[f"{label}_sha256"] = files[label].sha256
    return record


def write_extract(
    engine: Engine,
    extract: Extract,
    *,
    replace_all: bool,
    extract_date: date,
    imported_at: datetime,
    progress: Progress | None = None,
    audit: db.AuditEntry | None = None,
) -> ImportResult:
    """Write a validated extract and its import record in one transaction.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The ETE database.
    extract : Extract
        From :func:`read_extract` (its ``files`` name what is recorded).
    replace_all : bool
        As for :func:`import_extract`.
    extract_date : datetime.date
        The extract date recorded with the import.
    imported_at : datetime.datetime
        The time of the import (the caller reads the clock).
    progress : Progress, optional
        Told as the rows are written (:func:`ete_metrics.data.db.save_extract`).
    audit : AuditEntry, optional
        The import's audit event, written in the same transaction.

    Returns
    -------
    ImportResult
        The import id, rows imported and the stored warnings.

    Raises
    ------
    ImportValidationError
        ``replace_all`` with no participant rows; nothing is written.
    DatabaseError
        The write failed; the database is unchanged.
    """
    files = extract.files
    if replace_all and extract.participants.empty:
        raise _emptying_the_database(files["participants"].name)
    import_id = db.save_extract(
        engine,
        extract.participants,
        extract.milestones,
        extract.targets,
        replace_all=replace_all,
        record=_import_record(files, imported_at, extract_date),
        warnings=extract.warnings,
        progress=progress,
        audit=audit,
    )
    return ImportResult(
        import_id=import_id,
        participants=len(extract.participants),
        milestones=len(extract.milestones),
        targets=0 if extract.targets is None else len(extract.targets),
        warnings=tuple(extract.warnings),
        extract_date=extract_date,
    )
