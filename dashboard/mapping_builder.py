"""The Data page's mapping builder: map another system's export to our columns, and save it.

The user uploads a sample of their participants file (and, optionally, of a
milestones file), sees its first rows, chooses for each of our columns one of
their columns (the one for ``participant_id`` is pseudonymised), marks the
personal columns to drop, and saves the mapping (:func:`ete_metrics.data.mapping.save_mapping`)
in :func:`ete_metrics.data.mapping.mappings_folder`. Saved mappings and the shipped
profiles are offered next time, to view or download, and to use with
``python -m ete_metrics import --mapping FILE``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.page_state import show_done
from dashboard.render import user_errors
from dashboard.uploads import ACCEPTED_TYPES, save_uploads
from ete_metrics.data import frames
from ete_metrics.data.mapping import (
    KEY_VARIABLE,
    PROFILES,
    column_key,
    mapping_from_choices,
    mappings_folder,
    pseudonym_key,
    save_mapping,
    saved_mappings,
    source_preview,
)

NOT_USED = "(not used)"
#: The upload's layout when the files are in this project's own import format.
OWN_FORMAT = "This project's import format"
#: What the last save did, shown once on the next run.
SAVED_KEY = "mapping_saved_message"


def _sample(role: str, label: str) -> pd.DataFrame | None:
    """The first rows of an uploaded sample file, or None when none is chosen."""
    file = st.file_uploader(label, type=list(ACCEPTED_TYPES), key=f"mapping_sample_{role}")
    if file is None:
        return None
    with tempfile.TemporaryDirectory(prefix="ete_mapping_") as tmp:
        paths = save_uploads({role: (file.name, file.getvalue())}, tmp)
        return source_preview(paths[role])


def _choose(role: str, ours: tuple[str, ...], required: tuple[str, ...], sample: pd.DataFrame) -> dict[str, str]:
    """One select box per column of ours; the default is a column of the same name."""
    options = [NOT_USED, *[str(c) for c in sample.columns]]
    by_name = {column_key(c): c for c in options[1:]}
    chosen: dict[str, str] = {}
    columns = st.columns(3)
    for i, column in enumerate(ours):
        default = by_name.get(column, NOT_USED)
        with columns[i % 3]:
            choice = st.selectbox(
                column + (" (required)" if column in required else ""),
                options,
                index=options.index(default),
                key=f"mapping_{role}_{column}",
            )
        if choice != NOT_USED:
            chosen[column] = choice
    return chosen


def layouts() -> dict[str, Path]:
    """The shipped profiles and the saved mappings, by the label the page shows."""
    available = {f"{name} (shipped profile)": path for name, path in PROFILES.items()}
    available.update(saved_mappings(mappings_folder()))
    return available


def app_pseudonym_key() -> str | None:
    """The pseudonymisation key: ``ETE_PSEUDONYM_KEY`` in the environment, else in the secrets."""
    key = pseudonym_key()
    if key:
        return key
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        value = st.secrets.get(KEY_VARIABLE)
    except Exception:  # noqa: BLE001 - unreadable secrets: no key (the import says how to set one)
        return None
    return str(value).strip() or None if value else None


def _saved_list() -> None:
    """The saved mappings and the shipped profiles: view and download."""
    available = layouts()
    st.markdown(f"**Saved mappings** ({len(available)})")
    choice = st.selectbox("Show a saved mapping", list(available), key="mapping_show")
    if choice is None:
        return
    text = Path(available[choice]).read_text(encoding="utf-8")
    st.code(text, language="toml")
    st.download_button(
        "Download this mapping", text, file_name=Path(available[choice]).name,
        mime="application/toml", key="mapping_download",
    )


def render_mapping_builder() -> None:
    """Draw the builder (internal audience only: the caller checks access)."""
    show_done(SAVED_KEY)
    st.markdown(
        "For an export from another system: upload a sample, choose which of your columns "
        "becomes each of ours, and save the mapping. Import with "
        "`python -m ete_metrics import --mapping FILE ...` (see data/README.md)."
    )
    with user_errors(stop=False):
        _saved_list()
        people = _sample("participants", "Sample of your participants file")
        if people is None:
            st.caption("Choose a sample of your participants file to map its columns.")
            return
        st.markdown(f"**Your participants file** (first {len(people)} rows)")
        st.dataframe(people, hide_index=True, width="stretch")
        participants = _choose(
            "participants", frames.PARTICIPANT_COLUMNS, frames.PARTICIPANT_REQUIRED, people
        )
        events = _sample("milestones", "Sample of your milestones file (optional)")
        milestones: dict[str, str] | None = None
        if events is not None:
            st.markdown(f"**Your milestones file** (first {len(events)} rows)")
            st.dataframe(events, hide_index=True, width="stretch")
            milestones = _choose(
                "milestones", frames.MILESTONE_COLUMNS, frames.MILESTONE_REQUIRED, events
            )
        columns = sorted({str(c) for c in people.columns} | {str(c) for c in (events.columns if events is not None else [])})
        st.caption(
            "The column you choose for participant_id identifies people: it is replaced by a "
            "keyed pseudonym at import (ETE_PSEUDONYM_KEY), never stored as it is."
        )
        drop = st.multiselect(
            "Personal columns to drop at read (names, emails, workers)", columns,
            key="mapping_drop",
        )
        name = st.text_input("Mapping name", key="mapping_name")
        if st.button("Save mapping", type="primary", key="mapping_save"):
            mapping = mapping_from_choices(
                name, participants, milestones=milestones, drop=drop
            )
            path = save_mapping(mapping, mappings_folder())
            st.session_state[SAVED_KEY] = f"Mapping {mapping.name} saved as {path.name}."
            st.rerun()
