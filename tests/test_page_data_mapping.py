"""The Data page's mapping builder (AppTest): preview, choose columns, save, offered next time."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_support import *  # noqa: F403
from apptest_support import DemoData, new_app, open_page, tables_shown
from streamlit.testing.v1 import AppTest

from ete_metrics.data.mapping import load_mapping, read_mapped

PAGE = "app_pages/7_data.py"
KEY = "a-test-key-of-enough-length"

# A CRM's own layout: names differ from ours, one personal column (Client Name).
SAMPLE = (
    "Client Ref,Client Name,Office,Referred,Started,Region\n"
    "C1,Chris Person,LDN,2023-08-16,2023-08-20,London\n"
    "C2,Dee Person,WLS,2023-09-01,,Wales\n"
)


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _save(at: AppTest, name: str, drop: list[str]) -> list[str]:
    """Drop these columns, name the mapping, save it; return the 'saved' messages shown."""
    at.multiselect(key="mapping_drop").set_value(drop)
    at.text_input(key="mapping_name").input(name)
    at.button(key="mapping_save").click()
    _run(at)
    return [s.value for s in at.success if "saved" in s.value]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "mappings"
    monkeypatch.setenv("ETE_MAPPINGS_DIR", str(path))
    return path


def test_builder_previews_maps_and_saves_a_mapping_offered_next_time(
    demo_data: DemoData, folder: Path, tmp_path: Path
) -> None:
    at = open_page(new_app(), PAGE)
    # Before a sample: the shipped profiles are offered, and no column choices are shown.
    assert {"cats (shipped profile)", "refer-and-monitor (shipped profile)"} <= set(
        at.selectbox(key="mapping_show").options
    )
    assert not [s for s in at.selectbox if s.key == "mapping_participants_participant_id"]

    at.file_uploader(key="mapping_sample_participants").set_value(
        ("crm.csv", SAMPLE.encode(), "text/csv")
    )
    _run(at)
    preview = next(d.value for d in tables_shown(at) if "Client Ref" in d.value.columns)
    assert list(preview["Client Ref"]) == ["C1", "C2"]  # the file's own first rows
    # 'Region' matches our region column by name, so it is the default; the rest are not used.
    assert at.selectbox(key="mapping_participants_region").value == "Region"
    assert at.selectbox(key="mapping_participants_entry_date").value == "(not used)"

    at.selectbox(key="mapping_participants_participant_id").set_value("Client Ref")
    at.selectbox(key="mapping_participants_referral_date").set_value("Referred")
    at.selectbox(key="mapping_participants_entry_date").set_value("Started")
    _run(at)
    assert _save(at, "Our CRM", drop=["Client Name"]) == ["Mapping Our CRM saved as our-crm.toml."]
    assert "our-crm" in at.selectbox(key="mapping_show").options

    # The saved file is a working mapping: the sample imports through it, without the name.
    mapping = load_mapping(folder / "our-crm.toml")
    # The participant_id column is always pseudonymised; the name column is dropped.
    assert (mapping.identifiers, mapping.drop) == (("Client Ref",), ("Client Name",))
    assert mapping.participants.columns == {
        "participant_id": "Client Ref", "region": "Region", "referral_date": "Referred",
        "entry_date": "Started",
    }
    sample = tmp_path / "crm.csv"
    sample.write_text(SAMPLE, encoding="utf-8")
    extract = read_mapped(mapping, sample, key=KEY)
    assert len(extract.participants) == 2
    assert sorted(extract.participants["region"]) == ["London", "Wales"]
    assert "Chris Person" not in extract.participants.to_csv()
    assert "C1" not in set(extract.participants["participant_id"])  # pseudonymised

    # Next time (a new session), the saved mapping is offered.
    again = open_page(new_app(), PAGE)
    assert "our-crm" in again.selectbox(key="mapping_show").options


def test_builder_refuses_a_mapping_without_an_id_column(demo_data: DemoData, folder: Path) -> None:
    at = open_page(new_app(), PAGE)
    at.file_uploader(key="mapping_sample_participants").set_value(
        ("crm.csv", SAMPLE.encode(), "text/csv")
    )
    _run(at)
    at.text_input(key="mapping_name").input("No ids")
    at.button(key="mapping_save").click()
    _run(at)
    assert any("identifies each person" in e.value for e in at.error)
    assert not folder.exists()


def test_upload_through_a_profile_checks_in_source_terms_with_the_key(
    demo_data: DemoData, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_mapping import _cats_files

    enrolments, education, _ = _cats_files(tmp_path)
    monkeypatch.delenv("ETE_PSEUDONYM_KEY", raising=False)
    at = open_page(new_app(), PAGE)
    at.selectbox(key="upload_layout").set_value("cats (shipped profile)")
    _run(at)
    round_ = at.session_state["data_upload_round"]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at.file_uploader(key=f"upload_participants_{round_}").set_value(
        ("enrolments.xlsx", enrolments.read_bytes(), xlsx)
    )
    _run(at)
    # No key: refused, saying how to set one.
    assert any("no key is set" in e.value and "PSEUDONYM" in e.value for e in at.error)

    monkeypatch.setenv("ETE_PSEUDONYM_KEY", KEY)
    at.file_uploader(key=f"upload_milestones_{round_}").set_value(
        ("education.xlsx", education.read_bytes(), xlsx)
    )
    _run(at)
    # 3 enrolment rows, one a re-enrolment: 2 participants; 1 education row: 1 milestone.
    assert any("passed the checks: 2 participants, 1 milestone" in s.value for s in at.success)
    shown = " ".join(d.value.to_csv() for d in tables_shown(at))
    assert "1CFG1234A" not in shown and "Alex Example" not in shown
    # Warnings name the source file, line and column (the re-enrolment on line 4).
    warnings = next(d.value for d in tables_shown(at) if "re-enrolment" in d.value.to_csv())
    warnings.columns = [str(c).lower() for c in warnings.columns]
    row = warnings[warnings["message"].str.contains("re-enrolment")].iloc[0]
    assert (row["file"], str(row["line"]), row["column"]) == ("enrolments.xlsx", "4", "Participant Id")


# Another CRM: offices and settings in its own words, US dates, and a milestones file.
US_SAMPLE = (
    "Client Ref,Client Name,Office,Setting,Referred,Started\n"
    "C1,Chris Person,LDN,Prison,08/16/2023,08/20/2023\n"
    "C2,Dee Person,wales,Probation,09/01/2023,\n"
)
US_EVENTS = "Client Ref,Event,When\nC1,Course began,09/01/2023\n"


def _read_as(at: AppTest) -> dict[str, str]:
    """The builder's 'your dates as they will be read' table: your value -> read as."""
    table = next(d.value for d in tables_shown(at) if "Read as" in d.value.columns)
    return dict(zip(table["Your value"], table["Read as"], strict=True))


def test_builder_maps_values_time_zone_and_date_format_into_the_saved_file(
    demo_data: DemoData, folder: Path, tmp_path: Path
) -> None:
    at = open_page(new_app(), PAGE)
    at.file_uploader(key="mapping_sample_participants").set_value(
        ("crm.csv", US_SAMPLE.encode(), "text/csv")
    )
    _run(at)
    for ours, theirs in {
        "participant_id": "Client Ref", "region": "Office", "pathway": "Setting",
        "referral_date": "Referred", "entry_date": "Started",
    }.items():
        at.selectbox(key=f"mapping_participants_{ours}").set_value(theirs)
    _run(at)
    at.file_uploader(key="mapping_sample_milestones").set_value(
        ("events.csv", US_EVENTS.encode(), "text/csv")
    )
    _run(at)
    for ours, theirs in {"participant_id": "Client Ref", "milestone": "Event", "date": "When"}.items():
        at.selectbox(key=f"mapping_milestones_{ours}").set_value(theirs)
    _run(at)
    # One select box per value of their region, pathway and milestone columns.
    boxes = {s.label: s for s in at.selectbox if s.key and s.key.startswith("mapping_value_")}
    assert set(boxes) == {
        "Office: LDN", "Office: wales", "Setting: Prison", "Setting: Probation",
        "Event: Course began",
    }
    assert all(b.value == "(keep as it is)" for b in boxes.values())
    # With the default format, 08/16/2023 is no date (no 16th month): the preview says so.
    assert _read_as(at)["08/16/2023"].startswith("not a date")
    assert _read_as(at)["09/01/2023"] == "9 Jan 2023"  # read day first
    boxes["Office: LDN"].set_value("London")
    boxes["Setting: Prison"].set_value("custody")
    boxes["Setting: Probation"].set_value("community")
    boxes["Event: Course began"].set_value("training_start")
    at.selectbox(key="mapping_date_format").set_value("%m/%d/%Y")
    at.selectbox(key="mapping_time_zone").set_value("America/New_York")
    _run(at)
    assert _read_as(at)["08/16/2023"] == "16 Aug 2023"
    assert _read_as(at)["09/01/2023"] == "1 Sep 2023"
    assert _save(at, "US CRM", drop=["Client Name"]) == ["Mapping US CRM saved as us-crm.toml."]

    text = (folder / "us-crm.toml").read_text(encoding="utf-8")
    assert 'date_format = "%m/%d/%Y"' in text and 'time_zone = "America/New_York"' in text
    assert "[participants.values.region]" in text and "[milestones.values.milestone]" in text
    mapping = load_mapping(folder / "us-crm.toml")
    assert (mapping.time_zone, mapping.date_format) == ("America/New_York", "%m/%d/%Y")
    # Values are matched ignoring case; 'wales' was kept (our region in another case).
    assert mapping.participants.values == {
        "region": {"ldn": "London"},
        "pathway": {"prison": "custody", "probation": "community"},
    }
    assert mapping.milestones[0].values == {"milestone": {"course began": "training_start"}}
    # The saved mapping imports the samples: regions, pathways, US dates, the milestone.
    people, events = tmp_path / "crm.csv", tmp_path / "events.csv"
    people.write_text(US_SAMPLE, encoding="utf-8")
    events.write_text(US_EVENTS, encoding="utf-8")
    extract = read_mapped(mapping, people, [events], key=KEY)
    rows = extract.participants.sort_values("referral_date")
    assert rows["region"].tolist() == ["London", "Wales"]
    assert rows["pathway"].tolist() == ["custody", "community"]
    assert [d.date().isoformat() for d in rows["referral_date"]] == ["2023-08-16", "2023-09-01"]
    assert extract.milestones["milestone"].tolist() == ["training_start"]
    assert extract.milestones["date"].iloc[0].date().isoformat() == "2023-09-01"


def test_builder_refuses_a_typed_date_format_that_reads_no_date(
    demo_data: DemoData, folder: Path
) -> None:
    at = open_page(new_app(), PAGE)
    at.file_uploader(key="mapping_sample_participants").set_value(
        ("crm.csv", US_SAMPLE.encode(), "text/csv")
    )
    _run(at)
    at.selectbox(key="mapping_participants_participant_id").set_value("Client Ref")
    at.selectbox(key="mapping_date_format").set_value("other")
    _run(at)
    at.text_input(key="mapping_date_format_other").input("%d/%m")  # no year
    at.text_input(key="mapping_name").input("No year")
    at.button(key="mapping_save").click()
    _run(at)
    shown = [e.value.replace("\\", "") for e in at.error]  # as written, without markdown escapes
    assert any("must be a strftime format of a day, month and year" in e for e in shown), shown
    assert not folder.exists()
