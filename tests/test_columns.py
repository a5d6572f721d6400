"""ete_metrics.data.columns: the import format's schema, the one list of its columns."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from ete_metrics.data import columns, frames
from ete_metrics.data.columns import Column
from ete_metrics.data.importer import read_extract
from ete_metrics.errors import ImportValidationError

README = Path(__file__).resolve().parents[1] / "data" / "README.md"


def _readme_table(section: str) -> dict[str, tuple[str, str]]:
    """The README's table of a file's columns: name -> (type, required)."""
    text = README.read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in body.splitlines():
        found = re.match(r"\| `([a-z_]+)` \| ([^|]+) \| ([^|]+) \|", line)
        if found:
            rows[found.group(1)] = (found.group(2).strip(), found.group(3).strip())
    return rows


@pytest.mark.parametrize("label", list(columns.SCHEMA))
def test_the_readme_lists_every_column_of_the_schema_with_its_type(label: str) -> None:
    listed = _readme_table(label)
    schema = columns.SCHEMA[label]
    assert set(listed) == set(columns.names(schema))
    for column in schema:
        kind_words, required = listed[column.name]
        assert kind_words == columns.TYPE_WORDS[column.kind], column.name
        # A required column is "**yes**" (or "column **yes**; value see note"), else "no".
        assert ("**yes**" in required) == column.required, column.name


def test_the_frames_take_their_columns_from_the_schema() -> None:
    # Written out by hand from data/README.md's tables.
    assert frames.MILESTONE_COLUMNS == ("participant_id", "milestone", "date", "partner")
    assert frames.MILESTONE_REQUIRED == ("participant_id", "milestone", "date")
    assert frames.PARTICIPANT_REQUIRED == (
        "participant_id",
        "region",
        "referral_date",
        "entry_date",
    )
    assert frames.PARTICIPANT_DATE_COLUMNS == ("referral_date", "entry_date", "exit_date")
    assert frames.TARGET_DATE_COLUMNS == ("period_start",)
    assert frames.TARGET_REQUIRED == frames.TARGET_COLUMNS == (
        "region", "period_start", "measure", "target"
    )  # fmt: skip


def test_every_column_is_of_a_known_kind_and_codes_name_a_vocabulary() -> None:
    for schema in columns.SCHEMA.values():
        assert len(set(columns.names(schema))) == len(schema)
        for column in schema:
            assert column.kind in columns.KINDS
            if column.kind == "code":
                assert columns.allowed_values(column), column.name
            if column.kind in ("code", "count", "month", "pseudonym"):
                assert column.wrong and column.wrong_check, column.name
            if column.blank_message:
                assert not column.blank_allowed, column.name


def test_a_region_is_allowed_from_the_configured_regions(monkeypatch: pytest.MonkeyPatch) -> None:
    region = next(c for c in columns.PARTICIPANTS if c.name == "region")
    monkeypatch.setenv("ETE_REGIONS", "Kent, Essex")
    assert columns.allowed_values(region) == ("Kent", "Essex")


def test_a_new_optional_column_is_one_line_in_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The walk of data/README.md and docs/architecture.md: one Column line. Here on a copy
    # of the schema (and of the frames' columns, which are taken from it when imported).
    participants = (*columns.PARTICIPANTS, Column("first_contact_date", "date"))
    monkeypatch.setattr(columns, "PARTICIPANTS", participants)
    monkeypatch.setitem(columns.SCHEMA, "participants", participants)
    monkeypatch.setattr(frames, "PARTICIPANT_COLUMNS", columns.names(participants))
    monkeypatch.setattr(frames, "PARTICIPANT_DATE_COLUMNS", columns.date_names(participants))
    (tmp_path / "p.csv").write_text(
        "participant_id,region,referral_date,entry_date,First Contact Date\n"
        "P1,Wales,2023-01-02,2023-01-09,2023-01-05\n"
        "P2,Wales,2023-01-02,2023-01-09,\n",
        encoding="utf-8",
    )
    (tmp_path / "m.csv").write_text("participant_id,milestone,date\n", encoding="utf-8")
    extract = read_extract(tmp_path / "p.csv", tmp_path / "m.csv")
    assert [w.check for w in extract.warnings] == []  # not an unknown column
    contact = extract.participants["first_contact_date"]
    assert contact.iloc[0] == pd.Timestamp("2023-01-05")
    assert pd.isna(contact.iloc[1])

    (tmp_path / "p.csv").write_text(
        "participant_id,region,referral_date,entry_date,first_contact_date\n"
        "P1,Wales,2023-01-02,2023-01-09,2023-02-30\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportValidationError) as caught:
        read_extract(tmp_path / "p.csv", tmp_path / "m.csv")
    [problem] = caught.value.problems
    assert (problem.line, problem.column, problem.check) == (
        2,
        "first_contact_date",
        "invalid_date",
    )


def test_a_blank_value_of_a_column_that_needs_one_is_its_own_error_or_an_unknown_value(
    tmp_path: Path,
) -> None:
    # Targets: a blank region has no message of its own, so it is an unknown region; a
    # blank period_start has one ("missing_date").
    region = next(c for c in columns.TARGETS if c.name == "region")
    period = next(c for c in columns.TARGETS if c.name == "period_start")
    assert (region.blank_allowed, region.blank_message) == (False, "")
    assert period.missing_check == "missing_date"
    (tmp_path / "p.csv").write_text(
        "participant_id,region,referral_date,entry_date\nP1,Wales,2023-01-02,\n", encoding="utf-8"
    )
    (tmp_path / "m.csv").write_text("participant_id,milestone,date\n", encoding="utf-8")
    (tmp_path / "t.csv").write_text(
        "region,period_start,measure,target\n,,work,3\n", encoding="utf-8"
    )
    with pytest.raises(ImportValidationError) as caught:
        read_extract(tmp_path / "p.csv", tmp_path / "m.csv", tmp_path / "t.csv")
    found = [(p.line, p.column, p.check) for p in caught.value.problems]
    assert found == [(2, "region", "unknown_region"), (2, "period_start", "missing_date")]


def test_the_checks_say_the_schema_s_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The pathway column given other words and another vocabulary: its check says those.
    participants = tuple(
        replace(c, allowed="regions", wrong="{value!r} is not one of {either}")
        if c.name == "pathway"
        else c
        for c in columns.PARTICIPANTS
    )
    monkeypatch.setattr(columns, "PARTICIPANTS", participants)
    monkeypatch.setenv("ETE_REGIONS", "Kent,Essex")
    (tmp_path / "p.csv").write_text(
        "participant_id,region,referral_date,entry_date,pathway\n"
        "P1,Kent,2023-01-02,,essex\n"
        "P2,Kent,2023-01-02,,custody\n",
        encoding="utf-8",
    )
    (tmp_path / "m.csv").write_text("participant_id,milestone,date\n", encoding="utf-8")
    with pytest.raises(ImportValidationError) as caught:
        read_extract(tmp_path / "p.csv", tmp_path / "m.csv")
    [problem] = caught.value.problems
    assert (problem.line, problem.column, problem.check) == (3, "pathway", "unknown_pathway")
    assert problem.message == "'custody' is not one of Kent or Essex"
