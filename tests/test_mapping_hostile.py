"""Hostile mapping files and identifiers (issue 26): a mapping with settings of the wrong type
names each one; an identifier holding a line break, tab or byte-order mark is refused at the
mapping stage, naming the row and column but never the value."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from ete_metrics.data import db
from ete_metrics.data.mapping import import_mapped, parse_mapping, pseudonym, read_mapped
from ete_metrics.errors import ImportValidationError, InputError

KEY = "a-test-key-of-enough-length"
WHEN = datetime(2024, 1, 10, 12, 0)
GOOD = '[participants]\nparticipant_id = "CRN"\nregion = "Office"\nreferral_date = "Referred"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[participants]\nparticipant_id = ["CRN"]\n',
            "bad.toml: a setting has the wrong type: [participants] participant_id must be one "
            'source column\'s name in quotes, e.g. participant_id = "CRN", not a list',
        ),
        (
            "name = 5\n" + GOOD,
            "bad.toml: a setting has the wrong type: name must be text in quotes, not the number 5",
        ),
        (
            'dedupe = "yes"\n' + GOOD,
            "bad.toml: a setting has the wrong type: dedupe must be true or false (no quotes), "
            'not the text "yes"',
        ),
        (
            'identifiers = "CRN"\n' + GOOD,
            "bad.toml: a setting has the wrong type: identifiers must be a list of column names, "
            'e.g. identifiers = ["CRN"], not the text "CRN"',
        ),
    ],
)
def test_a_setting_of_the_wrong_type_is_named(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_mapping(text, "bad.toml")
    assert str(caught.value) == message


def test_every_setting_of_the_wrong_type_is_named_at_once() -> None:
    text = 'name = 5\ndedupe = "no"\nidentifiers = "CRN"\n[participants]\nparticipant_id = ["CRN"]\n'
    with pytest.raises(InputError) as caught:
        parse_mapping(text, "bad.toml")
    assert str(caught.value) == (
        "bad.toml: settings have the wrong type: name must be text in quotes, not the number 5; "
        'dedupe must be true or false (no quotes), not the text "no"; [participants] '
        "participant_id must be one source column's name in quotes, e.g. participant_id = "
        '"CRN", not a list; identifiers must be a list of column names, e.g. identifiers = '
        '["CRN"], not the text "CRN"'
    )


def test_true_and_false_are_read_as_written() -> None:
    assert parse_mapping("dedupe = false\n" + GOOD, "ok.toml").dedupe is False
    assert parse_mapping("region_map_required = true\n" + GOOD, "ok.toml").region_map_required


@pytest.mark.parametrize(("inside", "named"), [("\n", "a line break"), ("\ufeff", "a byte-order mark")])
def test_an_identifier_with_a_break_is_refused_without_its_value(
    tmp_path: Path, inside: str, named: str
) -> None:
    mapping = parse_mapping('identifiers = ["CRN"]\n' + GOOD, "ours.toml")
    path = tmp_path / "people.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["CRN", "Office", "Referred"])
        writer.writerow(["X100001", "London", "2023-01-02"])
        writer.writerow([f"X10{inside}0002", "Wales", "2023-01-03"])  # file lines 3 (and 4)
    with pytest.raises(ImportValidationError) as caught:
        read_mapped(mapping, path, key=KEY)
    texts = [str(problem) for problem in caught.value.problems]
    assert texts == [
        f"people.csv line 3, column CRN: the identifier holds {named} (character 4 of it, which "
        "is not shown here); an identifier is one line of letters, digits and punctuation: "
        "correct it in the source system and export again"
    ]
    assert not any("X10" in text or "0002" in text for text in texts)


def test_identical_milestones_are_stored_once_with_a_warning_naming_no_identifier(
    tmp_path: Path,
) -> None:
    mapping = parse_mapping(
        'identifiers = ["CRN"]\n'
        '[participants]\nparticipant_id = "CRN"\nregion = "Office"\nentry_date = "Started"\n'
        '[[milestones]]\nparticipant_id = "CRN"\nmilestone = "Event"\ndate = "When"\n',
        "ours.toml",
    )
    people = tmp_path / "people.csv"
    people.write_text("CRN,Office,Started\nX123456,Wales,2023-01-02\n", encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text(
        "CRN,Event,When\n" + "X123456,job_start,2023-03-01\n" * 3, encoding="utf-8"
    )
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ete.db'}")
    import_mapped(engine, mapping, people, [events], key=KEY, imported_at=WHEN)
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM milestones")).scalar_one()
        rows = connection.execute(sa.text("SELECT * FROM import_warnings")).mappings().all()
    engine.dispose()
    assert stored == 1  # three identical rows, stored once
    repeats = [dict(row) for row in rows if row["check"] == "duplicate_milestone"]
    assert [(row["file"], row["line"]) for row in repeats] == [("events.csv", 3), ("events.csv", 4)]
    assert all("X123456" not in str(value) for row in rows for value in dict(row).values())
    assert {row["participant_id"] for row in repeats} == {pseudonym("X123456", KEY)}
