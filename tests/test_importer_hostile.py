"""Hostile extracts found by an outside probe (issue 26): hidden sheets, ids holding control
characters or a byte-order mark, identical milestone rows.

Files are tiny and hand-written in ``tmp_path``; line 1 is the header.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from ete_metrics.data.importer import read_extract
from ete_metrics.errors import ImportValidationError

MILESTONES = "participant_id,milestone,date\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def messages(participants: Path, milestones: Path) -> list[str]:
    with pytest.raises(ImportValidationError) as caught:
        read_extract(participants, milestones)
    return [str(problem) for problem in caught.value.problems]


def hidden_first_sheet(tmp_path: Path) -> Path:
    """A workbook whose first sheet (hidden) holds stale rows; the second, visible and active,
    holds the current ones."""
    book = openpyxl.Workbook()
    stale = book.active
    stale.title = "Old copy"
    stale.append(["participant_id", "region", "referral_date", "entry_date"])
    stale.append(["OLD1", "London", datetime(2021, 1, 4), None])
    stale.append(["OLD2", "London", datetime(2021, 1, 5), None])
    current = book.create_sheet("Participants")
    current.append(["participant_id", "region", "referral_date", "entry_date"])
    current.append(["NEW1", "Wales", datetime(2022, 3, 1), datetime(2022, 3, 8)])
    stale.sheet_state = "hidden"
    book.active = 1
    path = tmp_path / "participants.xlsx"
    book.save(path)
    return path


def test_a_hidden_first_sheet_is_not_read(tmp_path: Path) -> None:
    participants = hidden_first_sheet(tmp_path)
    extract = read_extract(participants, write(tmp_path, "milestones.csv", MILESTONES))
    # what a person sees on opening the workbook: the visible sheet's one row
    assert extract.participants["participant_id"].tolist() == ["NEW1"]
    assert extract.participants["region"].tolist() == ["Wales"]


def test_a_problem_on_the_visible_sheet_names_its_line(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    stale = book.active
    stale.title = "Old copy"
    stale.append(["participant_id", "region", "referral_date", "entry_date"])
    stale.append(["OLD1", "London", datetime(2021, 1, 4), None])
    current = book.create_sheet("Participants")
    current.append(["participant_id", "region", "referral_date", "entry_date"])
    current.append(["NEW1", "Wales", datetime(2022, 3, 1), None])
    current.append(["NEW2", "Atlantis", datetime(2022, 3, 1), None])  # sheet row 3
    stale.sheet_state = "veryHidden"
    book.active = 1
    path = tmp_path / "participants.xlsx"
    book.save(path)
    assert messages(path, write(tmp_path, "milestones.csv", MILESTONES)) == [
        "participants.xlsx line 3, column region: unknown region 'Atlantis' "
        "(expected one of: London, North West, West Midlands, Wales)"
    ]


PARTICIPANTS = "participant_id,region,referral_date,entry_date\n"


@pytest.mark.parametrize(
    ("inside", "named"),
    [
        ("\n", "a line break"),
        ("\r", "a carriage return"),
        ("\t", "a tab"),
        ("\ufeff", "a byte-order mark"),
        ("\x07", "a control character, U+0007"),
    ],
)
def test_an_id_holding_a_break_or_a_byte_order_mark_is_refused_without_showing_it(
    tmp_path: Path, inside: str, named: str
) -> None:
    # "N00?01": the character is the 4th of the id; the row is the file's line 3
    participants = write(
        tmp_path,
        "participants.csv",
        PARTICIPANTS + "N0002,Wales,2022-01-01,\n" + f'"N00{inside}01",London,2022-01-01,\n',
    )
    found = messages(participants, write(tmp_path, "milestones.csv", MILESTONES))
    assert found == [
        f"participants.csv line 3, column participant_id: participant_id holds {named} "
        "(character 4 of the id, which is not shown here); an id is one line of letters, digits "
        "and punctuation: correct it in the case system and export again"
    ]
    assert not any("N00" in message for message in found)  # the id itself never shown


def test_an_id_with_a_break_in_the_milestones_file_is_refused(tmp_path: Path) -> None:
    participants = write(tmp_path, "participants.csv", PARTICIPANTS + "N0001,Wales,,2022-01-03\n")
    milestones = write(tmp_path, "milestones.csv", MILESTONES + '"N0\n001",job_start,2022-02-01\n')
    assert messages(participants, milestones) == [
        "milestones.csv line 2, column participant_id: participant_id holds a line break "
        "(character 3 of the id, which is not shown here); an id is one line of letters, digits "
        "and punctuation: correct it in the case system and export again"
    ]


def test_identical_milestone_rows_are_read_once_with_a_warning(tmp_path: Path) -> None:
    participants = write(tmp_path, "participants.csv", PARTICIPANTS + "N0001,Wales,,2022-01-03\n")
    milestones = write(
        tmp_path,
        "milestones.csv",
        "participant_id,milestone,date,partner\n"
        "N0001,job_start,2022-05-01,Acme\n"  # line 2: kept
        "N0001,training_start,2022-02-01,\n"  # line 3: another milestone
        "N0001,job_start,2022-05-01,Acme\n"  # line 4: a repeat of line 2
        "N0001,job_start,2021-12-01,Acme\n"  # line 5: another date, before the entry
        "N0001,job_start,2022-05-01,Other\n",  # line 6: a repeat of line 2, another partner
    )
    extract = read_extract(participants, milestones)
    kept = extract.milestones
    assert list(zip(kept["milestone"], kept["date"].dt.strftime("%Y-%m-%d"), kept["partner"], strict=True)) == [
        ("job_start", "2022-05-01", "Acme"),
        ("training_start", "2022-02-01", None),
        ("job_start", "2021-12-01", "Acme"),
    ]
    repeats = [w for w in extract.warnings if w.check == "duplicate_milestone"]
    assert [(w.file, w.line, w.column, w.participant_id) for w in repeats] == [
        ("milestones.csv", 4, "milestone", "N0001"),
        ("milestones.csv", 6, "milestone", "N0001"),
    ]
    assert [w.message for w in repeats] == [
        "job_start on 2022-05-01 repeats line 2 (the same participant, milestone and date): "
        "stored once",
        "job_start on 2022-05-01 repeats line 2 (the same participant, milestone and date): "
        "stored once; its partner differs, and the first row's is kept",
    ]
    assert not any("N0001" in w.message for w in repeats)
    # the other warnings still name the lines of the rows kept (line 5, not the 4th row read)
    assert [(w.line, w.check) for w in extract.warnings if w.check != "duplicate_milestone"] == [
        (5, "milestone_before_entry")
    ]
