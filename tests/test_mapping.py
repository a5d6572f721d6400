"""Tests for importing other systems' exports through a mapping (ete_metrics.data.mapping).

The files use the headers exactly as the source systems' code writes them
(see /work/shared/reference/source-systems.md); every value is invented.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from ete_metrics import cli
from ete_metrics.data import db
from ete_metrics.data.mapping import (
    CASEWORKER_DOMAIN,
    caseworker_pseudonym,
    dates_as_read,
    import_mapped,
    load_profile,
    mapping_from_choices,
    mapping_to_toml,
    parse_mapping,
    pseudonym,
    read_mapped,
    read_region_map,
)
from ete_metrics.errors import ImportValidationError, InputError

KEY = "a-test-key-of-enough-length"
OTHER_KEY = "another-test-key-of-length"
WHEN = datetime(2024, 1, 10, 12, 0)

RM_HEADERS = [
    "referral_ref", "referral_id", "contract_ref", "organisation_id", "caseworker_id",
    "service_user_crn", "date_referral_received", "date_saa_first_arranged",
    "date_saa_first_scheduled_for", "date_saa_first_not_attended", "date_saa_first_attended",
    "date_saa_first_completed", "saa_attended_on_time", "date_first_action_plan_submitted",
    "date_of_first_action_plan_approval", "date_of_first_attended_session",
    "outcomes_to_be_achieved_count", "outcomes_achieved", "count_of_sessions_expected",
    "count_of_sessions_attended", "end_requested_by_pp_at", "end_requested_by_pp_reason",
    "date_eosr_submitted", "concluded_at", "referral_end_state",
    "date_intervention_to_be_completed_by", "end_of_sentence_date",
]
ENROLMENT_HEADERS = [
    "Contract", "Created", "Approved", "Submission To Authority", "Participant Id",
    "Participant Name", "Location Name", "Location Type", "Support Worker", "Payable",
    "Ineligibility Reason",
]
EDUCATION_HEADERS = [
    "Contract", "Created", "Commenced On", "Approved", "Payment Period", "Participant Id",
    "Participant Name", "Location Name", "Location Type", "Support Worker", "Course Title",
    "Course Level", "Payable", "Ineligibility Reason",
]
EMPLOYMENT_HEADERS = [
    "Contract", "Created", "Commenced On", "Approved", "Payment Period", "Participant Id",
    "Participant Name", "Location Name", "Location Type", "Support Worker",
    "Employment Category", "Employment Type", "Payable", "Ineligibility Reason",
]


def _rm_row(**values: str) -> list[str]:
    return [values.get(h, "") for h in RM_HEADERS]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _region_map(tmp_path: Path) -> Path:
    return _write_csv(tmp_path / "regions.csv", ["source", "region"], [["DN535743", "London"]])


def _rm_file(tmp_path: Path) -> Path:
    return _write_csv(
        tmp_path / "performance.csv",
        RM_HEADERS,
        [
            _rm_row(
                referral_ref="AB1234CD", contract_ref="DN535743", organisation_id="HARMONY_LIVING",
                caseworker_id="jo.bloggs@provider.example", service_user_crn="X123456",
                date_referral_received="2023-03-01T09:12:45.123456Z",
                # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST, UTC+1).
                date_saa_first_attended="2023-06-30T23:30:00Z",
                concluded_at="2023-12-31T23:59:00+00:00", referral_end_state="completed",
            ),
            _rm_row(
                referral_ref="EF5678GH", contract_ref="dn535743", organisation_id="HARMONY_LIVING",
                caseworker_id="sam.smith@provider.example", service_user_crn="Y654321",
                date_referral_received="2023-02-01T10:00:00+01:00",
            ),
        ],
    )


def _cats_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    enrolments = _write_xlsx(
        tmp_path / "enrolments.xlsx",
        ENROLMENT_HEADERS,
        [
            ["North West", datetime(2023, 5, 2, 10, 0), datetime(2023, 5, 3, 14, 30, 5),
             datetime(2023, 5, 2, 11, 0), "1CFG1234A", "Alex Example", "HMP Liverpool", "Wing", "Pat Worker", True, None],
            ["London", datetime(2023, 6, 1), datetime(2023, 6, 2, 9, 0), None,
             "1CFG5678B", "Bo Sample", "Camden Hub", "Hub", "Pat Worker", False,
             "Enrolment approved outside the contract period"],
            # The same person enrolled again later: a re-enrolment (line 4 against line 2).
            ["North West", datetime(2023, 9, 1), datetime(2023, 9, 4), None,
             "1CFG1234A", "Alex Example", "Manchester Community", "Community", "Pat Worker",
             True, None],
        ],
    )
    education = _write_xlsx(
        tmp_path / "education.xlsx",
        EDUCATION_HEADERS,
        [
            ["North West", datetime(2023, 7, 1), datetime(2023, 4, 20), datetime(2023, 7, 2),
             "2023-07", "1CFG1234A", "Alex Example", "HMP Liverpool", "Wing", "Pat Worker",
             "Functional Skills Maths", "Level 1", True, None],
        ],
    )
    employment = _write_xlsx(
        tmp_path / "employment.xlsx",
        EMPLOYMENT_HEADERS,
        [
            ["London", datetime(2023, 8, 1), datetime(2023, 7, 15), datetime(2023, 8, 2),
             "2023-08", "1CFG5678B", "Bo Sample", "Camden Hub", "Hub", "Pat Worker",
             "Paid employment", "Full time", True, None],
        ],
    )
    return enrolments, education, employment


def test_pseudonym_is_hmac_sha256_same_key_same_id_other_key_other_id() -> None:
    # Expected value computed independently with the standard library's hmac.
    expected = hmac.new(KEY.encode(), b"X123456", hashlib.sha256).hexdigest()
    assert pseudonym("X123456", KEY) == expected
    assert len(expected) == 64
    assert pseudonym("X123456", KEY) == pseudonym("X123456", KEY)
    assert pseudonym("X123456", OTHER_KEY) != expected
    assert pseudonym("X123457", KEY) != expected


def _caseworker(value: str, key: str) -> str:
    """The definition, with the standard library: HMAC-SHA256 under HMAC-SHA256(key, domain)."""
    derived = hmac.new(key.encode(), CASEWORKER_DOMAIN, hashlib.sha256).digest()
    return hmac.new(derived, value.encode(), hashlib.sha256).hexdigest()


def test_caseworker_pseudonym_is_keyed_and_never_a_participant_pseudonym() -> None:
    email = "jo.bloggs@provider.example"
    assert CASEWORKER_DOMAIN == b"ete-metrics caseworker pseudonym"
    assert caseworker_pseudonym(email, KEY) == _caseworker(email, KEY)
    # Case and spacing do not make another caseworker.
    assert caseworker_pseudonym(" Jo.Bloggs@Provider.example ", KEY) == _caseworker(email, KEY)
    assert caseworker_pseudonym("Pat  Worker", KEY) == _caseworker("pat worker", KEY)
    assert caseworker_pseudonym(email, OTHER_KEY) != caseworker_pseudonym(email, KEY)
    # Domain-separated: the same text as a participant id gets another pseudonym.
    for text in (email, "x123456"):
        assert caseworker_pseudonym(text, KEY) != pseudonym(text, KEY)


def test_refer_and_monitor_maps_columns_dates_and_regions(tmp_path: Path) -> None:
    extract = read_mapped(
        load_profile("refer-and-monitor"),
        _rm_file(tmp_path),
        region_map=read_region_map(_region_map(tmp_path)),
        key=KEY,
    )
    people = extract.participants.set_index("participant_id")
    first = people.loc[pseudonym("X123456", KEY)]
    assert first["region"] == "London"  # DN535743 -> London through the region map
    # 09:12 UTC on 1 March (GMT) is 1 March in London.
    assert first["referral_date"] == pd_date(2023, 3, 1)
    # 23:30Z on 30 June is 00:30 BST on 1 July: the UK date, not the UTC one.
    assert first["entry_date"] == pd_date(2023, 7, 1)
    assert first["exit_date"] == pd_date(2023, 12, 31)  # 23:59 GMT stays on the 31st
    assert first["exit_reason"] == "completed"
    assert first["delivery_partner"] == "HARMONY_LIVING"
    # caseworker_id (an email) is kept only as the caseworker's pseudonym.
    assert first["caseworker"] == _caseworker("jo.bloggs@provider.example", KEY)
    assert people.loc[pseudonym("Y654321", KEY), "caseworker"] == _caseworker(
        "sam.smith@provider.example", KEY
    )
    second = people.loc[pseudonym("Y654321", KEY)]
    assert second["region"] == "London"  # the map matches 'dn535743' ignoring case
    # 10:00 at +01:00 is 09:00 UTC, 10:00 BST: still 1 February.
    assert second["referral_date"] == pd_date(2023, 2, 1)
    assert extract.milestones.empty
    assert extract.files["participants"].name == "performance.csv"


def pd_date(year: int, month: int, day: int) -> object:
    import pandas as pd

    return pd.Timestamp(year, month, day)


def test_refer_and_monitor_needs_a_region_map(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--region-map"):
        read_mapped(load_profile("refer-and-monitor"), _rm_file(tmp_path), key=KEY)


def test_an_identifier_column_without_a_key_is_refused_saying_how_to_set_one(
    tmp_path: Path,
) -> None:
    with pytest.raises(InputError, match="ETE_PSEUDONYM_KEY"):
        read_mapped(
            load_profile("refer-and-monitor"),
            _rm_file(tmp_path),
            region_map=read_region_map(_region_map(tmp_path)),
            key=None,
        )


def test_cats_three_files_with_re_enrolment_notes_and_custody_prison(tmp_path: Path) -> None:
    enrolments, education, employment = _cats_files(tmp_path)
    extract = read_mapped(load_profile("cats"), enrolments, [education, employment], key=KEY)
    people = extract.participants.set_index("participant_id")
    alex, bo = pseudonym("1CFG1234A", KEY), pseudonym("1CFG5678B", KEY)
    assert len(people) == 2  # the re-enrolment on line 4 is left out
    # The earliest enrolment (line 2, approved 3 May 2023, in custody at HMP Liverpool) is kept.
    assert people.loc[alex, "entry_date"] == pd_date(2023, 5, 3)
    # Submitted to the authority at 11:00 on 2 May 2023 (an Excel date-time): the referral.
    assert people.loc[alex, "referral_date"] == pd_date(2023, 5, 2)
    assert people.loc[alex, "pathway"] == "custody"
    assert people.loc[alex, "prison"] == "HMP Liverpool"
    # Support Worker (a name) is kept only as the caseworker's pseudonym.
    assert people.loc[alex, "caseworker"] == people.loc[bo, "caseworker"] == _caseworker(
        "pat worker", KEY
    )
    # A Hub is a community location: the pathway is community and its name is no prison.
    assert people.loc[bo, "pathway"] == "community"
    assert people.loc[bo, "prison"] is None or people.loc[bo, "prison"] != "Camden Hub"
    milestones = sorted(
        zip(extract.milestones["participant_id"], extract.milestones["milestone"], strict=True)
    )
    assert milestones == sorted([(alex, "training_start"), (bo, "job_start")])
    by_check = {(w.check, w.file, w.line, w.column) for w in extract.warnings}
    assert ("re_enrolment", "enrolments.xlsx", 4, "Participant Id") in by_check
    assert ("source_note", "enrolments.xlsx", 3, "Ineligibility Reason") in by_check
    re_enrolment = next(w for w in extract.warnings if w.check == "re_enrolment")
    assert "line 2" in re_enrolment.message and "line 4" in re_enrolment.message
    # The course commenced 20 Apr 2023, before the 3 May 2023 enrolment: the ordinary check,
    # told in CATS terms.
    before = [w for w in extract.warnings if w.check == "milestone_before_entry"]
    assert [(w.file, w.line, w.column) for w in before] == [
        ("education.xlsx", 2, "Commenced On")
    ]


def test_errors_name_the_source_file_line_and_column(tmp_path: Path) -> None:
    enrolments, education, employment = _cats_files(tmp_path)
    _write_xlsx(
        employment,
        EMPLOYMENT_HEADERS,
        [
            ["London", None, None, None, "2023-08", "1CFG5678B", "Bo", "Hub", "Hub", "W",
             "Paid", "Full time", True, None],
            ["London", None, "31/02/2023", None, "2023-08", "1CFG5678B", "Bo", "Hub", "Hub",
             "W", "Paid", "Full time", True, None],
        ],
    )
    with pytest.raises(ImportValidationError) as caught:
        read_mapped(load_profile("cats"), enrolments, [education, employment], key=KEY)
    where = [(p.file, p.line, p.column) for p in caught.value.problems]
    # Row 2 has no date, row 3 an impossible one; both in the employment file's own terms.
    assert where == [
        ("employment.xlsx", 2, "Commenced On"),
        ("employment.xlsx", 3, "Commenced On"),
    ]
    assert "Bo" not in str(caught.value)


def test_missing_source_column_is_named_in_source_terms(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "enrolments.csv", ["Contract", "Participant Id"], [["London", "A1"]])
    with pytest.raises(ImportValidationError) as caught:
        read_mapped(load_profile("cats"), path, key=KEY)
    # The profile takes referral_date, entry_date, pathway, prison and caseworker from these five.
    assert [(p.file, p.line, p.column) for p in caught.value.problems] == [
        ("enrolments.csv", 1, "Submission To Authority"),
        ("enrolments.csv", 1, "Approved"),
        ("enrolments.csv", 1, "Location Type"),
        ("enrolments.csv", 1, "Location Name"),
        ("enrolments.csv", 1, "Support Worker"),
    ]


def test_milestone_file_matching_no_layout_is_an_error(tmp_path: Path) -> None:
    enrolments, _, _ = _cats_files(tmp_path)
    other = _write_csv(tmp_path / "other.csv", ["Participant Id", "Commenced On"], [["A", "x"]])
    with pytest.raises(ImportValidationError, match="other.csv line 1: matches none"):
        read_mapped(load_profile("cats"), enrolments, [other], key=KEY)


def test_custom_mapping_with_value_maps_date_format_and_round_trip(tmp_path: Path) -> None:
    mapping = parse_mapping(
        """
name = "our-crm"
date_format = "%m/%d/%Y"
identifiers = ["Client Ref"]
drop = ["Client Name"]

[participants]
participant_id = "Client Ref"
region = "Office"
referral_date = "Referred"
entry_date = "Started"

[participants.values.region]
"LDN" = "London"

[[milestones]]
participant_id = "Client Ref"
milestone = "Event"
date = "When"

[milestones.values.milestone]
"Course began" = "training_start"
""",
        "crm.toml",
    )
    assert parse_mapping(mapping_to_toml(mapping)) == mapping
    people = _write_csv(
        tmp_path / "clients.csv",
        ["Client Ref", "Client Name", "Office", "Referred", "Started"],
        [["C1", "Chris Person", "ldn", "08/16/2023", "08/20/2023"]],
    )
    events = _write_csv(
        tmp_path / "events.csv", ["Client Ref", "Event", "When"], [["C1", "course began", "09/01/2023"]]
    )
    extract = read_mapped(mapping, people, [events], key=KEY)
    row = extract.participants.iloc[0]
    assert row["region"] == "London"
    assert row["entry_date"] == pd_date(2023, 8, 20)  # US order as the mapping says
    assert extract.milestones.iloc[0]["milestone"] == "training_start"
    assert extract.milestones.iloc[0]["date"] == pd_date(2023, 9, 1)


def test_mapping_file_errors_say_what_to_fix() -> None:
    with pytest.raises(InputError, match="'colour' is not one of our columns"):
        parse_mapping('[participants]\ncolour = "X"\n', "bad.toml")
    with pytest.raises(InputError, match="unknown time_zone"):
        parse_mapping('time_zone = "Mars/Base"\n[participants]\n', "bad.toml")


def test_region_map_errors_name_file_and_line(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "map.csv", ["source", "region"], [["A", "London"], ["a", "Wales"]])
    with pytest.raises(ImportValidationError) as caught:
        read_region_map(path)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.column) == ("map.csv", 3, "source")


PERSONAL = [
    "Alex Example", "Bo Sample", "Pat Worker", "jo.bloggs@provider.example",
    "sam.smith@provider.example", "X123456", "Y654321", "1CFG1234A", "1CFG5678B",
]


def test_no_personal_data_in_the_database_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    engine = db.make_engine(url)
    enrolments, education, employment = _cats_files(tmp_path)
    caplog.set_level("DEBUG")
    results = [
        import_mapped(
            engine, load_profile("cats"), enrolments, [education, employment], key=KEY,
            imported_at=WHEN,
        ),
        import_mapped(
            engine, load_profile("refer-and-monitor"), _rm_file(tmp_path),
            region_map=read_region_map(_region_map(tmp_path)), key=KEY, imported_at=WHEN,
        ),
    ]
    told = " ".join(str(w) for r in results for w in r.warnings) + caplog.text
    for personal in PERSONAL:  # nor in a warning or a log line
        assert personal.casefold() not in told.casefold(), personal
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM participants")).scalar_one()
        warnings = connection.execute(sa.text("SELECT count(*) FROM import_warnings")).scalar_one()
    engine.dispose()
    assert stored == 4  # 2 CATS people (one re-enrolment left out) + 2 R&M referrals
    assert warnings > 0  # the notes and the re-enrolment were stored, so they were searched
    content = (tmp_path / "ete.db").read_bytes()
    for personal in PERSONAL:
        assert personal.encode() not in content, personal
        assert personal.encode("utf-16-le") not in content, personal
        assert personal.casefold().encode() not in content.lower(), personal
    assert pseudonym("1CFG1234A", KEY).encode() in content
    # The caseworkers are there, as their pseudonyms only.
    for caseworker in ("pat worker", "jo.bloggs@provider.example", "sam.smith@provider.example"):
        assert _caseworker(caseworker, KEY).encode() in content


def test_reimport_updates_the_same_person(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'ete.db'}")
    enrolments, education, employment = _cats_files(tmp_path)
    for _ in range(2):
        import_mapped(
            engine, load_profile("cats"), enrolments, [education, employment], key=KEY,
            imported_at=WHEN,
        )
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM participants")).scalar_one()
    engine.dispose()
    assert stored == 2


def test_cli_imports_each_layout_with_one_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ETE_PSEUDONYM_KEY", KEY)
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    enrolments, education, employment = _cats_files(tmp_path)
    assert cli.main([
        "import", "--profile", "cats", "--participants", str(enrolments),
        "--milestones", str(education), "--milestones", str(employment), "--db", url,
        "--extract-date", "2024-01-10",
    ]) == 0
    assert "Imported 2 participants, 2 milestones" in capsys.readouterr().out
    assert cli.main([
        "import", "--profile", "refer-and-monitor", "--participants", str(_rm_file(tmp_path)),
        "--region-map", str(_region_map(tmp_path)), "--db", url, "--extract-date", "2024-01-10",
    ]) == 0
    assert "Imported 2 participants, 0 milestones" in capsys.readouterr().out
    monkeypatch.delenv("ETE_PSEUDONYM_KEY")
    assert cli.main([
        "import", "--profile", "cats", "--participants", str(enrolments), "--db", url,
    ]) == 2
    assert "ETE_PSEUDONYM_KEY" in capsys.readouterr().err


def test_stacked_milestone_files_keep_their_own_line_numbers(tmp_path: Path) -> None:
    enrolments, education, _ = _cats_files(tmp_path)
    # Two education files; the second's line 3 is bad. Stacked, it must still be line 3.
    second = _write_csv(
        tmp_path / "education2.csv",
        EDUCATION_HEADERS,
        [
            ["London", "", "2023-07-01", "", "", "1CFG5678B", "Bo", "", "Hub", "", "T", "", "", ""],
            ["London", "", "", "", "", "1CFG5678B", "Bo", "", "Hub", "", "T", "", "", ""],
        ],
    )
    with pytest.raises(ImportValidationError) as caught:
        read_mapped(load_profile("cats"), enrolments, [education, second], key=KEY)
    assert [(p.file, p.line, p.column) for p in caught.value.problems] == [
        ("education2.csv", 3, "Commenced On")
    ]
    assert date(2023, 7, 1)  # the first row's date is valid and raised nothing


def test_a_value_with_a_line_break_keeps_later_lines_right(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "performance.csv",
        RM_HEADERS,
        [
            # This record spans lines 2 and 3 of the file (a quoted line break in the end state).
            _rm_row(contract_ref="DN535743", service_user_crn="X1",
                    date_referral_received="2023-03-01T09:00:00Z", referral_end_state="ended\nearly"),
            # So this one starts on line 4; its referral date is not a date.
            _rm_row(contract_ref="DN535743", service_user_crn="X2",
                    date_referral_received="not a date"),
        ],
    )
    with pytest.raises(ImportValidationError) as caught:
        read_mapped(
            load_profile("refer-and-monitor"), path,
            region_map=read_region_map(_region_map(tmp_path)), key=KEY,
        )
    assert [(p.file, p.line, p.column) for p in caught.value.problems] == [
        ("performance.csv", 4, "date_referral_received")
    ]


def test_a_too_long_value_is_named_by_the_source_files_own_column(tmp_path: Path) -> None:
    _, education, _ = _cats_files(tmp_path)
    long_name = "HMP " + "L" * 1_200  # 1,204 characters; the longest accepted is 1,000
    enrolments = _write_xlsx(
        tmp_path / "enrolments.xlsx",
        ENROLMENT_HEADERS,
        [
            ["London", datetime(2023, 6, 1), datetime(2023, 6, 2), None, "1CFG5678B",
             "Bo Sample", "Camden Hub", "Hub", "Pat Worker", True, None],
            ["North West", datetime(2023, 5, 2), datetime(2023, 5, 3), None, "1CFG1234A",
             "Alex Example", long_name, "Wing", "Pat Worker", True, None],
        ],
    )
    with pytest.raises(ImportValidationError) as caught:
        read_mapped(load_profile("cats"), enrolments, [education], key=KEY)
    assert [(p.file, p.line, p.column, p.check) for p in caught.value.problems] == [
        ("enrolments.xlsx", 3, "Location Name", "value_too_long")
    ]
    assert "1,204 characters long" in str(caught.value)
    assert "location_name" not in str(caught.value)


def test_mapping_from_choices_keeps_value_maps_zone_and_format_and_checks_them() -> None:
    mapping = mapping_from_choices(
        "crm", {"participant_id": "Ref", "region": "Office", "entry_date": "Started"},
        milestones={"participant_id": "Ref", "milestone": "Event", "date": "When"},
        values={"region": {"LDN": "London"}, "pathway": {}},  # an empty map is no map
        milestone_values={"milestone": {"Course began": "training_start"}},
        time_zone="America/New_York", date_format="%m/%d/%Y",
    )
    assert mapping.participants.values == {"region": {"ldn": "London"}}
    assert mapping.milestones[0].values == {"milestone": {"course began": "training_start"}}
    assert (mapping.time_zone, mapping.date_format) == ("America/New_York", "%m/%d/%Y")
    assert parse_mapping(mapping_to_toml(mapping), "crm") == mapping  # saved as it was built
    with pytest.raises(InputError, match="for pathway before mapping its values"):
        mapping_from_choices("crm", {"participant_id": "Ref"}, values={"pathway": {"Jail": "custody"}})
    with pytest.raises(InputError, match="unknown time_zone 'Mars/Base'"):
        mapping_from_choices("crm", {"participant_id": "Ref"}, time_zone="Mars/Base")
    for bad in ("%d/%m", "dd/mm/yyyy", "%Q"):  # no year; no directives; not a directive
        with pytest.raises(InputError, match="day, month and year"):
            mapping_from_choices("crm", {"participant_id": "Ref"}, date_format=bad)


def test_dates_as_read_are_the_dates_the_import_reads() -> None:
    values = ["2023-06-30T23:30:00Z", "30/06/2023", "06/30/2023", "2023-06-30 23:30:00", "soon"]
    # 23:30 UTC on 30 June is 00:30 BST on 1 July in London, 19:30 EDT on 30 June in New York.
    assert dates_as_read(values) == [date(2023, 7, 1), date(2023, 6, 30), None, date(2023, 6, 30), None]
    assert dates_as_read(values[:1], "America/New_York") == [date(2023, 6, 30)]
    # A month-first format reads 06/30/2023; what it does not convert is still read as before.
    assert dates_as_read(values[1:3], date_format="%m/%d/%Y") == [date(2023, 6, 30), date(2023, 6, 30)]


def test_a_formula_without_a_value_is_named_by_the_source_files_own_column(tmp_path: Path) -> None:
    # openpyxl saves a formula with no calculated value, as a program-written workbook does.
    enrolments = _write_xlsx(
        tmp_path / "enrolments.xlsx",
        ENROLMENT_HEADERS,
        [["London", datetime(2023, 6, 1), datetime(2023, 6, 2), None, "1CFG5678B",
          "Bo Sample", '="Camden "&"Hub"', "Hub", "Pat Worker", True, None]],
    )
    with pytest.raises(ImportValidationError) as caught:
        read_mapped(load_profile("cats"), enrolments, key=KEY)
    assert [(p.file, p.line, p.column, p.check) for p in caught.value.problems] == [
        ("enrolments.xlsx", 2, "Location Name", "formula_without_value")
    ]
