"""Data: upload an extract (validated like the CLI), import history and data-quality checks.

Thin page: the upload logic lives in :mod:`dashboard.uploads` (save, validate,
preview, import — tested without a browser); the checks come from
:func:`ete_metrics.quality.data_quality`.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from dashboard.data import load_data, metric
from dashboard.render import empty_state, table_with_downloads, user_errors
from dashboard.state import current_filters
from dashboard.uploads import ACCEPTED_TYPES, confirm_import, preview, save_uploads, validate_upload
from ete_metrics import config, db
from ete_metrics.formatting import count, format_table, uk_date
from ete_metrics.quality import data_quality

ROUND_KEY = "data_upload_round"
DONE_KEY = "data_upload_done"


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> sa.Engine:
    return db.make_engine(url)


def _when(value: Any) -> str:
    """Import time on screen: ``1 Jun 2024 09:30`` (UK date, 24-hour time)."""
    stamp = pd.Timestamp(value) if value is not None else pd.NaT
    if not isinstance(stamp, pd.Timestamp) or pd.isna(stamp):
        return ""
    return f"{uk_date(stamp)} {stamp.strftime('%H:%M')}"


data = load_data()
filters = current_filters()
engine = _engine(config.database_url())

st.header("Data")
st.caption(
    f"The database holds {count(len(data.participants))} referrals and "
    f"{count(len(data.milestones))} milestones, to {uk_date(data.cutoff) or 'an unknown date'}."
)

# --- Upload ------------------------------------------------------------------
st.subheader("Import an extract")
done = st.session_state.pop(DONE_KEY, None)
if done:
    st.success(done, icon=":material/check_circle:")
st.markdown(
    "Upload the **participants** and **milestones** files of an extract (CSV or Excel .xlsx; "
    "targets optional). They are checked exactly as `python -m ete_metrics import` checks "
    "them; nothing is written until you confirm."
)
upload_round = st.session_state.setdefault(ROUND_KEY, 0)
columns = st.columns(3)
uploaded = {}
for column, role, label in zip(
    columns,
    ("participants", "milestones", "targets"),
    ("Participants file", "Milestones file", "Targets file (optional)"),
    strict=True,
):
    with column:
        uploaded[role] = st.file_uploader(
            label, type=list(ACCEPTED_TYPES), key=f"upload_{role}_{upload_round}"
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

if uploaded["participants"] is None or uploaded["milestones"] is None:
    st.caption("Choose a participants file and a milestones file to check them.")
else:
    files = {
        role: (file.name, file.getvalue()) for role, file in uploaded.items() if file is not None
    }
    with tempfile.TemporaryDirectory(prefix="ete_upload_") as tmp, user_errors(stop=False):
        paths = save_uploads(files, tmp)
        checked = validate_upload(
            paths, engine=engine, replace_all=replace_all, extract_date=extract_date
        )
        if not checked.ok:
            total = len(checked.problems)
            st.error(
                f"The extract was rejected: {count(total)} problem{'s' if total != 1 else ''} "
                "found. Nothing was changed. Fix these in the files and upload them again.",
                icon=":material/error:",
            )
            table_with_downloads(
                checked.problems, key="upload_problems", filename="import_problems",
                counts=("line",),
            )
        else:
            extract = checked.extract
            assert extract is not None
            st.success(
                f"The extract passed the checks: {count(len(extract.participants))} participants, "
                f"{count(len(extract.milestones))} milestones"
                + (f", {count(len(extract.targets))} targets" if extract.targets is not None else "")
                + ".",
                icon=":material/task_alt:",
            )
            for role, frame in preview(extract).items():
                st.markdown(f"**Preview: {role}** (first {len(frame)} rows)")
                dates = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
                st.dataframe(format_table(frame, dates=dates), hide_index=True, width="stretch")
            if len(checked.warnings):
                st.warning(
                    f"{count(len(checked.warnings))} warning(s): the import can go ahead, "
                    "but check these records.",
                    icon=":material/warning:",
                )
                table_with_downloads(
                    checked.warnings, key="upload_warnings", filename="import_warnings",
                    counts=("line",),
                )
            action = "Replace all data with this extract" if replace_all else "Import this extract"
            if st.button(action, type="primary", key="upload_confirm"):
                result = confirm_import(
                    engine, paths, imported_at=datetime.now(), replace_all=replace_all,
                    extract_date=extract_date,
                )
                st.cache_data.clear()
                st.session_state[ROUND_KEY] = upload_round + 1
                st.session_state[DONE_KEY] = (
                    f"Import {result.import_id} done: {count(result.participants)} participants and "
                    f"{count(result.milestones)} milestones written, "
                    f"{count(len(result.warnings))} warning(s) stored."
                )
                st.rerun()

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
        history,
        key="import_history",
        filename="import_history",
        columns=wanted,
        counts=("participants_rows", "milestones_rows", "targets_rows", "warnings_count"),
        dates=("extract_date",),
    )

if len(data.import_warnings):
    st.markdown(f"**Warnings stored with the latest import** ({count(len(data.import_warnings))})")
    table_with_downloads(
        data.import_warnings,
        key="import_warnings",
        filename="latest_import_warnings",
        columns=[c for c in ("file", "line", "column", "check", "message", "participant_id")
                 if c in data.import_warnings.columns],
        counts=("line",),
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
    table_with_downloads(quality, key="data_quality", filename="data_quality", counts=("count",))
