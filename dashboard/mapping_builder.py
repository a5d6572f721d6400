"""The Data page's mapping builder: map another system's export to our columns, and save it.

The user uploads a sample of their participants file (and, optionally, of a
milestones file), sees its first rows, chooses for each of our columns one of
their columns (the one for ``participant_id`` is pseudonymised), maps the values
of their region, pathway and milestone columns to ours, chooses the time zone of
their timestamps and the format of their dates (seeing how their own dates read),
marks the personal columns to drop, and saves the mapping (:func:`ete_metrics.data.mapping.save_mapping`)
in :func:`ete_metrics.data.mapping.mappings_folder`. Saved mappings and the shipped
profiles are offered next time, to view or download, and to use with
``python -m ete_metrics import --mapping FILE``.
"""

from __future__ import annotations

import tempfile
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.page_state import show_done
from dashboard.render import user_errors
from dashboard.uploads import ACCEPTED_TYPES, save_uploads
from ete_metrics import config
from ete_metrics.data import frames
from ete_metrics.data.mapping import (
    KEY_VARIABLE,
    PROFILES,
    column_key,
    dates_as_read,
    mapping_from_choices,
    mappings_folder,
    pseudonym_key,
    save_mapping,
    saved_mappings,
    source_preview,
)
from ete_metrics.present.formatting import uk_date
from ete_metrics.steps import MILESTONE_TYPES, label

NOT_USED = "(not used)"
#: A value kept as the file writes it (no value map entry).
KEEP = "(keep as it is)"
#: A value read as empty (e.g. CATS's pathway ``Unknown``).
EMPTY = "(leave empty)"
#: Rows of the first rows shown; rows of a sample read for the values it holds.
PREVIEW_ROWS = 5
SAMPLE_ROWS = 5_000
#: Values of one column offered for mapping (the rest: edit the saved file).
MAX_VALUES = 30
#: Our columns whose values a mapping translates, per file, with the values they take.
VALUE_COLUMNS: dict[str, dict[str, Callable[[], tuple[str, ...]]]] = {
    "participants": {"region": config.regions, "pathway": lambda: config.PATHWAYS},
    "milestones": {"milestone": lambda: MILESTONE_TYPES},
}
#: Date formats offered: strftime format -> what people read ("" = the import's default).
DATE_FORMATS: dict[str, str] = {
    "": "ISO (2023-12-31, timestamps) or day/month/year (31/12/2023)",
    "%m/%d/%Y": "month/day/year (12/31/2023)",
    "%d-%m-%Y": "day-month-year (31-12-2023)",
    "%d.%m.%Y": "day.month.year (31.12.2023)",
    "%Y/%m/%d": "year/month/day (2023/12/31)",
    "%d %b %Y": "31 Dec 2023",
    "other": "Another format (type it)",
}
DEFAULT_ZONE = "Europe/London"
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
        return source_preview(paths[role], rows=SAMPLE_ROWS)


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


def _values_of(sample: pd.DataFrame, column: str) -> list[str]:
    """The distinct non-blank values of a sample's column, in the order they come."""
    values = sample[column].astype(str).str.strip()
    return list(dict.fromkeys(v for v in values.tolist() if v))


def _value_maps(role: str, sample: pd.DataFrame, chosen: dict[str, str]) -> dict[str, dict[str, str]]:
    """One select box per value of their region / pathway / milestone column: ours for it."""
    maps: dict[str, dict[str, str]] = {}
    for column, ours in VALUE_COLUMNS[role].items():
        source = chosen.get(column)
        if source is None:
            continue
        allowed = ours()
        found = _values_of(sample, source)
        st.markdown(f"**{label(column)}**: the values of your column *{source}*")
        if len(found) > MAX_VALUES:
            st.caption(
                f"The first {MAX_VALUES} of {len(found)} values are shown; map others by "
                "editing the saved file."
            )
        extra = (EMPTY,) if column == "pathway" else ()
        options = [KEEP, *allowed, *extra]
        words = {option: label(option) if option in allowed else option for option in options}
        columns = st.columns(3)
        for i, value in enumerate(found[:MAX_VALUES]):
            with columns[i % 3]:
                choice = st.selectbox(
                    f"{source}: {value}",
                    options,
                    format_func=words.__getitem__,
                    key=f"mapping_value_{role}_{column}_{value}",
                    help="Keep a value already in our words (any case); map the others.",
                )
            if choice is not None and choice != KEEP:
                maps.setdefault(column, {})[value] = "" if choice == EMPTY else choice
    return maps


def _dates_and_zone(samples: list[tuple[pd.DataFrame, dict[str, str]]]) -> tuple[str, str | None]:
    """The time zone and date format chosen, with how the sample's own dates read."""
    left, right = st.columns(2)
    with left:
        zones = sorted(zoneinfo.available_timezones() | {DEFAULT_ZONE})
        time_zone = st.selectbox(
            "Time zone of timestamps with an offset", zones, index=zones.index(DEFAULT_ZONE),
            key="mapping_time_zone",
            help="A timestamp such as 2023-06-30T23:30:00Z becomes the calendar date in this "
            "zone (in London, 1 Jul 2023).",
        )
    with right:
        chosen = st.selectbox(
            "Format of the dates", list(DATE_FORMATS), format_func=DATE_FORMATS.__getitem__,
            key="mapping_date_format",
        )
        date_format: str | None = chosen or None
        if chosen == "other":
            date_format = st.text_input(
                "Date format (strftime, e.g. %d/%m/%Y)", key="mapping_date_format_other"
            ).strip() or None
    rows = []
    for sample, columns in samples:
        for ours in (*frames.PARTICIPANT_DATE_COLUMNS, *frames.MILESTONE_DATE_COLUMNS):
            source = columns.get(ours)
            if source is None or source not in sample.columns:
                continue
            found = _values_of(sample, source)[:3]
            read = dates_as_read(found, time_zone or DEFAULT_ZONE, date_format)
            rows += [
                {"Your column": source, "Your value": value,
                 "Read as": uk_date(day) if day else "not a date: the import would stop here"}
                for value, day in zip(found, read, strict=True)
            ]
    if rows:
        st.markdown("**Your dates as they will be read**")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    return time_zone or DEFAULT_ZONE, date_format


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
        st.markdown(f"**Your participants file** (first {min(len(people), PREVIEW_ROWS)} rows)")
        st.dataframe(people.head(PREVIEW_ROWS), hide_index=True, width="stretch")
        participants = _choose(
            "participants", frames.PARTICIPANT_COLUMNS, frames.PARTICIPANT_REQUIRED, people
        )
        events = _sample("milestones", "Sample of your milestones file (optional)")
        milestones: dict[str, str] | None = None
        if events is not None:
            st.markdown(f"**Your milestones file** (first {min(len(events), PREVIEW_ROWS)} rows)")
            st.dataframe(events.head(PREVIEW_ROWS), hide_index=True, width="stretch")
            milestones = _choose(
                "milestones", frames.MILESTONE_COLUMNS, frames.MILESTONE_REQUIRED, events
            )
        st.markdown("#### Values, dates and time zone")
        values = _value_maps("participants", people, participants)
        milestone_values = (
            _value_maps("milestones", events, milestones) if events is not None and milestones else {}
        )
        samples = [(people, participants)]
        if events is not None and milestones:
            samples.append((events, milestones))
        time_zone, date_format = _dates_and_zone(samples)
        columns = sorted({str(c) for c in people.columns} | {str(c) for c in (events.columns if events is not None else [])})
        st.caption(
            "The column you choose for participant_id identifies people, and the one for "
            "caseworker names staff: each is replaced by a keyed pseudonym at import "
            "(ETE_PSEUDONYM_KEY), never stored as it is, so it can be chosen for no other "
            "column, nor dropped."
        )
        drop = st.multiselect(
            "Personal columns to drop at read (names, emails, workers)", columns,
            key="mapping_drop",
        )
        name = st.text_input("Mapping name", key="mapping_name")
        if st.button("Save mapping", type="primary", key="mapping_save"):
            mapping = mapping_from_choices(
                name, participants, milestones=milestones, drop=drop, values=values,
                milestone_values=milestone_values, time_zone=time_zone, date_format=date_format,
            )
            path = save_mapping(mapping, mappings_folder())
            st.session_state[SAVED_KEY] = f"Mapping {mapping.name} saved as {path.name}."
            st.rerun()
