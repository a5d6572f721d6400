"""The Data page: upload validation (dashboard.uploads) and the page itself (AppTest).

The page's save/validate/preview/import steps live in :mod:`dashboard.uploads` and
are tested here with files on disk, on SQLite and PostgreSQL (the ``engine``
fixture). The page is driven with files set on its uploaders to check that a set of
files is checked once, not on every rerun.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from apptest_support import *  # noqa: F403
from apptest_support import DemoData, new_app, open_page, tables_shown
from streamlit.testing.v1 import AppTest

from dashboard.uploads import (
    check_key,
    confirm_import,
    preview,
    problems_table,
    save_uploads,
    validate_upload,
)
from ete_metrics.data import db
from ete_metrics.data.checks import RULES_BY_NAME
from ete_metrics.data.quality import data_quality
from ete_metrics.errors import ImportValidationError, InputError, Problem
from ete_metrics.present.tables import display_table

PAGE = "app_pages/7_data.py"

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
# GOOD_MILESTONES with P2's job start a month later: same name, other bytes.
OTHER_MILESTONES = GOOD_MILESTONES.replace("P2,job_start,2023-03-01", "P2,job_start,2023-04-01")
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
    shown = display_table(checked.problems, counts=("line",))
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


def _in_words(quality: pd.DataFrame) -> pd.DataFrame:
    """The checks named by their labels for people (ete_metrics.data.checks.RULES)."""
    return quality.assign(check=[RULES_BY_NAME[name].label for name in quality["check"]])


def test_data_page_shows_history_and_quality_checks(demo_data: DemoData) -> None:
    at = open_page(new_app(), PAGE)
    engine = db.make_engine(demo_data.url)
    try:
        imports = db.load_imports(engine)
    finally:
        engine.dispose()
    tables = [d.value for d in tables_shown(at)]
    history = next(t for t in tables if "Extract date" in t.columns)
    assert len(history) == len(imports)
    assert history.loc[0, "Extract date"] == display_table(
        imports.iloc[::-1].reset_index(drop=True), dates=("extract_date",)
    ).loc[0, "Extract date"]
    expected = display_table(
        _in_words(data_quality(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff)),
        counts=("count",),
    )
    quality = next(t for t in tables if "Check" in t.columns)
    pd.testing.assert_frame_equal(
        quality.reset_index(drop=True).astype(object), expected.astype(object), check_dtype=False
    )
    # the checks are named in words, the rules' labels, not their machine names
    assert quality["Check"].iloc[0] == "Milestone before entry"
    assert not quality["Check"].str.contains("_").any()
    # No upload yet: the page asks for files and has no confirm button.
    assert not [b for b in at.button if b.key == "upload_confirm"]


def test_data_page_quality_follows_the_as_of_filter(demo_data: DemoData) -> None:
    as_of = "2022-06-30"
    at = open_page(new_app({"as_of": as_of}), PAGE)
    expected = display_table(
        _in_words(data_quality(demo_data.participants, demo_data.milestones, as_of=as_of)),
        counts=("count",),
    )
    quality = next(d.value for d in tables_shown(at) if "Check" in d.value.columns)
    pd.testing.assert_frame_equal(
        quality.reset_index(drop=True).astype(object), expected.astype(object), check_dtype=False
    )


def test_check_key_changes_with_each_input_only() -> None:
    files = _files(GOOD_PARTICIPANTS, GOOD_MILESTONES)
    version = ("sqlite:///x.db", None, 4, 4, 100, 300)
    base = check_key(files, replace_all=False, extract_date=date(2023, 8, 16), data_version=version)
    # The same inputs (a new dict, other insertion order, the bytes copied): the same key.
    again = dict(reversed(list(_files(GOOD_PARTICIPANTS, GOOD_MILESTONES).items())))
    assert check_key(again, replace_all=False, extract_date=date(2023, 8, 16),
                     data_version=version) == base
    changed = [
        check_key(_files(GOOD_PARTICIPANTS, OTHER_MILESTONES), replace_all=False,
                  extract_date=date(2023, 8, 16), data_version=version),
        check_key({**files, "milestones": ("other.csv", GOOD_MILESTONES.encode())},
                  replace_all=False, extract_date=date(2023, 8, 16), data_version=version),
        check_key({**files, "targets": ("targets.csv", b"x")}, replace_all=False,
                  extract_date=date(2023, 8, 16), data_version=version),
        check_key(files, replace_all=True, extract_date=date(2023, 8, 16), data_version=version),
        check_key(files, replace_all=False, extract_date=date(2023, 8, 17), data_version=version),
        check_key(files, replace_all=False, extract_date=date(2023, 8, 16),
                  data_version=("sqlite:///x.db", None, 5, 5, 102, 303)),
        # The same bytes in the other role's place.
        check_key({"participants": files["milestones"], "milestones": files["participants"]},
                  replace_all=False, extract_date=date(2023, 8, 16), data_version=version),
    ]
    assert len({base, *changed}) == 1 + len(changed)
    # A name and contents that run together the same way ("a.csv" + "bc" vs "a.csvb" + "c").
    one = check_key({"participants": ("a.csv", b"bc")}, replace_all=False, extract_date=None,
                    data_version=())
    two = check_key({"participants": ("a.csvb", b"c")}, replace_all=False, extract_date=None,
                    data_version=())
    assert one[0] != two[0]
    assert len(one[0]) == 64  # a SHA-256 hex digest, not the bytes


# --- The page checks a set of files once (AppTest, files set on the uploaders) ---------------

PASSED = "The extract passed the checks: 2 participants, 2 milestones."


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Count the page's calls of ``validate_upload`` (the page imports it at each run)."""
    import dashboard.uploads

    calls: list[dict[str, object]] = []
    real = dashboard.uploads.validate_upload

    def counting(paths, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(dict(kwargs))
        return real(paths, **kwargs)

    monkeypatch.setattr(dashboard.uploads, "validate_upload", counting)
    return calls


def _choose(at: AppTest, role: str, name: str, text: str) -> None:
    round_ = at.session_state["data_upload_round"]
    at.file_uploader(key=f"upload_{role}_{round_}").set_value((name, text.encode(), "text/csv"))


def _rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _messages(at: AppTest) -> tuple[list[str], list[str]]:
    return [s.value for s in at.success], [e.value for e in at.error]


def test_data_page_checks_the_same_files_once(demo_data: DemoData, validations: list) -> None:
    at = open_page(new_app(), PAGE)
    assert validations == []
    _choose(at, "participants", "participants.csv", GOOD_PARTICIPANTS)
    _choose(at, "milestones", "milestones.csv", GOOD_MILESTONES)
    _rerun(at)
    assert len(validations) == 1  # the patched function is the one the page calls
    assert PASSED in _messages(at)[0]
    first_previews = [d.value for d in tables_shown(at)]
    # A plain rerun, a sidebar filter change: nothing about the files changed.
    _rerun(at)
    next(m for m in at.sidebar.multiselect if m.label == "Regions").set_value(["Wales"])
    _rerun(at)
    assert len(validations) == 1
    assert PASSED in _messages(at)[0]
    assert at.button(key="upload_confirm").label == "Import this extract"
    # The previews (the first tables on the page) are the same.
    for before, after in zip(first_previews[:2], [d.value for d in tables_shown(at)][:2], strict=True):
        pd.testing.assert_frame_equal(before, after)

    # A rejected extract is kept too: same message and problems on a rerun, no new check.
    _choose(at, "participants", "participants.csv", BAD_PARTICIPANTS)
    _rerun(at)
    assert len(validations) == 2
    rejected = [e for e in _messages(at)[1] if e.startswith("The extract was rejected")]
    assert len(rejected) == 1
    problems = next(d.value for d in tables_shown(at) if "Message" in d.value.columns)
    line3 = problems[(problems["Column"] == "entry_date") & (problems["Line"] == "3")]
    assert line3["File"].tolist() == ["participants.csv"]
    _rerun(at)
    assert len(validations) == 2
    assert [e for e in _messages(at)[1] if e.startswith("The extract was rejected")] == rejected
    pd.testing.assert_frame_equal(
        next(d.value for d in tables_shown(at) if "Message" in d.value.columns), problems
    )
    assert not [b for b in at.button if b.key == "upload_confirm"]


def test_data_page_checks_again_when_a_file_or_an_option_changes(
    demo_data: DemoData, validations: list
) -> None:
    at = open_page(new_app(), PAGE)
    _choose(at, "participants", "participants.csv", GOOD_PARTICIPANTS)
    _choose(at, "milestones", "milestones.csv", GOOD_MILESTONES)
    _rerun(at)
    _rerun(at)
    assert len(validations) == 1
    # Another milestones file (same name, other contents): checked again, then kept.
    _choose(at, "milestones", "milestones.csv", OTHER_MILESTONES)
    _rerun(at)
    assert len(validations) == 2
    _rerun(at)
    assert len(validations) == 2
    milestones_preview = next(d.value for d in tables_shown(at) if "Milestone" in d.value.columns)
    shown = milestones_preview.to_numpy().ravel().tolist()
    assert "1 Apr 2023" in shown and "1 Mar 2023" not in shown  # the new file's date, not the old
    # The same bytes under another name: checked again (messages name the file).
    _choose(at, "milestones", "milestones_v2.csv", OTHER_MILESTONES)
    _rerun(at)
    assert len(validations) == 3
    # "Replace all data" ticked: checked again, without the stored participants.
    at.checkbox(key="upload_replace_all").check()
    _rerun(at)
    assert len(validations) == 4
    assert validations[-1]["replace_all"] is True
    assert at.button(key="upload_confirm").label == "Replace all data with this extract"
    _rerun(at)
    assert len(validations) == 4
    # Another extract date: checked again.
    at.date_input(key="upload_extract_date").set_value(date(2023, 8, 16))
    _rerun(at)
    assert len(validations) == 5
    assert validations[-1]["extract_date"] == date(2023, 8, 16)
    assert PASSED in _messages(at)[0]
    # Unticked again: the first check with these options is not reused from long ago either.
    at.checkbox(key="upload_replace_all").uncheck()
    _rerun(at)
    assert len(validations) == 6
    assert validations[-1]["replace_all"] is False
    # A file removed: no check, and choosing it again checks it again.
    round_ = at.session_state["data_upload_round"]
    at.file_uploader(key=f"upload_milestones_{round_}").set_value(None)
    _rerun(at)
    assert len(validations) == 6
    assert "data_upload_check" not in at.session_state
    _choose(at, "milestones", "milestones_v2.csv", OTHER_MILESTONES)
    _rerun(at)
    assert len(validations) == 7


@pytest.fixture
def small_db(demo_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database of its own (the demo one is shared): H1 and H2, imported once."""
    url = f"sqlite:///{tmp_path / 'small.db'}"
    participants = tmp_path / "participants.csv"
    participants.write_text(
        "participant_id,region,referral_date,entry_date\n"
        "H1,London,2023-01-02,2023-01-10\nH2,Wales,2023-02-01,2023-02-15\n"
    )
    milestones = tmp_path / "milestones.csv"
    milestones.write_text("participant_id,milestone,date\nH1,job_start,2023-03-01\n")
    engine = db.make_engine(url)
    try:
        confirm_import(engine, save_uploads(
            {"participants": ("participants.csv", participants.read_bytes()),
             "milestones": ("milestones.csv", milestones.read_bytes())},
            tmp_path / "first",
        ), imported_at=datetime(2023, 8, 17, 9, 0), extract_date=date(2023, 8, 16))
    finally:
        engine.dispose()
    monkeypatch.setenv("ETE_DATABASE_URL", url)
    return url


def test_data_page_checks_again_after_an_import_lands(
    small_db: str, tmp_path: Path, validations: list
) -> None:
    at = open_page(new_app(), PAGE)
    # N1 is new; H9 is in neither the file nor the database yet: line 3 is rejected.
    _choose(at, "participants", "new.csv",
            "participant_id,region,referral_date,entry_date\nN1,London,2023-05-01,2023-05-10\n")
    _choose(at, "milestones", "new_milestones.csv",
            "participant_id,milestone,date\nN1,training_start,2023-06-01\nH9,job_start,2023-07-01\n")
    _rerun(at)
    _rerun(at)
    assert len(validations) == 1
    assert any(e.startswith("The extract was rejected") for e in _messages(at)[1])
    problems = next(d.value for d in tables_shown(at) if "Message" in d.value.columns)
    assert ("new_milestones.csv", "3") in set(zip(problems["File"], problems["Line"], strict=True))

    # Someone else imports H9 (another session, the command line): the data version changes.
    engine = db.make_engine(small_db)
    try:
        confirm_import(engine, save_uploads(
            {"participants": ("h9.csv", b"participant_id,region,referral_date,entry_date\n"
                                        b"H9,Wales,2023-06-01,2023-06-05\n"),
             "milestones": ("h9_milestones.csv", b"participant_id,milestone,date\n")},
            tmp_path / "second",
        ), imported_at=datetime(2023, 8, 18, 9, 0), extract_date=date(2023, 8, 18))
    finally:
        engine.dispose()
    _rerun(at)
    assert len(validations) == 2
    assert "The extract passed the checks: 1 participant, 2 milestones." in _messages(at)[0]
    _rerun(at)
    assert len(validations) == 2

    # Confirmed here: the stored check is dropped with the uploaders of the old round.
    at.button(key="upload_confirm").click()
    _rerun(at)
    assert any(s.startswith("Import 3 done: 1 participant and 2 milestones written, ") for s in _messages(at)[0])
    assert "data_upload_check" not in at.session_state
    assert len(validations) == 2  # the confirm re-validates inside confirm_import only


def test_data_page_shows_the_check_and_the_import_step_by_step(
    small_db: str, validations: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dashboard.uploads

    steps: list[str] = []
    real_confirm = dashboard.uploads.confirm_import

    def confirm_watched(engine, paths, *, progress, **kwargs):  # type: ignore[no-untyped-def]
        def told(step: str, fraction: float) -> None:
            steps.append(step)
            progress(step, fraction)

        return real_confirm(engine, paths, progress=told, **kwargs)

    monkeypatch.setattr(dashboard.uploads, "confirm_import", confirm_watched)
    at = open_page(new_app(), PAGE)
    _choose(at, "participants", "new.csv",
            "participant_id,region,referral_date,entry_date\nN1,London,2023-05-01,2023-05-10\n")
    _choose(at, "milestones", "new_milestones.csv", "participant_id,milestone,date\n")
    _rerun(at)
    # the check ran with a progress hook, and its status box ends saying it is done
    assert callable(validations[-1]["progress"])
    assert [(s.label, s.state) for s in at.status] == [("Checked the files", "complete")]
    at.button(key="upload_confirm").click()
    _rerun(at)
    assert any(s.startswith("Import 2 done: 1 participant") for s in _messages(at)[0])
    # the import told the page each step, reading then writing
    assert steps.index("Checking the participants") < steps.index("Writing the participants")
    assert steps[-1] == "Saved"
