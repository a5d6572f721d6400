"""The audit trail of what leaves or enters the dashboard: downloads and uploads.

Sign-ins are recorded by :mod:`dashboard.auth`; this module records each download
(CSV, Excel, report) with the filters of the view it came from, and each import
made from the Data page, in the ``audit_events`` table
(:mod:`ete_metrics.data.audit`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any

from dashboard.auth import audit_engine, now_utc, require_access
from dashboard.filters import Filters
from ete_metrics import config
from ete_metrics.data import audit
from ete_metrics.data.db import AuditEntry

LOGGER = logging.getLogger(__name__)


def audited_exports(
    makers: Mapping[str, Callable[[], bytes]], filters: Filters
) -> dict[str, Callable[[], bytes]]:
    """Wrap the downloads of one view so each download is recorded in the audit trail.

    Called while the page renders (who, the scope and the filters are captured then);
    each returned function runs when the user clicks, builds the file, records
    ``export`` with its SHA-256 and returns the bytes. If the event cannot be
    recorded the download fails (no unaudited exports). Outside a Streamlit run
    (a unit test calling a renderer directly) the functions are returned unchanged.

    Parameters
    ----------
    makers : mapping of str to callable
        File name to the function returning that file's bytes (a table's CSV and
        Excel, the report formats).
    filters : Filters
        The view's filters, recorded with each export.

    Returns
    -------
    dict of str to callable
        File name to the wrapped function.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx() is None:
        return dict(makers)
    access = require_access()
    described = audit.export_filters(access, **dataclasses.asdict(filters))
    url = config.database_url()

    def recorded(make: Callable[[], bytes], file_name: str) -> Callable[[], bytes]:
        def build_and_record() -> bytes:
            content = make()
            data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
            try:
                audit.record_export(
                    audit_engine(url), occurred_at=now_utc(), access=access, file_name=file_name,
                    content=data, filters=described, source="dashboard",
                )
            except Exception:
                LOGGER.exception("Could not record the export of %s; the download was refused", file_name)
                raise
            return data

        return build_and_record

    return {file_name: recorded(make, file_name) for file_name, make in makers.items()}


def upload_audit(*, files: Mapping[str, Any], replace_all: bool) -> AuditEntry:
    """The audit event of an import from the Data page's upload, written in the import's own
    transaction (pass it as ``audit`` to :func:`dashboard.uploads.confirm_import`): the
    import is stored with its audit row or not at all.

    Parameters
    ----------
    files : mapping of str to path
        Role to the saved file.
    replace_all : bool
    """
    access = require_access()
    return audit.import_entry(
        occurred_at=now_utc(), actor=access.email, role=access.role, files=files,
        replace_all=replace_all, source="dashboard upload",
    )


def record_upload(
    *, import_id: int, files: Mapping[str, Any], rows: Mapping[str, int], replace_all: bool
) -> None:
    """Record an import made from the Data page's upload (who, the files and their hashes).

    Parameters
    ----------
    import_id : int
    files : mapping of str to path
        Role to the saved file.
    rows : mapping of str to int
        Rows imported per file role.
    replace_all : bool
    """
    access = require_access()
    audit.record_import(
        audit_engine(), occurred_at=now_utc(), actor=access.email, role=access.role,
        import_id=import_id, files=files, rows=rows, replace_all=replace_all,
        source="dashboard upload",
    )
