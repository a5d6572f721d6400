"""The Data page's mapping builder (AppTest): preview, choose columns, save, offered next time."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_support import *  # noqa: F403
from apptest_support import DemoData, new_app, open_page
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
    preview = next(d.value for d in at.dataframe if "Client Ref" in d.value.columns)
    assert list(preview["Client Ref"]) == ["C1", "C2"]  # the file's own first rows
    # 'Region' matches our region column by name, so it is the default; the rest are not used.
    assert at.selectbox(key="mapping_participants_region").value == "Region"
    assert at.selectbox(key="mapping_participants_entry_date").value == "(not used)"

    at.selectbox(key="mapping_participants_participant_id").set_value("Client Ref")
    at.selectbox(key="mapping_participants_referral_date").set_value("Referred")
    at.selectbox(key="mapping_participants_entry_date").set_value("Started")
    _run(at)
    at.multiselect(key="mapping_drop").set_value(["Client Name"])
    at.text_input(key="mapping_name").input("Our CRM")
    at.button(key="mapping_save").click()
    _run(at)
    assert [s.value for s in at.success if "saved" in s.value] == [
        "Mapping Our CRM saved as our-crm.toml."
    ]
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
    shown = " ".join(d.value.to_csv() for d in at.dataframe)
    assert "1CFG1234A" not in shown and "Alex Example" not in shown
    # Warnings name the source file, line and column (the re-enrolment on line 4).
    warnings = next(d.value for d in at.dataframe if "re-enrolment" in d.value.to_csv())
    warnings.columns = [str(c).lower() for c in warnings.columns]
    row = warnings[warnings["message"].str.contains("re-enrolment")].iloc[0]
    assert (row["file"], str(row["line"]), row["column"]) == ("enrolments.xlsx", "4", "Participant Id")
