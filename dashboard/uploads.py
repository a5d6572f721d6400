"""The Data page's upload logic, without Streamlit: save, validate, preview, import.

The page saves the uploaded files to a temporary directory and calls these
functions with paths, so the same validation as the command line
(:func:`ete_metrics.data.importer.read_extract`) runs on them, and the tests can
drive the whole flow with files on disk.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from ete_metrics.data import db
from ete_metrics.data.importer import Extract, ImportResult, import_extract, read_extract
from ete_metrics.data.mapping import SourceMapping, import_mapped, read_mapped, read_region_map
from ete_metrics.errors import EteError, ImportValidationError, InputError, Problem
from ete_metrics.progress import Progress

#: The files of an extract, in upload order.
FILE_ROLES: tuple[str, ...] = ("participants", "milestones", "targets")
#: File types accepted by the uploader (same as the CLI).
ACCEPTED_TYPES: tuple[str, ...] = ("csv", "xlsx")
#: Columns of :func:`problems_table`.
PROBLEM_COLUMNS: tuple[str, ...] = ("file", "line", "column", "message")


@dataclass
class Validation:
    """The outcome of validating an uploaded extract.

    Attributes
    ----------
    extract : Extract or None
        The validated extract when there were no errors.
    problems : pandas.DataFrame
        Errors (``[file, line, column, message]``), empty when valid.
    warnings : pandas.DataFrame
        Warnings of a valid extract, same columns.
    """

    extract: Extract | None = None
    problems: pd.DataFrame = field(default_factory=lambda: problems_table([]))
    warnings: pd.DataFrame = field(default_factory=lambda: problems_table([]))

    @property
    def ok(self) -> bool:
        """True when the extract can be imported."""
        return self.extract is not None and self.problems.empty


#: Longest file name kept (characters before the extension); the rest is cut.
_MAX_NAME_CHARS = 100


def _safe_name(name: str, role: str) -> str:
    """The base name with anything but letters (any script), digits, ``. _ -`` and spaces
    replaced by ``_``, cut to a length every file system accepts."""
    base = os.path.basename(str(name).replace("\\", "/")) or role
    safe = re.sub(r"[^\w. -]", "_", base)
    stem, dot, suffix = safe.rpartition(".")
    if not dot or len(suffix) > 10:
        stem, suffix = safe, ""
    stem = stem[:_MAX_NAME_CHARS]
    while len(stem.encode("utf-8")) > 200:  # file systems allow 255 bytes per name
        stem = stem[:-1]
    return f"{stem}.{suffix}" if suffix else stem


def save_uploads(files: Mapping[str, tuple[str, bytes]], directory: str | Path) -> dict[str, Path]:
    """Write uploaded files to ``directory`` under their own (sanitised) names.

    Parameters
    ----------
    files : mapping of str to (name, bytes)
        Role (``participants``, ``milestones``, ``targets``) to the uploaded file's
        name and contents.
    directory : str or Path
        A directory of its own per upload (e.g. a ``TemporaryDirectory``); one
        subdirectory per role keeps two files of the same name apart.

    Returns
    -------
    dict of str to Path
        Role to the saved path (the base name is kept so messages name the user's file).

    Raises
    ------
    InputError
        When a file has a type other than CSV or Excel ``.xlsx``.
    """
    out: dict[str, Path] = {}
    for role, (name, content) in files.items():
        safe = _safe_name(name, role)
        if not safe.lower().endswith(tuple(f".{t}" for t in ACCEPTED_TYPES)):
            raise InputError(
                f"The {role} file {safe!r} is not a CSV or Excel (.xlsx) file: "
                "save it as CSV (UTF-8) or .xlsx and upload it again."
            )
        folder = Path(directory) / role
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / safe
        path.write_bytes(content)
        out[role] = path
    return out


def check_key(
    files: Mapping[str, tuple[str, bytes]],
    *,
    replace_all: bool,
    extract_date: date | None,
    data_version: tuple[Any, ...],
) -> tuple[Any, ...]:
    """What the result of :func:`validate_upload` on these files depends on.

    The page keeps a check's result with this key and reuses it while the key is
    the same, so a rerun (a click, a filter change) neither writes the files to disk,
    reads the stored entry dates nor parses the files again.

    Parameters
    ----------
    files : mapping of str to (name, bytes)
        Role to the uploaded file's name and contents, as given to :func:`save_uploads`.
    replace_all : bool
        Whether the extract would replace all data (then no stored participant is known).
    extract_date : datetime.date or None
        When the extract was taken (dates after it are warned about).
    data_version : tuple
        The loaded data's version (:attr:`dashboard.data.ProgrammeData.version`); it
        changes when an import lands, so the stored entry dates may have changed.

    Returns
    -------
    tuple
        ``(sha256 hex digest, replace_all, extract_date, data_version)``; the digest
        covers every file's role, name and bytes (each part length-prefixed, so no
        two different uploads run together into the same input).
    """
    digest = hashlib.sha256()
    for role, (name, content) in sorted(files.items()):
        for part in (role.encode(), name.encode("utf-8", "surrogatepass"), content):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return (digest.hexdigest(), bool(replace_all), extract_date, tuple(data_version))


def problems_table(problems: Iterable[Problem]) -> pd.DataFrame:
    """Return problems as a table of file, line, column and message.

    Parameters
    ----------
    problems : iterable of Problem

    Returns
    -------
    pandas.DataFrame
        Columns ``[file, line, column, message]``; ``line`` is nullable ``Int64``
        (missing for whole-file problems), ``column`` ``None`` when not about one column.
    """
    rows = [(p.file, p.line, p.column, p.message) for p in problems]
    frame = pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS))
    frame["line"] = frame["line"].astype("Int64")
    frame["file"] = frame["file"].astype(object)
    frame["column"] = frame["column"].astype(object)
    frame["message"] = frame["message"].astype(object)
    return frame


def validate_upload(
    paths: Mapping[str, Path],
    *,
    engine: Engine | None = None,
    replace_all: bool = False,
    extract_date: date | None = None,
    mapping: SourceMapping | None = None,
    key: str | None = None,
    progress: Progress | None = None,
) -> Validation:
    """Validate saved files exactly as the CLI import would, writing nothing.

    Parameters
    ----------
    paths : mapping of str to Path
        From :func:`save_uploads`; ``participants`` and ``milestones`` required.
    engine : sqlalchemy.Engine, optional
        The database; unless ``replace_all``, milestones may refer to participants
        already in it (as :func:`ete_metrics.data.importer.import_extract` allows).
    replace_all : bool
        The extract will replace all data (no existing participants are known).
    extract_date : datetime.date, optional
        When the extract was taken; dates after it are warned about.
    mapping : SourceMapping, optional
        The files are another system's export read through this mapping
        (:func:`ete_metrics.data.mapping.read_mapped`, as ``import --profile/--mapping``):
        roles ``milestones``, ``milestones 2``... and ``region_map`` are used when given.
    key : str, optional
        The pseudonymisation key, for a mapping with identifier columns.
    progress : Progress, optional
        Told each step of the check (:mod:`ete_metrics.progress`): the page's status box.

    Returns
    -------
    Validation
        ``problems`` filled when rejected, else ``extract`` and ``warnings``.

    Raises
    ------
    InputError
        A file is over the size or row limit, or is an ``.xlsx`` that unpacks to far
        more than its size (:mod:`ete_metrics.data.importer`); the message names the file
        and the limit, and the page shows it.
    """
    stored: pd.Series | None = None
    if engine is not None and not replace_all:
        try:
            stored = db.participant_entry_dates(engine)
        except EteError:
            stored = None  # no tables yet: nobody is known
    try:
        if mapping is None:
            extract = read_extract(
                paths["participants"],
                paths["milestones"],
                paths.get("targets"),
                extract_date=extract_date,
                known_entry_dates=stored,
                progress=progress,
            )
        else:
            extract = read_mapped(
                mapping, paths["participants"], _milestone_paths(paths),
                region_map=_region_map(paths), key=key, extract_date=extract_date,
                known_entry_dates=stored, progress=progress,
            )
    except ImportValidationError as exc:
        return Validation(problems=problems_table(exc.problems))
    return Validation(extract=extract, warnings=problems_table(extract.warnings))


def confirm_import(
    engine: Engine,
    paths: Mapping[str, Path],
    *,
    imported_at: datetime,
    replace_all: bool = False,
    extract_date: date | None = None,
    mapping: SourceMapping | None = None,
    key: str | None = None,
    progress: Progress | None = None,
    audit: db.AuditEntry | None = None,
) -> ImportResult:
    """Import the validated files in one transaction (the explicit confirm step).

    Parameters
    ----------
    engine : sqlalchemy.Engine
    paths : mapping of str to Path
        From :func:`save_uploads`.
    imported_at : datetime.datetime
        The time of the import (the page reads the clock).
    replace_all : bool
        Make the extract the whole database.
    extract_date : datetime.date, optional
        Defaults to ``imported_at.date()``.
    mapping, key, progress : optional
        As for :func:`validate_upload`.
    audit : AuditEntry, optional
        The import's audit event (:func:`dashboard.audit.upload_audit`), written in the
        import's transaction.

    Returns
    -------
    ImportResult

    Raises
    ------
    ImportValidationError
        When the files are rejected (nothing written).
    DatabaseError
        When the write fails (nothing written).
    """
    if mapping is not None:
        return import_mapped(
            engine, mapping, paths["participants"], _milestone_paths(paths),
            region_map=_region_map(paths), key=key, replace_all=replace_all,
            extract_date=extract_date, imported_at=imported_at, progress=progress, audit=audit,
        )
    return import_extract(
        engine,
        paths["participants"],
        paths["milestones"],
        paths.get("targets"),
        replace_all=replace_all,
        extract_date=extract_date,
        imported_at=imported_at,
        progress=progress,
        audit=audit,
    )


def alerts_after_upload(engine: Engine, import_id: int, *, now: datetime) -> list[str]:
    """Evaluate the subscriptions file's alerts after an upload's import; what to tell the uploader.

    An alert problem never breaks the import (it has landed): problems come back as
    sentences, like the command line's (:func:`ete_metrics.delivery.alerts.evaluate_after_change`).

    Parameters
    ----------
    engine : sqlalchemy.Engine
    import_id : int
        The import just made.
    now : datetime.datetime
        The time (UTC; the page reads the clock).

    Returns
    -------
    list of str
        One sentence per alert fired, changed back, recipient refused or problem; empty when
        no alerts are configured or nothing changed.
    """
    from ete_metrics.delivery.alerts import evaluate_after_change

    run = evaluate_after_change(engine, now=now, trigger=f"import #{import_id}, dashboard upload")
    return run.lines()


def _milestone_paths(paths: Mapping[str, Path]) -> list[Path]:
    """The milestones files of an upload: roles ``milestones``, ``milestones 2``, ... in order."""
    return [paths[r] for r in sorted(paths) if r == "milestones" or r.startswith("milestones ")]


def _region_map(paths: Mapping[str, Path]) -> dict[str, str] | None:
    return read_region_map(paths["region_map"]) if "region_map" in paths else None


def preview(extract: Extract, rows: int = 10) -> dict[str, pd.DataFrame]:
    """Return the first rows of each frame of a validated extract.

    Parameters
    ----------
    extract : Extract
    rows : int

    Returns
    -------
    dict of str to pandas.DataFrame
        ``participants``, ``milestones`` and (when given) ``targets``.
    """
    out = {
        "participants": extract.participants.head(rows),
        "milestones": extract.milestones.head(rows),
    }
    if extract.targets is not None:
        out["targets"] = extract.targets.head(rows)
    return out
