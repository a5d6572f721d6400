"""Data: upload an extract (validated like the CLI), import history and data-quality checks.

Thin page: the upload logic lives in :mod:`dashboard.uploads` (save, validate,
preview, import — tested without a browser); the checks come from
:func:`ete_metrics.data.quality.data_quality`.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.audit import upload_audit
from dashboard.auth import require_access
from dashboard.data import forget_metrics, load_data, metric, shared_engine
from dashboard.filters import current_filters
from dashboard.mapping_builder import OWN_FORMAT, app_pseudonym_key, layouts, render_mapping_builder
from dashboard.page_state import show_done
from dashboard.progress import status_progress
from dashboard.render import downloads, empty_state, table_with_downloads, user_errors
from dashboard.uploads import (
    ACCEPTED_TYPES,
    Validation,
    alerts_after_upload,
    check_key,
    confirm_import,
    preview,
    save_uploads,
    validate_upload,
)
from ete_metrics import config, views
from ete_metrics.data import db
from ete_metrics.data.mapping import load_mapping, mapping_to_toml
from ete_metrics.data.quality import data_quality
from ete_metrics.errors import InputError
from ete_metrics.present.formatting import count, counted, uk_date
from ete_metrics.present.tables import display_table
from ete_metrics.protect.access import DIRECTOR
from ete_metrics.protect.disclosure import round_to_base

ROUND_KEY = "data_upload_round"
DONE_KEY = "data_upload_done"
#: What the alerts' run after the last upload said, shown once after its rerun.
ALERTS_DONE_KEY = "data_upload_alerts"
#: The last check of the chosen files, ``(check_key(...), Validation or InputError)``: reused
#: while the files, options and data version are the same, so a rerun does not check them again.
CHECK_KEY = "data_upload_check"


def _when(value: Any) -> str:
    """Import time on screen: ``1 Jun 2024 09:30`` (UK date, 24-hour time)."""
    stamp = pd.Timestamp(value) if value is not None else pd.NaT
    if not isinstance(stamp, pd.Timestamp) or pd.isna(stamp):
        return ""
    return f"{uk_date(stamp)} {stamp.strftime('%H:%M')}"


data = load_data()
filters = current_filters()
access = require_access()
engine = shared_engine(config.database_url())


def _size(n: int) -> str:
    """A table size as the audience may see it (rounded to 5 for stakeholders)."""
    return count(round_to_base(n) if filters.stakeholder else n)


st.header("Data")
st.caption(
    f"The database holds {_size(len(data.participants))} referrals and "
    f"{_size(len(data.milestones))} milestones, to {uk_date(data.cutoff) or 'an unknown date'}."
)

# --- Upload ------------------------------------------------------------------
st.subheader("Import an extract")
if filters.stakeholder:
    # No uploads, previews or warnings (they show participant ids) for stakeholders.
    st.caption("Importing extracts is not available in the stakeholder view.")
elif not access.can_upload:
    st.caption("Importing extracts is for directors and data managers.")


def _checks_table(findings: pd.DataFrame, kind: str) -> None:
    """The problems or warnings of the extract checked, line by line, with downloads."""
    table_with_downloads(findings, views.IMPORT_CHECKS, key=f"upload_{kind}", filename=f"import_{kind}")


def _upload_section() -> None:
    """Upload, check, preview and import an extract (internal audience only)."""
    show_done(DONE_KEY)
    for line in st.session_state.pop(ALERTS_DONE_KEY, None) or ():
        told = line.startswith(("Alert fired", "Alert back"))
        (st.info if told else st.warning)(line, icon=":material/notifications:")
    st.markdown(
        "Upload the **participants** and **milestones** files of an extract (CSV or Excel .xlsx; "
        "targets optional). They are checked exactly as `python -m ete_metrics import` checks "
        "them; nothing is written until you confirm. "
        f"Each file may be up to {count(config.max_upload_mb())} MB and "
        f"{count(config.max_rows())} rows."
    )
    upload_round = st.session_state.setdefault(ROUND_KEY, 0)
    available = layouts()
    layout = st.selectbox(
        "Layout of the files", [OWN_FORMAT, *available], key="upload_layout",
        help="Another system's export (Refer and Monitor, CATS, a saved mapping) is read through "
        "its mapping; see data/README.md.",
    )
    try:
        mapping = None if layout == OWN_FORMAT else load_mapping(available[layout])
    except InputError as exc:  # a saved mapping edited by hand into something unreadable
        st.error(str(exc), icon=":material/error:")
        return
    roles: tuple[tuple[str, str], ...] = (
        ("participants", "Participants file"),
        ("milestones", "Milestones file"),
        ("targets", "Targets file (optional)"),
    )
    if mapping is not None:
        roles = (
            ("participants", "Participants file"),
            ("milestones", "Milestones file (optional)"),
            ("milestones 2", "Another milestones file (optional)"),
            ("region_map", "Region map, source,region CSV (optional)"),
        )
    columns = st.columns(len(roles))
    uploaded = {}
    for column, (role, label) in zip(columns, roles, strict=True):
        with column:
            uploaded[role] = st.file_uploader(
                label, type=list(ACCEPTED_TYPES), key=f"upload_{role}_{upload_round}",
                # The importer's limit, within the server's (.streamlit/config.toml).
                max_upload_size=min(config.max_upload_mb(), st.get_option("server.maxUploadSize")),
            )
    left, right = st.columns(2)
    with left:
        replace_all = st.checkbox(
            "Replace all data with this extract",
            key="upload_replace_all",
            help="Otherwise participants in the extract are updated, their milestones replaced, "
            "and everyone else kept.",
        )
    with right:
        extract_date = st.date_input(
            "Extract taken on", value=datetime.now().date(), format="DD/MM/YYYY",
            key="upload_extract_date",
        )

    if uploaded["participants"] is None or (mapping is None and uploaded["milestones"] is None):
        st.caption(
            "Choose a participants file and a milestones file to check them."
            if mapping is None
            else "Choose the participants file of the export to check it."
        )
        st.session_state.pop(CHECK_KEY, None)
    else:
        files = {
            role: (file.name, file.getvalue()) for role, file in uploaded.items() if file is not None
        }
        pseudonym_key = app_pseudonym_key() if mapping is not None else None
        layout_text = b"" if mapping is None else mapping_to_toml(mapping).encode()
        with tempfile.TemporaryDirectory(prefix="ete_upload_") as tmp, user_errors(stop=False):
            # The files are written to disk only to be checked or imported, not at every rerun.
            paths: dict[str, Path] | None = None
            key = check_key(
                {**files, "layout": (layout, layout_text)}, replace_all=replace_all,
                extract_date=extract_date, data_version=data.version,
            )
            kept = st.session_state.pop(CHECK_KEY, None)
            checked: Validation | InputError
            if kept is not None and kept[0] == key:
                checked = kept[1]
            else:
                try:
                    paths = save_uploads(files, tmp)
                    with status_progress("Checking the files", "Checked the files") as progress:
                        checked = validate_upload(
                            paths, engine=engine, replace_all=replace_all,
                            extract_date=extract_date, mapping=mapping, key=pseudonym_key,
                            progress=progress,
                        )
                except InputError as exc:  # a file over a limit: kept too, not read again
                    checked = exc
            st.session_state[CHECK_KEY] = (key, checked)
            if isinstance(checked, InputError):
                raise checked.with_traceback(None)  # shown by user_errors; no frames kept
            if not checked.ok:
                total = len(checked.problems)
                st.error(
                    f"The extract was rejected: {counted(total, 'problem')} "
                    "found. Nothing was changed. Fix these in the files and upload them again.",
                    icon=":material/error:",
                )
                _checks_table(checked.problems, "problems")
            else:
                extract = checked.extract
                assert extract is not None
                st.success(
                    f"The extract passed the checks: {counted(len(extract.participants), 'participant')}, "
                    f"{counted(len(extract.milestones), 'milestone')}"
                    + (f", {counted(len(extract.targets), 'target')}" if extract.targets is not None else "")
                    + ".",
                    icon=":material/task_alt:",
                )
                for role, frame in preview(extract).items():
                    st.markdown(f"**Preview: {role}** (first {len(frame)} rows)")
                    dates = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
                    st.dataframe(display_table(frame, dates=dates), hide_index=True, width="stretch")
                if len(checked.warnings):
                    st.warning(
                        f"{counted(len(checked.warnings), 'warning')}: the import can go ahead, "
                        "but check these records.",
                        icon=":material/warning:",
                    )
                    _checks_table(checked.warnings, "warnings")
                action = "Replace all data with this extract" if replace_all else "Import this extract"
                if st.button(action, type="primary", key="upload_confirm"):
                    paths = paths or save_uploads(files, tmp)
                    with status_progress("Importing the extract", "Imported the extract") as progress:
                        result = confirm_import(
                            engine, paths, imported_at=datetime.now(), replace_all=replace_all,
                            extract_date=extract_date, mapping=mapping, key=pseudonym_key,
                            progress=progress,
                            # recorded in the import's own transaction: both, or neither
                            audit=upload_audit(files=paths, replace_all=replace_all),
                        )
                    forget_metrics()  # the old version's results, freed now
                    # never breaks the import: what fired, or went wrong, is told after the rerun
                    st.session_state[ALERTS_DONE_KEY] = alerts_after_upload(
                        engine, result.import_id, now=datetime.now(UTC)
                    )
                    st.session_state[ROUND_KEY] = upload_round + 1
                    st.session_state.pop(CHECK_KEY, None)
                    st.session_state[DONE_KEY] = (
                        f"Import {result.import_id} done: {counted(result.participants, 'participant')} and "
                        f"{counted(result.milestones, 'milestone')} written, "
                        f"{counted(len(result.warnings), 'warning')} stored."
                    )
                    st.rerun()


if not filters.stakeholder and access.can_upload:  # directors and data managers only
    _upload_section()
    st.subheader("Map another system's export")
    render_mapping_builder()
else:  # no uploader shown: keep no checked extract (it names participants) in the session
    st.session_state.pop(CHECK_KEY, None)

# --- Import history ----------------------------------------------------------
st.subheader("Import history")
if data.imports.empty:
    empty_state("No imports are recorded yet.")
else:
    history = data.imports.sort_values("id", ascending=False).reset_index(drop=True)
    history = history.assign(imported_at=[_when(v) for v in history["imported_at"]])
    wanted = [
        c
        for c in (
            "id", "imported_at", "extract_date", "participants_file", "participants_rows",
            "milestones_file", "milestones_rows", "targets_file", "targets_rows",
            "warnings_count", "replace_all",
        )
        if c in history.columns
    ]
    table_with_downloads(
        history, views.IMPORT_HISTORY, key="import_history", filename="import_history",
        columns=wanted,
    )

if len(data.import_warnings) and not filters.stakeholder:  # they name participants
    st.markdown(f"**Warnings stored with the latest import** ({count(len(data.import_warnings))})")
    table_with_downloads(
        data.import_warnings,
        views.IMPORT_CHECKS,
        key="import_warnings",
        filename="latest_import_warnings",
        columns=[c for c in ("file", "line", "column", "check", "message", "participant_id")
                 if c in data.import_warnings.columns],
    )

# --- Data quality ------------------------------------------------------------
st.subheader("Data-quality checks")
st.caption(
    f"Records that break the programme's rules, as at {uk_date(filters.as_of)}, for the "
    "regions, pathways and partners chosen in the sidebar. Milestones before entry or after "
    "the 'as at' date are not counted in the figures."
)
with user_errors():
    quality = metric(data_quality, data, filters, as_of=filters.as_of)
if quality.empty:
    empty_state("No data-quality checks to show for these filters.")
else:
    table_with_downloads(
        quality, views.DATA_QUALITY, key="data_quality", filename="data_quality",
    )

# --- Audit trail (directors and data managers) -------------------------------
AUDIT_ROWS = 1_000
if access.can_see_audit:
    st.subheader("Audit trail")
    if filters.stakeholder:
        st.caption("The audit trail is not shown in the stakeholder view.")
    else:
        st.caption(
            f"Sign-ins, imports and exports, newest first (the latest {count(AUDIT_ROWS)}; "
            "times in UTC). Filters are those of the view exported; the SHA-256 identifies "
            "the file imported or exported."
        )
        with user_errors(stop=False):
            events = db.load_audit(engine, limit=AUDIT_ROWS)
            if events.empty:
                empty_state("Nothing is recorded in the audit trail yet.")
            else:
                shown_columns = ["occurred_at", "actor", "role", "action", "detail", "filters",
                                 "file_sha256"]
                on_screen = events.assign(
                    occurred_at=[f"{_when(v)} UTC" for v in events["occurred_at"]]
                )[shown_columns]
                st.dataframe(display_table(on_screen), hide_index=True, width="stretch")
                in_files = events.assign(  # ISO 8601 in files, with the time
                    occurred_at=[pd.Timestamp(v).strftime("%Y-%m-%dT%H:%M:%SZ")
                                 for v in events["occurred_at"]]
                )[shown_columns]
                downloads(in_files, key="audit_trail", filename="audit_trail")

# --- Alerts (directors) --------------------------------------------------------
ALERT_ROWS = 200
if access.role == DIRECTOR and not filters.stakeholder:
    st.subheader("Alerts")
    st.caption(
        "Alerts of the subscriptions file that fired, newest first (the latest "
        f"{count(ALERT_ROWS)}; times in UTC): each fires once when its measure crosses its line, "
        "and again only after it has changed back."
    )
    with user_errors(stop=False):
        fired = db.load_alerts_fired(engine, limit=ALERT_ROWS)
        if fired.empty:
            empty_state("No alert has fired yet.")
        else:
            shown = pd.DataFrame(
                {
                    "Fired": [f"{_when(v)} UTC" for v in fired["fired_at"]],
                    "Alert": fired["rule"].astype(str).to_list(),
                    "Scope": fired["scope"].astype(str).to_list(),
                    "Figures as at": [uk_date(v) for v in fired["as_of"]],
                    "Recipients": [count(int(n)) for n in fired["recipients"]],
                    "Reading": fired["reading"].astype(str).to_list(),
                }
            )
            st.dataframe(shown, hide_index=True, width="stretch")
