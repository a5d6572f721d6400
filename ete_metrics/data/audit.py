"""The audit trail: who signed in, imported, exported or was emailed what, and when.

Thin helpers over :func:`ete_metrics.data.db.record_audit` shared by the dashboard and
the command line, so an import or an export is described the same way wherever
it happens: the file name(s), the SHA-256 of the file(s), row counts, and the
filters and scope of an export as JSON. Callers pass the time (UTC); nothing
here reads the clock.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine

from ete_metrics.data import db

__all__ = [
    "delivery_entry", "export_filters", "import_entry", "record_export", "record_import",
    "record_preview", "record_sign_in", "sha256_of",
]


class Who(Protocol):
    """Who acted, as the audit trail records them: an email, a role and a scope.

    :class:`ete_metrics.protect.access.Access` is one; the trail asks for no more, so
    this room (data, below protect) never imports the access rules.
    """

    @property
    def email(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def regions(self) -> tuple[str, ...] | None: ...

    def describe(self) -> str:
        """One line for the screen, e.g. ``"regional lead · Wales"``."""
        ...


def sha256_of(content: bytes | str | os.PathLike[str]) -> str:
    """Return the SHA-256 (hex) of bytes, or of a file's contents given its path.

    Parameters
    ----------
    content : bytes, str or path
        The bytes themselves, or the path of a file (``str`` is taken as a path).

    Returns
    -------
    str
        64 lower-case hex digits.
    """
    if isinstance(content, bytes | bytearray | memoryview):
        return hashlib.sha256(bytes(content)).hexdigest()
    digest = hashlib.sha256()
    with open(content, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_filters(access: Who, **filters: Any) -> dict[str, Any]:
    """Describe an export's view for the audit trail.

    Parameters
    ----------
    access : Who
        The user's access; its scope is recorded as ``scope`` (``"all regions"`` or the regions).
    **filters
        The view's filters (``as_of``, ``regions``, ``audience``...). ``None`` values and
        empty selections are left out.

    Returns
    -------
    dict
        JSON-ready values (dates as ISO strings, tuples as lists).
    """
    out: dict[str, Any] = {"scope": "all regions" if access.regions is None else list(access.regions)}
    for key, value in filters.items():
        if value is None or (isinstance(value, tuple | list) and not value):
            continue
        if isinstance(value, datetime | date):
            out[key] = value.isoformat()
        elif isinstance(value, tuple | list):
            out[key] = [str(v) for v in value]
        else:
            out[key] = value
    return out


def record_sign_in(
    engine: Engine, *, occurred_at: datetime, email: str, access: Who | None
) -> int:
    """Record a sign-in: allowed (``sign_in``, with the role) or refused (``sign_in_denied``).

    Parameters
    ----------
    engine : sqlalchemy.Engine
    occurred_at : datetime.datetime
        When (UTC).
    email : str
        The signed-in email.
    access : Who or None
        The user's access, or None when the email is not in the access file.

    Returns
    -------
    int
        The audit event's id.
    """
    if access is None:
        return db.record_audit(
            engine, occurred_at=occurred_at, actor=email, action="sign_in_denied",
            detail="signed in but not in the access file: shown the no-access page",
        )
    return db.record_audit(
        engine, occurred_at=occurred_at, actor=email, role=access.role, action="sign_in",
        detail=f"signed in as {access.describe()}",
        filters=export_filters(access),
    )


def record_preview(
    engine: Engine, *, occurred_at: datetime, actor: Who, previewed: Who | None, label: str = ""
) -> int:
    """Record that a director started (or ended) a preview of the dashboard as another role.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    occurred_at : datetime.datetime
        When (UTC).
    actor : Who
        The director's own access.
    previewed : Who or None
        The access previewed, or None when the preview ended.
    label : str
        The preview's name as chosen (an email and scope, or "A regional lead (Wales)").

    Returns
    -------
    int
        The audit event's id.
    """
    if previewed is None:
        detail = "ended the preview: back to their own view"
        filters = export_filters(actor)
    else:
        detail = f"previewed the dashboard as {label or previewed.describe()}: {previewed.describe()}"
        filters = export_filters(previewed)
    return db.record_audit(
        engine, occurred_at=occurred_at, actor=actor.email, role=actor.role, action="preview",
        detail=detail, filters=filters,
    )


def record_import(
    engine: Engine,
    *,
    occurred_at: datetime,
    actor: str,
    role: str | None,
    import_id: int,
    files: Mapping[str, str | os.PathLike[str]],
    rows: Mapping[str, int] | None = None,
    replace_all: bool = False,
    source: str = "",
) -> int:
    """Record an import with the SHA-256 of every file.

    ``file_sha256`` holds the participants file's hash; ``detail`` names every file
    with its hash (and the ``imports`` row holds all three as well).

    Parameters
    ----------
    engine : sqlalchemy.Engine
    occurred_at : datetime.datetime
        When (UTC).
    actor, role : str
        Who imported (email or ``"local"``) and their role.
    import_id : int
        The id of the ``imports`` row written.
    files : mapping of str to path
        Role (``participants``, ``milestones``, ``targets``) to the file imported.
    rows : mapping of str to int, optional
        Rows imported per file role.
    replace_all : bool
        Whether the import replaced all data.
    source : str
        Where it came from, e.g. ``"dashboard upload"`` or ``"command line"``.

    Returns
    -------
    int
        The audit event's id.
    """
    values = import_entry(
        occurred_at=occurred_at, actor=actor, role=role, files=files, replace_all=replace_all,
        source=source,
    )(import_id, rows or {})
    return db.record_audit(engine, **{**values, "occurred_at": occurred_at})


def import_entry(
    *,
    occurred_at: datetime,
    actor: str,
    role: str | None,
    files: Mapping[str, str | os.PathLike[str]],
    replace_all: bool = False,
    source: str = "",
) -> db.AuditEntry:
    """An import's audit event, to be written in the import's own transaction.

    Pass it as ``audit`` to :func:`ete_metrics.data.importer.import_extract` or
    :func:`ete_metrics.data.mapping.import_mapped`: the import and its audit row are
    committed together, so no import is ever stored without its audit row (nor an audit
    row without its import). The actor and the time are checked now (a bad one fails
    before anything is read or written); the files are hashed when the import is written
    (they have been read and checked by then: a missing file is reported as the import's).
    Parameters as for :func:`record_import`.
    """
    mode = "replacing all data" if replace_all else "updating"
    db.audit_values(occurred_at=occurred_at, actor=actor, role=role, action="import")

    def entry(import_id: int, rows: Mapping[str, int]) -> dict[str, Any]:
        hashes = {role_name: sha256_of(path) for role_name, path in files.items()}
        sha256 = hashes.get("participants") or next(iter(hashes.values()), None)
        parts = []
        for role_name, path in files.items():
            count = f", {rows[role_name]:,} rows" if role_name in rows else ""
            parts.append(f"{role_name} {Path(path).name} (sha256 {hashes[role_name]}{count})")
        detail = f"import #{import_id} ({mode}{', ' + source if source else ''}): " + "; ".join(parts)
        return db.audit_values(
            occurred_at=occurred_at, actor=actor, role=role, action="import", detail=detail,
            file_sha256=sha256,
        )

    return entry


def record_export(
    engine: Engine,
    *,
    occurred_at: datetime,
    access: Who,
    file_name: str,
    content: bytes,
    filters: Mapping[str, Any] | None = None,
    source: str = "",
) -> int:
    """Record an export (a download or a report file) with the SHA-256 of its bytes.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    occurred_at : datetime.datetime
        When (UTC).
    access : Who
        Who exported (its email and role).
    file_name : str
        The file's name.
    content : bytes
        The file's contents (hashed, not stored).
    filters : mapping, optional
        The view's filters (see :func:`export_filters`).
    source : str
        Where, e.g. ``"dashboard"`` or ``"command line"``.

    Returns
    -------
    int
        The audit event's id.
    """
    detail = f"{file_name} ({len(content):,} bytes{', ' + source if source else ''})"
    return db.record_audit(
        engine, occurred_at=occurred_at, actor=access.email, role=access.role, action="export",
        detail=detail, filters=filters if filters is not None else export_filters(access),
        file_sha256=sha256_of(content),
    )


def delivery_entry(
    *,
    occurred_at: datetime,
    access: Who,
    what: str,
    files: Mapping[str, bytes],
    filters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The audit event of one email of a pack, to be written with its delivery record.

    One row per email: who it was sent to (the recipient's email and role, as an export
    records its user), what (``what``, then each file with its size and SHA-256), and the
    scope and filters (``filters``, see :func:`export_filters`; the files' SHA-256 are
    added under ``files``). ``file_sha256`` holds the first file's. Pass the values to
    :func:`ete_metrics.data.db.record_delivery`, which writes both in one transaction.

    Parameters
    ----------
    occurred_at : datetime.datetime
        When it was sent (UTC).
    access : Who
        The recipient.
    what : str
        E.g. ``"emailed the April 2023 pack (subscription 2)"``.
    files : mapping of str to bytes
        Each attached file's name and contents (hashed, not stored).
    filters : mapping, optional
        The pack's scope and filters (default: the recipient's scope).

    Returns
    -------
    dict
        The ``audit_events`` row's values (:func:`ete_metrics.data.db.audit_values`).
    """
    hashes = {name: sha256_of(content) for name, content in files.items()}
    listed = "; ".join(
        f"{name} ({len(files[name]):,} bytes, sha256 {digest})" for name, digest in hashes.items()
    )
    described = dict(filters) if filters is not None else export_filters(access)
    described["files"] = hashes
    return db.audit_values(
        occurred_at=occurred_at, actor=access.email, role=access.role, action="delivery",
        detail=f"{what}: {listed}" if listed else what, filters=described,
        file_sha256=next(iter(hashes.values()), None),
    )
