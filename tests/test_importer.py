"""Tests for ete_metrics.data.importer: formats, every error and warning, and the import semantics.

Files are tiny and hand-written in ``tmp_path``. Line numbers count the header as
line 1, so the first data row is line 2.
"""

from __future__ import annotations

import hashlib
import os
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from ete_metrics import config
from ete_metrics.data import db
from ete_metrics.data.importer import import_extract, read_extract
from ete_metrics.errors import ImportValidationError, InputError
from ete_metrics.steps import ENTERED, MILESTONE_TYPES, REFERRED

WHEN = datetime(2023, 8, 16, 10, 0)

GOOD_PARTICIPANTS = """participant_id,region,referral_date,entry_date,pathway,exit_date
P1,London,2022-01-01,2022-01-05,community,
P2,Wales,2022-02-01,,,
P3,North West,2022-03-01,2022-03-04,custody,
"""
GOOD_MILESTONES = """participant_id,milestone,date,partner
P1,training_start,2022-02-01,Acme
P1,training_completed,2022-03-01,Acme
P3,job_start,2022-05-01,
"""
GOOD_TARGETS = """region,period_start,measure,target
London,2022-01-01,entered,5
Wales,2022-01-01,referred,9
"""


def write(folder: Path, name: str, text: str, *, bom: bool = False) -> Path:
    path = folder / name
    data = text.encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def files(
    folder: Path,
    participants: str = GOOD_PARTICIPANTS,
    milestones: str = GOOD_MILESTONES,
    targets: str | None = None,
) -> tuple[Path, Path, Path | None]:
    return (
        write(folder, "participants.csv", participants),
        write(folder, "milestones.csv", milestones),
        write(folder, "targets.csv", targets) if targets is not None else None,
    )


def rejected(*args: object, **kwargs: object) -> list[str]:
    """The problems of a rejected read_extract, as their messages."""
    with pytest.raises(ImportValidationError) as caught:
        read_extract(*args, **kwargs)  # type: ignore[arg-type]
    return [str(problem) for problem in caught.value.problems]


def warned(extract_warnings: list, check: str) -> list[str]:  # type: ignore[type-arg]
    return [str(w) for w in extract_warnings if w.check == check]


def iso(values: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in values]


# ---------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------


def test_good_extract_reads_into_frames(tmp_path: Path) -> None:
    extract = read_extract(*files(tmp_path, targets=GOOD_TARGETS))
    p = extract.participants
    assert p["participant_id"].tolist() == ["P1", "P2", "P3"]
    assert iso(p["entry_date"]) == ["2022-01-05", None, "2022-03-04"]
    assert p["entry_date"].dtype == "datetime64[ns]"
    assert p["pathway"].tolist() == ["community", None, "custody"]
    m = extract.milestones
    assert m["milestone"].tolist() == ["training_start", "training_completed", "job_start"]
    assert m["partner"].tolist() == ["Acme", "Acme", None]
    assert extract.targets is not None
    assert extract.targets["target"].tolist() == [5, 9]
    assert extract.warnings == []
    assert extract.files["participants"].rows == 3
    assert (
        extract.files["milestones"].sha256 == hashlib.sha256(GOOD_MILESTONES.encode()).hexdigest()
    )


def test_the_optional_caseworker_column_is_read_and_an_email_in_it_refused(tmp_path: Path) -> None:
    people = (
        "participant_id,region,referral_date,entry_date,Caseworker\n"
        "P1,London,2022-01-01,2022-01-05,cw-7f3a\n"
        "P2,Wales,2022-02-01,,\n"
    )
    extract = read_extract(*files(tmp_path, participants=people, milestones="participant_id,milestone,date\n"))
    assert extract.participants["caseworker"].tolist() == ["cw-7f3a", None]
    assert extract.warnings == []  # a known column: no "unknown column" warning
    # An email is not a pseudonym: refused, and the message does not repeat it.
    people = people.replace("cw-7f3a", "jo.bloggs@provider.example")
    problems = rejected(
        *files(tmp_path, participants=people, milestones="participant_id,milestone,date\n")
    )
    assert problems == [
        "participants.csv line 2, column caseworker: caseworker looks like an email address; "
        "give the caseworker's pseudonym, never a name or an email (a mapping with caseworker "
        "pseudonymises it)"
    ]


def test_bom_headers_in_any_case_and_spacing_uk_dates_and_region_spelling(tmp_path: Path) -> None:
    participants = write(
        tmp_path,
        "participants.csv",
        "Participant ID, REGION ,Referral Date,Entry-Date\n"
        "P1,north west,05/01/2022,2022-01-10\n"
        "P2,  LONDON ,,31/01/2022\n",
        bom=True,
    )
    milestones = write(
        tmp_path,
        "milestones.csv",
        "Participant Id,Milestone,Date\nP1,Job Start,01/03/2022\n",
        bom=True,
    )
    extract = read_extract(participants, milestones)
    p = extract.participants
    assert p["region"].tolist() == [
        "North West",
        "London",
    ]  # canonical spelling from config.regions()
    assert iso(p["referral_date"]) == ["2022-01-05", None]  # 05/01/2022 is 5 January (UK order)
    assert iso(p["entry_date"]) == ["2022-01-10", "2022-01-31"]
    assert extract.milestones["milestone"].tolist() == ["job_start"]
    assert iso(extract.milestones["date"]) == ["2022-03-01"]
    assert extract.warnings == []


def test_excel_input_with_real_date_cells(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Participant ID", "Region", "Referral Date", "Entry Date", "Exit Date"])
    sheet.append(
        ["X1", "wales", datetime(2022, 1, 3), datetime(2022, 1, 10), None]
    )  # real date cells
    sheet.append(["X2", "London", "04/02/2022", None, None])  # a UK date typed as text
    sheet.append([1003, "London", date(2022, 2, 5), "2022-02-07", None])  # a numeric id
    participants = tmp_path / "participants.xlsx"
    book.save(participants)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["participant_id", "milestone", "date"])
    sheet.append(["X1", "training_start", datetime(2022, 2, 1)])
    milestones = tmp_path / "milestones.xlsx"
    book.save(milestones)

    extract = read_extract(participants, milestones)
    p = extract.participants
    assert p["participant_id"].tolist() == ["X1", "X2", "1003"]
    assert p["region"].tolist() == ["Wales", "London", "London"]
    assert iso(p["referral_date"]) == ["2022-01-03", "2022-02-04", "2022-02-05"]
    assert iso(p["entry_date"]) == ["2022-01-10", None, "2022-02-07"]
    assert iso(extract.milestones["date"]) == ["2022-02-01"]


def test_excel_errors_name_the_sheet_line(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["participant_id", "region", "referral_date", "entry_date"])
    sheet.append(["X1", "Wales", datetime(2022, 1, 3), None])
    sheet.append(["X2", "Atlantis", datetime(2022, 1, 3), None])  # row 3 of the sheet
    participants = tmp_path / "participants.xlsx"
    book.save(participants)
    milestones = write(tmp_path, "milestones.csv", "participant_id,milestone,date\n")
    assert rejected(participants, milestones) == [
        "participants.xlsx line 3, column region: unknown region 'Atlantis' "
        "(expected one of: London, North West, West Midlands, Wales)"
    ]


def test_unknown_columns_are_ignored_with_a_warning(tmp_path: Path) -> None:
    participants = GOOD_PARTICIPANTS.replace("exit_date\n", "exit_date,Shoe Size\n", 1)
    participants = participants.replace("community,\n", "community,,42\n")
    extract = read_extract(*files(tmp_path, participants=participants))
    assert "shoe_size" not in extract.participants.columns
    assert [(w.file, w.line, w.column, w.check) for w in extract.warnings] == [
        ("participants.csv", 1, "Shoe Size", "unknown_column")
    ]


def test_blank_lines_do_not_shift_line_numbers(tmp_path: Path) -> None:
    # line 1 header, line 2 P1, line 3 blank, line 4 P2 with an unknown region
    participants = "participant_id,region,referral_date,entry_date\nP1,Wales,2022-01-01,\n\nP2,Mars,2022-01-01,\n"
    assert rejected(
        *files(tmp_path, participants=participants, milestones="participant_id,milestone,date\n")
    ) == [
        "participants.csv line 4, column region: unknown region 'Mars' "
        "(expected one of: London, North West, West Midlands, Wales)"
    ]


# ---------------------------------------------------------------------------
# Errors: each rejects the whole extract, naming file, line and column
# ---------------------------------------------------------------------------


def test_missing_required_column(tmp_path: Path) -> None:
    participants = "participant_id,region,referral_date\nP1,Wales,2022-01-01\n"
    milestones = "participant_id,date\nP1,2022-02-01\n"
    assert rejected(*files(tmp_path, participants=participants, milestones=milestones)) == [
        "participants.csv line 1, column entry_date: the required column entry_date is missing "
        "(columns found: participant_id, region, referral_date)",
        "milestones.csv line 1, column milestone: the required column milestone is missing "
        "(columns found: participant_id, date)",
    ]


def test_missing_participant_id(tmp_path: Path) -> None:
    participants = "participant_id,region,referral_date,entry_date\nP1,Wales,2022-01-01,\n ,Wales,2022-01-01,\n"
    milestones = "participant_id,milestone,date\n,job_start,2022-02-01\n"
    assert rejected(*files(tmp_path, participants=participants, milestones=milestones)) == [
        "participants.csv line 3, column participant_id: participant_id is blank; every row needs one",
        "milestones.csv line 2, column participant_id: participant_id is blank; every milestone needs one",
    ]


def test_participant_needs_entry_or_referral_date(tmp_path: Path) -> None:
    participants = (
        "participant_id,region,referral_date,entry_date\n"
        "P1,Wales,2022-01-01,\n"  # line 2: referral only - fine (never started)
        "P2,Wales,,2022-01-01\n"  # line 3: entry only - fine
        "P3,Wales,,\n"  # line 4: neither
    )
    problems = rejected(
        *files(tmp_path, participants=participants, milestones="participant_id,milestone,date\n")
    )
    assert problems == [
        "participants.csv line 4, column entry_date: a participant needs an entry_date or a referral_date"
    ]


@pytest.mark.parametrize(
    "bad", ["31/02/2023", "2023-02-30", "2023-13-01", "yesterday", "2023/01/05"]
)
def test_date_that_is_not_a_real_date(tmp_path: Path, bad: str) -> None:
    participants = f"participant_id,region,referral_date,entry_date\nP1,Wales,2022-01-01,{bad}\n"
    assert rejected(
        *files(tmp_path, participants=participants, milestones="participant_id,milestone,date\n")
    ) == [
        f"participants.csv line 2, column entry_date: '{bad}' is not a real date (use YYYY-MM-DD or DD/MM/YYYY)"
    ]


def test_bad_milestone_date(tmp_path: Path) -> None:
    milestones = "participant_id,milestone,date\nP1,job_start,29/02/2022\nP1,job_start,\n"
    assert rejected(*files(tmp_path, milestones=milestones)) == [
        "milestones.csv line 2, column date: '29/02/2022' is not a real date (use YYYY-MM-DD or DD/MM/YYYY)",
        "milestones.csv line 3, column date: a milestone needs a date",
    ]


def test_unknown_region(tmp_path: Path) -> None:
    participants = (
        "participant_id,region,referral_date,entry_date\nP1,Londn,2022-01-01,\nP2,,2022-01-01,\n"
    )
    assert rejected(
        *files(tmp_path, participants=participants, milestones="participant_id,milestone,date\n")
    ) == [
        "participants.csv line 2, column region: unknown region 'Londn' "
        "(expected one of: London, North West, West Midlands, Wales)",
        "participants.csv line 3, column region: region is blank; every participant needs a region",
    ]


def test_unknown_milestone(tmp_path: Path) -> None:
    milestones = "participant_id,milestone,date\nP1,job_interview,2022-02-01\n"
    assert rejected(*files(tmp_path, milestones=milestones)) == [
        "milestones.csv line 2, column milestone: unknown milestone 'job_interview' "
        f"(expected one of: {', '.join(MILESTONE_TYPES)})"  # the vocabulary's, in its order
    ]


def test_duplicate_participant_names_both_lines(tmp_path: Path) -> None:
    participants = GOOD_PARTICIPANTS + "P1,Wales,2022-05-01,,,\n"  # line 5 repeats line 2
    assert rejected(*files(tmp_path, participants=participants)) == [
        "participants.csv line 5, column participant_id: participant_id P1 appears twice (lines 2 and 5); "
        "keep one row per participant"
    ]


def test_milestone_of_unknown_participant(tmp_path: Path) -> None:
    milestones = GOOD_MILESTONES + "P9,job_start,2022-05-01,\n"  # line 5
    paths = files(tmp_path, milestones=milestones)
    assert rejected(*paths) == [
        "milestones.csv line 5, column participant_id: participant P9 is in neither the participants file "
        "nor the database; add them to the participants file"
    ]
    # Known to the database: accepted.
    extract = read_extract(*paths, known_participant_ids=frozenset({"P9"}))
    assert "P9" in extract.milestones["participant_id"].tolist()


def test_target_errors(tmp_path: Path) -> None:
    targets = (
        "region,period_start,measure,target\n"
        "Wales,2022-01-15,entered,5\n"  # line 2: not a month start
        "Wales,2022-02-01,outcomes,5\n"  # line 3: unknown measure
        "Wales,2022-02-01,entered,-1\n"  # line 4: negative
        "wales,2022-03-01,entered,2\n"  # line 5
        "Wales,01/03/2022,Entered,3\n"  # line 6: same key as line 5
    )
    assert rejected(*files(tmp_path, targets=targets)) == [
        "targets.csv line 2, column period_start: period_start 2022-01-15 is not the first day of a month",
        "targets.csv line 3, column measure: unknown measure 'outcomes' (expected one of: referred, entered, "
        "training, work)",
        "targets.csv line 4, column target: target '-1' is not a whole number of 0 or more",
        "targets.csv line 6, column period_start: a target for Wales, 2022-03-01, entered is given more than once; "
        "keep one row per region, month and measure",
    ]


def test_empty_binary_and_unreadable_files(tmp_path: Path) -> None:
    empty = write(tmp_path, "participants.csv", "")
    binary = tmp_path / "milestones.csv"
    binary.write_bytes(os.urandom(2048) + b"\x00\x01\x02")
    not_a_zip = write(tmp_path, "targets.xlsx", "region,period_start,measure,target\n")
    assert rejected(empty, binary, not_a_zip) == [
        "participants.csv: is empty; it needs a header row and data rows",
        "milestones.csv: is a binary file, not CSV text; export the data as CSV (UTF-8)",
        "targets.xlsx: is not a valid .xlsx workbook (the file is not a zip archive); "
        "re-save it from Excel as .xlsx or export CSV",
    ]


def test_missing_file_and_wrong_encoding(tmp_path: Path) -> None:
    latin1 = tmp_path / "participants.csv"
    latin1.write_bytes(
        "participant_id,region,referral_date,entry_date\nP1,Wales,2022-01-01,\nCafé,x,y,z\n".encode(
            "latin-1"
        )
    )
    problems = rejected(latin1, tmp_path / "nowhere.csv")
    assert problems[0].startswith("participants.csv: is not UTF-8 text (invalid byte at position ")
    assert problems[0].endswith("); save it as 'CSV UTF-8'")
    assert (
        problems[1] == f"nowhere.csv: the milestones file {tmp_path / 'nowhere.csv'} does not exist"
    )


def test_header_only_files_are_valid_and_empty(tmp_path: Path) -> None:
    extract = read_extract(
        *files(
            tmp_path,
            participants="participant_id,region,referral_date,entry_date\n",
            milestones="participant_id,milestone,date\n",
        )
    )
    assert extract.participants.empty and extract.milestones.empty


def test_all_problems_are_reported_but_twenty_shown(tmp_path: Path) -> None:
    # 25 rows with a blank participant_id: 25 problems, the message lists 20 and the total
    participants = "participant_id,region,referral_date,entry_date\n" + ",Wales,2022-01-01,\n" * 25
    with pytest.raises(ImportValidationError) as caught:
        read_extract(
            *files(
                tmp_path, participants=participants, milestones="participant_id,milestone,date\n"
            )
        )
    assert len(caught.value.problems) == 25
    message = str(caught.value)
    assert message.startswith("The import was rejected: 25 problems found; nothing was changed.")
    assert (
        "participants.csv line 21, column participant_id" in message
    )  # 20th problem (lines 2..21)
    assert "participants.csv line 22," not in message
    assert message.endswith("... and 5 more (25 in total).")


# ---------------------------------------------------------------------------
# Warnings: the import proceeds
# ---------------------------------------------------------------------------


def test_warnings_name_file_line_and_column(tmp_path: Path) -> None:
    participants = (
        "participant_id,region,referral_date,entry_date,exit_date\n"
        "P1,Wales,2022-01-10,2022-01-05,\n"  # line 2: referral after entry
        "P2,Wales,2022-01-01,2022-01-05,2022-01-02\n"  # line 3: exit before entry
        "P3,Wales,2022-01-01,2022-01-05,\n"  # line 4
        "P4,Wales,2022-01-01,2023-09-01,\n"  # line 5: entry after the extract date 2023-08-16
        "P5,Wales,2022-01-01,,\n"  # line 6: never started
    )
    milestones = (
        "participant_id,milestone,date\n"
        "P3,training_start,2022-01-01\n"  # line 2: before P3's entry on 2022-01-05
        "P3,job_sustained,2022-06-01\n"  # line 3: no job_start for P3
        "P1,training_completed,2022-03-01\n"  # line 4: no training_start for P1
        "P2,job_start,2023-08-17\n"  # line 5: after the extract date
        "P5,training_start,2022-02-01\n"  # line 6: P5 has no entry_date
    )
    extract = read_extract(
        *files(tmp_path, participants=participants, milestones=milestones),
        extract_date=date(2023, 8, 16),
    )
    assert [str(w) for w in extract.warnings] == [
        "participants.csv line 2, column referral_date: referral_date 2022-01-10 is after entry_date 2022-01-05",
        "participants.csv line 3, column exit_date: exit_date 2022-01-02 is before entry_date 2022-01-05",
        "participants.csv line 5, column entry_date: entry_date 2023-09-01 is after the extract date 2023-08-16",
        "milestones.csv line 2, column date: training_start on 2022-01-01 is before the participant's "
        "entry_date 2022-01-05",
        "milestones.csv line 3, column milestone: job_sustained without a job_start for this participant",
        "milestones.csv line 4, column milestone: training_completed without a training_start for this participant",
        "milestones.csv line 5, column date: job_start date 2023-08-17 is after the extract date 2023-08-16",
        "milestones.csv line 6, column date: training_start for a participant with no entry_date "
        "(a referral that never started)",
    ]
    assert [w.participant_id for w in extract.warnings] == [
        "P1",
        "P2",
        "P4",
        "P3",
        "P3",
        "P1",
        "P2",
        "P5",
    ]
    assert [w.check for w in extract.warnings] == [
        "referral_after_entry",
        "exit_before_entry",
        "date_after_extract",
        "milestone_before_entry",
        "sustained_without_start",
        "completed_without_start",
        "date_after_extract",
        "milestone_without_entry",
    ]


def test_no_extract_date_means_no_future_date_check(tmp_path: Path) -> None:
    participants = (
        "participant_id,region,referral_date,entry_date\nP1,Wales,2099-01-01,2099-01-02\n"
    )
    extract = read_extract(
        *files(tmp_path, participants=participants, milestones="participant_id,milestone,date\n")
    )
    assert extract.warnings == []
    extract = read_extract(
        *files(tmp_path, participants=participants, milestones="participant_id,milestone,date\n"),
        extract_date=date(2023, 1, 1),
    )
    # referral 2099-01-01 and entry 2099-01-02 are both after 2023-01-01
    assert [(w.line, w.column) for w in extract.warnings] == [
        (2, "referral_date"),
        (2, "entry_date"),
    ]


def test_start_in_database_is_not_seen_but_start_in_extract_is(tmp_path: Path) -> None:
    # job_start and job_sustained both in the extract (out of order in the file): no warning
    milestones = (
        "participant_id,milestone,date\nP1,job_sustained,2022-09-01\nP1,job_start,2022-03-01\n"
    )
    extract = read_extract(*files(tmp_path, milestones=milestones))
    assert extract.warnings == []


# ---------------------------------------------------------------------------
# import_extract: the database side (SQLite and PostgreSQL)
# ---------------------------------------------------------------------------


def snapshot(engine: sa.Engine) -> tuple[list[dict], list[dict], list[dict]]:  # type: ignore[type-arg]
    def rows(frame: pd.DataFrame) -> list[dict]:  # type: ignore[type-arg]
        return frame.astype(object).where(frame.notna(), None).to_dict("records")

    return (
        rows(db.load_participants(engine)),
        rows(db.load_milestones(engine)),
        rows(db.load_targets(engine)),
    )


def test_import_round_trip(engine: sa.Engine, tmp_path: Path) -> None:
    p, m, t = files(tmp_path, targets=GOOD_TARGETS)
    result = import_extract(engine, p, m, t, imported_at=WHEN)
    assert (result.participants, result.milestones, result.targets) == (3, 3, 2)
    assert result.extract_date == date(2023, 8, 16)  # default: the import day
    participants, milestones, targets = snapshot(engine)
    assert [r["participant_id"] for r in participants] == ["P1", "P2", "P3"]
    assert [(r["participant_id"], r["milestone"]) for r in milestones] == [
        ("P1", "training_start"),
        ("P1", "training_completed"),
        ("P3", "job_start"),
    ]
    assert [(r["region"], r["measure"], r["target"]) for r in targets] == [
        ("London", ENTERED.name, 5),
        ("Wales", REFERRED.name, 9),
    ]

    imports = db.load_imports(engine)
    row = imports.iloc[0]
    assert row["id"] == result.import_id
    assert row["participants_file"] == "participants.csv"
    assert row["participants_sha256"] == hashlib.sha256(p.read_bytes()).hexdigest()
    assert row["targets_sha256"] == hashlib.sha256(GOOD_TARGETS.encode()).hexdigest()
    assert (row["participants_rows"], row["milestones_rows"], row["targets_rows"]) == (3, 3, 2)
    assert row["extract_date"] == pd.Timestamp("2023-08-16")
    assert row["imported_at"] == pd.Timestamp(WHEN)


def test_import_stores_warnings(engine: sa.Engine, tmp_path: Path) -> None:
    milestones = (
        GOOD_MILESTONES + "P3,job_sustained,2023-09-01,\n"
    )  # line 5: after the extract date
    p, m, _ = files(tmp_path, milestones=milestones)
    result = import_extract(engine, p, m, imported_at=WHEN)
    assert result.warnings_by_check() == {"date_after_extract": 1}
    stored = db.load_import_warnings(engine)
    assert stored[
        ["import_id", "file", "line", "column", "check", "participant_id"]
    ].values.tolist() == [
        [result.import_id, "milestones.csv", 5, "date", "date_after_extract", "P3"]
    ]
    assert db.load_imports(engine)["warnings_count"].tolist() == [1]


def test_explicit_extract_date(engine: sa.Engine, tmp_path: Path) -> None:
    p, m, _ = files(tmp_path)
    # the latest date in the files is 2022-05-01; an extract taken 2022-04-30 is "before" it
    result = import_extract(engine, p, m, imported_at=WHEN, extract_date=date(2022, 4, 30))
    assert result.extract_date == date(2022, 4, 30)
    assert [(w.file, w.line) for w in result.warnings] == [("milestones.csv", 4)]


def test_reimporting_the_same_files_changes_nothing(engine: sa.Engine, tmp_path: Path) -> None:
    p, m, t = files(tmp_path, targets=GOOD_TARGETS)
    import_extract(engine, p, m, t, imported_at=WHEN)
    before = snapshot(engine)
    import_extract(engine, p, m, t, imported_at=WHEN)
    assert snapshot(engine) == before


def test_partial_update_then_replace_all(engine: sa.Engine, tmp_path: Path) -> None:
    p, m, _ = files(tmp_path)
    import_extract(engine, p, m, imported_at=WHEN)
    update = tmp_path / "update"
    update.mkdir()
    # P1 moves region and gets a new milestone list; P4 is new; P3 gets a milestone without
    # being in the participants file (it is in the database).
    p2, m2, _ = files(
        update,
        participants="participant_id,region,referral_date,entry_date\nP1,Wales,2022-01-01,2022-01-05\n"
        "P4,London,2022-06-01,\n",
        milestones="participant_id,milestone,date\nP1,job_start,2022-07-01\nP3,job_sustained,2022-11-01\n",
    )
    import_extract(engine, p2, m2, imported_at=WHEN)
    participants, milestones, _ = snapshot(engine)
    assert [(r["participant_id"], r["region"]) for r in participants] == [
        ("P1", "Wales"),
        ("P2", "Wales"),
        ("P3", "North West"),
        ("P4", "London"),
    ]
    assert [(r["participant_id"], r["milestone"]) for r in milestones] == [
        ("P1", "job_start"),
        ("P3", "job_sustained"),
    ]

    # --replace-all: the same update is now the whole database; P3's milestone needs P3 in the file
    with pytest.raises(ImportValidationError, match="participant P3 is in neither"):
        import_extract(engine, p2, m2, imported_at=WHEN, replace_all=True)
    m3 = write(update, "milestones.csv", "participant_id,milestone,date\nP1,job_start,2022-07-01\n")
    import_extract(engine, p2, m3, imported_at=WHEN, replace_all=True)
    participants, milestones, _ = snapshot(engine)
    assert [r["participant_id"] for r in participants] == ["P1", "P4"]
    assert [(r["participant_id"], r["milestone"]) for r in milestones] == [("P1", "job_start")]
    assert db.load_imports(engine)["replace_all"].tolist() == [False, False, True]


def test_milestones_of_stored_participants_are_checked_against_their_stored_entry(
    engine: sa.Engine, tmp_path: Path
) -> None:
    # Stored by the first import: P1 entered 2022-01-05, P2 never started, P3 entered 2022-03-04.
    p, m, _ = files(tmp_path)
    import_extract(engine, p, m, imported_at=WHEN)
    update = tmp_path / "update"
    update.mkdir()
    # P1 is in the update with a new entry date (2022-08-01), which wins over the stored one;
    # P2 and P3 are only in the milestones file, so their stored entry dates apply.
    p2, m2, _ = files(
        update,
        participants="participant_id,region,referral_date,entry_date\nP1,London,2022-01-01,2022-08-01\n",
        milestones="participant_id,milestone,date\n"
        "P1,job_start,2022-07-01\n"  # line 2: before P1's new entry date 2022-08-01
        "P2,training_start,2022-05-01\n"  # line 3: P2 never started
        "P3,job_start,2022-02-01\n"  # line 4: before P3's stored entry date 2022-03-04
        "P3,job_sustained,2022-09-01\n",  # line 5: after it, no warning
    )
    result = import_extract(engine, p2, m2, imported_at=WHEN, extract_date=date(2022, 12, 31))
    assert [(w.file, w.line, w.column, w.check, w.participant_id) for w in result.warnings] == [
        ("milestones.csv", 2, "date", "milestone_before_entry", "P1"),
        ("milestones.csv", 3, "date", "milestone_without_entry", "P2"),
        ("milestones.csv", 4, "date", "milestone_before_entry", "P3"),
    ]
    assert "2022-03-04" in result.warnings[2].message or "04/03/2022" in result.warnings[2].message
    # ... and they are stored with the import, as the first import's warnings are.
    stored = db.load_import_warnings(engine)
    latest = stored.loc[stored["import_id"] == result.import_id]
    assert sorted(zip(latest["line"], latest["check"], strict=True)) == [
        (2, "milestone_before_entry"),
        (3, "milestone_without_entry"),
        (4, "milestone_before_entry"),
    ]


def test_read_extract_uses_known_entry_dates_for_milestones_only(tmp_path: Path) -> None:
    p, m, _ = files(
        tmp_path,
        participants="participant_id,region,referral_date,entry_date\nP1,London,2022-01-01,2022-01-05\n",
        milestones="participant_id,milestone,date\nP1,job_start,2022-02-01\nS1,job_start,2022-02-01\n",
    )
    stored = pd.Series(
        pd.to_datetime(["2022-03-01"]), index=pd.Index(["S1"], name="participant_id"), name="entry_date"
    )
    extract = read_extract(p, m, known_entry_dates=stored)
    # S1 is known only through the stored entry dates; its job start precedes its entry.
    assert [(w.line, w.check, w.participant_id) for w in extract.warnings] == [
        (3, "milestone_before_entry", "S1")
    ]
    # Without them S1 is unknown: rejected, as before.
    with pytest.raises(ImportValidationError, match="participant S1 is in neither"):
        read_extract(p, m)


def test_rejected_import_changes_nothing(engine: sa.Engine, tmp_path: Path) -> None:
    p, m, _ = files(tmp_path)
    import_extract(engine, p, m, imported_at=WHEN)
    before = snapshot(engine)
    bad = tmp_path / "bad"
    bad.mkdir()
    p2, m2, _ = files(bad, participants=GOOD_PARTICIPANTS + "P9,Atlantis,2022-01-01,,,\n")
    with pytest.raises(ImportValidationError):
        import_extract(engine, p2, m2, imported_at=WHEN, replace_all=True)
    assert snapshot(engine) == before
    assert len(db.load_imports(engine)) == 1


def test_failure_midway_rolls_everything_back(
    engine: sa.Engine, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    p, m, t = files(tmp_path, targets=GOOD_TARGETS)
    import_extract(engine, p, m, t, imported_at=WHEN)
    before = snapshot(engine)

    update = tmp_path / "update"
    update.mkdir()
    p2, m2, _ = files(
        update,
        participants="participant_id,region,referral_date,entry_date\nP1,Wales,2022-01-01,2022-01-05\n"
        "P7,London,2022-06-01,\n",
        milestones="participant_id,milestone,date\nP1,job_start,2022-07-01\n",
    )
    real_insert_sql = db._insert_sql

    def fail_after_participants(connection, table, columns):  # type: ignore[no-untyped-def]
        # participants were deleted and re-inserted by now; milestones are next
        if table == "milestones":
            raise RuntimeError("simulated failure in the middle of the write")
        return real_insert_sql(connection, table, columns)

    monkeypatch.setattr(db, "_insert_sql", fail_after_participants)
    with pytest.raises(RuntimeError, match="simulated failure"):
        import_extract(engine, p2, m2, imported_at=WHEN)
    monkeypatch.undo()
    assert snapshot(engine) == before
    assert len(db.load_imports(engine)) == 1
    assert db.load_import_warnings(engine).empty


def test_ids_and_text_are_kept_as_written(tmp_path: Path) -> None:
    # Leading zeros, number-like ids and "NA"-like text are data, not numbers or missing values.
    participants = (
        "participant_id,region,referral_date,entry_date,area\n"
        "00123,Wales,2022-01-01,,NA\n"
        "1e3,Wales,2022-01-01,,null\n"
    )
    extract = read_extract(
        *files(tmp_path, participants=participants, milestones="participant_id,milestone,date\n")
    )
    assert extract.participants["participant_id"].tolist() == ["00123", "1e3"]
    assert extract.participants["area"].tolist() == ["NA", "null"]


def test_unknown_pathway_and_duplicate_column(tmp_path: Path) -> None:
    participants = (
        "participant_id,region,referral_date,entry_date,pathway\nP1,Wales,2022-01-01,,probation\n"
    )
    assert rejected(
        *files(tmp_path, participants=participants, milestones="participant_id,milestone,date\n")
    ) == [
        "participants.csv line 2, column pathway: unknown pathway 'probation' (expected community or custody, "
        "or blank)"
    ]
    participants = (
        "participant_id,region,Region,referral_date,entry_date\nP1,Wales,Wales,2022-01-01,\n"
    )
    assert rejected(
        *files(tmp_path, participants=participants, milestones="participant_id,milestone,date\n")
    ) == [
        "participants.csv line 1, column region: the column 'Region' appears twice (also as 'region'); keep one"
    ]


def test_same_day_dates_are_not_warned_about(tmp_path: Path) -> None:
    # The warning comparisons are strict: referral, entry and exit on the same day; milestones on
    # the entry day and on the extract date itself; starts on the day of their completion or
    # sustained job. None of these is a defect.
    participants = (
        "participant_id,region,referral_date,entry_date,exit_date\n"
        "P1,Wales,2023-08-16,2023-08-16,2023-08-16\n"
        "P2,Wales,2023-01-05,2023-01-05,\n"
    )
    milestones = (
        "participant_id,milestone,date\n"
        "P2,training_start,2023-01-05\n"
        "P2,training_completed,2023-01-05\n"
        "P2,job_start,2023-08-16\n"
        "P2,job_sustained,2023-08-16\n"
    )
    extract = read_extract(
        *files(tmp_path, participants=participants, milestones=milestones),
        extract_date=date(2023, 8, 16),
    )
    assert extract.warnings == []


# ---------------------------------------------------------------------------
# Hostile input (issue 12)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["2999-01-01", "0001-01-01", "01/01/2999", "1677-01-01"])
def test_a_date_outside_the_years_accepted_names_the_cell(tmp_path: Path, bad: str) -> None:
    # pandas counts nanoseconds from 1970, so a typing slip for 2019 (2999) or the year 1
    # is a real calendar date it cannot hold; 1678 to 2261 are the whole years it can.
    participants = f"participant_id,region,referral_date,entry_date\nP1,Wales,{bad},\n"
    assert rejected(
        *files(tmp_path, participants=participants, milestones="participant_id,milestone,date\n")
    ) == [
        f"participants.csv line 2, column referral_date: '{bad}' is outside the dates accepted "
        "(1678 to 2261); check the year"
    ]


def test_a_date_cell_outside_the_years_accepted_in_a_workbook(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["participant_id", "milestone", "date"])
    sheet.append(["P1", "job_start", datetime(2999, 5, 1)])  # row 2 of the sheet
    sheet.append(["P1", "job_start", date(1, 1, 1)])  # row 3
    milestones = tmp_path / "milestones.xlsx"
    book.save(milestones)
    participants = write(tmp_path, "participants.csv", GOOD_PARTICIPANTS)
    assert rejected(participants, milestones) == [
        "milestones.xlsx line 2, column date: '2999-05-01' is outside the dates accepted "
        "(1678 to 2261); check the year",
        "milestones.xlsx line 3, column date: '0001-01-01' is outside the dates accepted "
        "(1678 to 2261); check the year",
    ]


def test_dates_before_the_contract_started_are_warned_about(tmp_path: Path) -> None:
    # The contract started on 2021-06-01 (config.CONTRACT_START): 1900 and 2021-05-31 are
    # before it, 2021-06-01 itself is not.
    participants = (
        "participant_id,region,referral_date,entry_date\n"
        "P1,Wales,1900-01-01,2021-06-01\n"
        "P2,Wales,2021-05-31,\n"
    )
    milestones = "participant_id,milestone,date\nP1,job_start,1900-03-02\n"
    extract = read_extract(*files(tmp_path, participants=participants, milestones=milestones))
    assert warned(extract.warnings, "date_before_contract") == [
        "participants.csv line 2, column referral_date: referral_date 1900-01-01 is before the "
        "contract started (2021-06-01); check the year",
        "participants.csv line 3, column referral_date: referral_date 2021-05-31 is before the "
        "contract started (2021-06-01); check the year",
        "milestones.csv line 2, column date: job_start date 1900-03-02 is before the contract "
        "started (2021-06-01); check the year",
    ]


def test_ids_that_only_look_the_same_are_read_as_one_and_warned_about(tmp_path: Path) -> None:
    # P1 typed five ways: with a non-breaking space inside (NFKC: a space, so "P 1"
    # like the plain "P 1" below), a zero-width space, a right-to-left mark, fullwidth
    # letters. Each is read as the plain id, so the two "P 1" rows and the "P1" rows clash.
    participants = (
        "participant_id,region,referral_date,entry_date\n"
        "P1,Wales,2022-01-01,\n"
        "P\u200b1,Wales,2022-01-01,\n"  # line 3: zero-width space
        "\u200fP1,Wales,2022-01-01,\n"  # line 4: right-to-left mark
        "\uff30\uff11,Wales,2022-01-01,\n"  # line 5: fullwidth P and 1
        "P 1,Wales,2022-01-01,\n"
        "P\u00a01,Wales,2022-01-01,\n"  # line 7: non-breaking space
    )
    problems = rejected(
        *files(tmp_path, participants=participants, milestones="participant_id,milestone,date\n")
    )
    assert problems == [
        "participants.csv line 3, column participant_id: participant_id P1 appears twice "
        "(lines 2 and 3); keep one row per participant",
        "participants.csv line 4, column participant_id: participant_id P1 appears twice "
        "(lines 2 and 4); keep one row per participant",
        "participants.csv line 5, column participant_id: participant_id P1 appears twice "
        "(lines 2 and 5); keep one row per participant",
        "participants.csv line 7, column participant_id: participant_id P 1 appears twice "
        "(lines 6 and 7); keep one row per participant",
    ]


def test_a_normalised_id_matches_its_milestones_with_a_warning(tmp_path: Path) -> None:
    participants = "participant_id,region,referral_date,entry_date\n\uff30\uff11,Wales,2022-01-01,2022-01-02\n"
    milestones = "participant_id,milestone,date\nP\u200b1,job_start,2022-03-01\n"
    extract = read_extract(*files(tmp_path, participants=participants, milestones=milestones))
    assert extract.participants["participant_id"].tolist() == ["P1"]
    assert extract.milestones["participant_id"].tolist() == ["P1"]
    assert warned(extract.warnings, "participant_id_normalised") == [
        "participants.csv line 2, column participant_id: participant_id '\uff30\uff11' was read as "
        "'P1' (fullwidth letters, non-breaking or invisible characters made plain)",
        # repr shows the invisible character as an escape, so the message makes it visible
        "milestones.csv line 2, column participant_id: participant_id 'P\\u200b1' was read as "
        "'P1' (fullwidth letters, non-breaking or invisible characters made plain)",
    ]


def test_an_id_with_a_cyrillic_letter_is_rejected(tmp_path: Path) -> None:
    # U+0420 CYRILLIC CAPITAL LETTER ER looks like a Latin P; NFKC leaves it as it is.
    participants = "participant_id,region,referral_date,entry_date\nP1,Wales,2022-01-01,\n\u04201,Wales,2022-01-01,\n"
    assert rejected(
        *files(tmp_path, participants=participants, milestones="participant_id,milestone,date\n")
    ) == [
        "participants.csv line 3, column participant_id: participant_id '\u04201' has the "
        "character '\u0420' (cyrillic capital letter er), which only looks like a plain letter "
        "or digit; type the id again with A-Z, 0-9 and punctuation"
    ]


def test_a_formula_with_no_saved_value_is_named_as_such(tmp_path: Path) -> None:
    # openpyxl writes formulas without a saved (cached) value, as a workbook built by a
    # script or never opened in Excel has them: read for values, such a cell is blank.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["participant_id", "region", "referral_date", "entry_date", "notes"])
    sheet.append(["P1", "Wales", "2022-01-01", None, "=1+1"])  # an ignored column: no matter
    sheet.append(['="P"&2', "Wales", "2022-01-01", None, None])  # row 3: the id is a formula
    sheet.append(["P3", "Wales", "=DATE(2022,1,1)", None, None])  # row 4: a date formula
    participants = tmp_path / "participants.xlsx"
    book.save(participants)
    milestones = write(tmp_path, "milestones.csv", "participant_id,milestone,date\n")
    fix = (
        "the cell holds a formula with no saved value (the workbook was not saved by Excel "
        "after the formula was entered, so it reads as blank); open the workbook in Excel and "
        "save it, or copy the column and paste it back as values"
    )
    assert rejected(participants, milestones) == [
        f"participants.xlsx line 3, column participant_id: {fix}",
        f"participants.xlsx line 4, column referral_date: {fix}",
    ]


def _bomb(path: Path, unpacked_mb: int) -> None:
    """A valid workbook plus ``unpacked_mb`` MB of zeros (they deflate to about 1/1000)."""
    book = openpyxl.Workbook()
    book.active.append(["participant_id", "region", "referral_date", "entry_date"])
    book.active.append(["P1", "Wales", "2022-01-01", None])
    book.save(path)
    chunk = b"\x00" * (16 * 1024 * 1024)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/padding.bin", "w", force_zip64=True) as part,
    ):
        for _ in range(unpacked_mb // 16):
            part.write(chunk)


def test_a_zip_bomb_is_refused_in_seconds_under_the_command_line_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command line accepts 2,048 MB files; 20 times that (40 GB) unpacked was the
    # guard, so a workbook unpacking to 1,040 MB went through. The cap is 1,024 MB.
    monkeypatch.delenv("ETE_MAX_UPLOAD_MB", raising=False)
    participants = tmp_path / "participants.xlsx"
    _bomb(participants, 1_040)
    milestones = write(tmp_path, "milestones.csv", "participant_id,milestone,date\n")
    started = time.monotonic()
    with config.command_line_limits(), pytest.raises(InputError, match="unpacks to 1,040.0 MB"):
        read_extract(participants, milestones)
    assert time.monotonic() - started < 5


def test_a_workbook_over_the_row_limit_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 5 data rows (plus the header and a blank row 3) against a limit of 4: refused
    # from the sheet's raw XML, so openpyxl (minutes for a full sheet) never runs.
    monkeypatch.setenv("ETE_MAX_ROWS", "4")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["participant_id", "region", "referral_date", "entry_date"])
    sheet.append(["P1", "Wales", "2022-01-01", None])
    sheet.append([None, None, None, None])
    for n in range(2, 6):
        sheet.append([f"P{n}", "Wales", "2022-01-01", None])
    participants = tmp_path / "participants.xlsx"
    book.save(participants)
    milestones = write(tmp_path, "milestones.csv", "participant_id,milestone,date\n")

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(openpyxl, "load_workbook", no_parsing)
    with pytest.raises(InputError, match="more than 4 data rows"):
        read_extract(participants, milestones)


def test_a_workbook_at_the_row_limit_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 4 data rows and a limit of 4; a formatted but empty row is not a row.
    monkeypatch.setenv("ETE_MAX_ROWS", "4")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["participant_id", "region", "referral_date", "entry_date"])
    for n in range(1, 5):
        sheet.append([f"P{n}", "Wales", "2022-01-01", None])
    sheet["A7"].number_format = "0.00"  # a styled cell with no value
    participants = tmp_path / "participants.xlsx"
    book.save(participants)
    milestones = write(tmp_path, "milestones.csv", "participant_id,milestone,date\n")
    assert read_extract(participants, milestones).participants["participant_id"].tolist() == [
        "P1", "P2", "P3", "P4"
    ]
