"""The Data page: upload validation (dashboard.uploads) and the page itself (AppTest).

AppTest cannot drive ``st.file_uploader``, so the page's save/validate/preview/
import steps live in :mod:`dashboard.uploads` and are tested here with files on
disk, on SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from apptest_support import *  # noqa: F403
from apptest_support import DemoData, new_app, open_page

from dashboard.uploads import (
    confirm_import,
    preview,
    problems_table,
    save_uploads,
    validate_upload,
)
from ete_metrics import db
from ete_metrics.errors import ImportValidationError, InputError, Problem
from ete_metrics.formatting import format_table
from ete_metrics.quality import data_quality

PAGE = "pages/7_data.py"

GOOD_PARTICIPANTS = (
    "participant_id,region,referral_date,entry_date,pathway,delivery_partner\n"
    "P1,London,2023-01-02,2023-01-10,community,Alpha\n"
    "P2,Wales,2023-02-01,2023-02-15,custody,Beta\n"
)
GOOD_MILESTONES = (
    "participant_id,milestone,date,partner\n"
    "P1,training_start,2023-02-01,College\n"
    "P2,job_start,2023-03-01,Employer\n"
)
# Line 3 (the second data row; the header is line 1) has an entry date that is not a date.
BAD_PARTICIPANTS = (
    "participant_id,region,referral_date,entry_date\n"
    "P1,London,2023-01-02,2023-01-10\n"
    "P2,Wales,2023-02-01,not a date\n"
)


def _files(participants: str, milestones: str) -> dict[str, tuple[str, bytes]]:
    return {
        "participants": ("participants.csv", participants.encode()),
        "milestones": ("milestones.csv", milestones.encode()),
    }


def _count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_save_uploads_keeps_names_and_rejects_other_types(tmp_path: Path) -> None:
    paths = save_uploads(_files(GOOD_PARTICIPANTS, GOOD_MILESTONES), tmp_path)
    assert paths["participants"].name == "participants.csv"
    assert paths["milestones"].read_text() == GOOD_MILESTONES
    with pytest.raises(InputError, match="not a CSV or Excel"):
        save_uploads({"participants": ("people.pdf", b"%PDF")}, tmp_path)


def test_problems_table_has_file_line_column_message() -> None:
    table = problems_table(
        [Problem("participants.csv", 3, "entry_date", "bad date"), Problem("m.csv", None, None, "empty")]
    )
    assert list(table.columns) == ["file", "line", "column", "message"]
    assert table["line"].tolist() == [3, pd.NA]
    assert table.loc[0, "column"] == "entry_date" and pd.isna(table.loc[1, "column"])


def test_bad_file_shows_file_line_column_and_writes_nothing(engine: sa.Engine, tmp_path: Path) -> None:
    db.create_schema(engine)
    paths = save_uploads(_files(BAD_PARTICIPANTS, GOOD_MILESTONES), tmp_path)
    checked = validate_upload(paths, engine=engine, extract_date=date(2023, 8, 16))
    assert not checked.ok and checked.extract is None
    row = checked.problems.loc[checked.problems["column"] == "entry_date"].iloc[0]
    assert row["file"] == "participants.csv"
    assert row["line"] == 3
    assert "not a date" in row["message"]
    # What the page shows: the same table formatted, with the headings File/Line/Column/Message.
    shown = format_table(checked.problems, counts=("line",))
    assert list(shown.columns) == ["File", "Line", "Column", "Message"]
    assert shown.loc[checked.problems.index[checked.problems["column"] == "entry_date"][0], "Line"] == "3"
    # Confirming anyway is refused and nothing is written.
    with pytest.raises(ImportValidationError):
        confirm_import(engine, paths, imported_at=datetime(2023, 8, 17, 9, 30))
    assert _count(engine, "participants") == 0
    assert _count(engine, "milestones") == 0
    assert db.load_imports(engine).empty


def test_good_file_previews_then_imports_on_confirm(engine: sa.Engine, tmp_path: Path) -> None:
    db.create_schema(engine)
    paths = save_uploads(_files(GOOD_PARTICIPANTS, GOOD_MILESTONES), tmp_path)
    checked = validate_upload(paths, engine=engine, extract_date=date(2023, 8, 16))
    assert checked.ok and checked.problems.empty
    assert checked.extract is not None
    shown = preview(checked.extract)
    assert shown["participants"]["participant_id"].tolist() == ["P1", "P2"]
    assert shown["milestones"]["milestone"].tolist() == ["training_start", "job_start"]
    # Validation alone wrote nothing.
    assert _count(engine, "participants") == 0
    result = confirm_import(
        engine, paths, imported_at=datetime(2023, 8, 17, 9, 30), extract_date=date(2023, 8, 16)
    )
    assert (result.participants, result.milestones) == (2, 2)
    assert _count(engine, "participants") == 2
    imports = db.load_imports(engine)
    assert len(imports) == 1 and imports.loc[0, "participants_file"] == "participants.csv"


def test_milestones_may_refer_to_participants_already_in_the_database(
    engine: sa.Engine, tmp_path: Path
) -> None:
    db.create_schema(engine)
    first = save_uploads(_files(GOOD_PARTICIPANTS, GOOD_MILESTONES), tmp_path / "first")
    confirm_import(engine, first, imported_at=datetime(2023, 8, 17, 9, 30))
    # A second extract with a milestone for P2, who is only in the database.
    second = save_uploads(
        _files(
            "participant_id,region,referral_date,entry_date\nP3,London,2023-03-01,2023-03-05\n",
            "participant_id,milestone,date\nP2,job_sustained,2023-06-01\n",
        ),
        tmp_path / "second",
    )
    assert validate_upload(second, engine=engine).ok
    # Replacing everything, P2 would be unknown: rejected on the milestones file.
    replaced = validate_upload(second, engine=engine, replace_all=True)
    assert not replaced.ok
    assert replaced.problems.loc[0, "file"] == "milestones.csv"
    assert replaced.problems.loc[0, "line"] == 2


def test_data_page_shows_history_and_quality_checks(demo_data: DemoData) -> None:
    at = open_page(new_app(), PAGE)
    engine = db.make_engine(demo_data.url)
    try:
        imports = db.load_imports(engine)
    finally:
        engine.dispose()
    tables = [d.value for d in at.dataframe]
    history = next(t for t in tables if "Extract date" in t.columns)
    assert len(history) == len(imports)
    assert history.loc[0, "Extract date"] == format_table(
        imports.iloc[::-1].reset_index(drop=True), dates=("extract_date",)
    ).loc[0, "Extract date"]
    expected = format_table(
        data_quality(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff),
        counts=("count",),
    )
    quality = next(t for t in tables if "Check" in t.columns)
    pd.testing.assert_frame_equal(
        quality.reset_index(drop=True).astype(object), expected.astype(object), check_dtype=False
    )
    # No upload yet: the page asks for files and has no confirm button.
    assert not [b for b in at.button if b.key == "upload_confirm"]


def test_data_page_quality_follows_the_as_of_filter(demo_data: DemoData) -> None:
    as_of = "2022-06-30"
    at = open_page(new_app({"as_of": as_of}), PAGE)
    expected = format_table(
        data_quality(demo_data.participants, demo_data.milestones, as_of=as_of), counts=("count",)
    )
    quality = next(d.value for d in at.dataframe if "Check" in d.value.columns)
    pd.testing.assert_frame_equal(
        quality.reset_index(drop=True).astype(object), expected.astype(object), check_dtype=False
    )
