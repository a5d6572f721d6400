"""The Data page's mapping builder in a real headless Chromium (``streamlit run app.py``).

Uploads a sample in another system's layout, chooses a column of it for each
required column of ours, maps the values of its pathway column to ours, chooses
its date format (month first) and a time zone, sees its dates read right, drops
the name column, saves the mapping, and checks the saved file imports the sample
without the name. Waits are on Streamlit's script state, never sleeps. Skipped without
``/usr/bin/chromium`` (a failure under ``CI=true``); the server is always stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import choose, chromium_page, one_run, require_chromium
from test_e2e_browser import PAGE_TIMEOUT_MS, _errors, _first_visit, _open, _upload

from benchmarks.bench_concurrency import streamlit_server

pytestmark = pytest.mark.browser

KEY = "a-test-key-of-enough-length"
SAMPLE = (
    "Client Ref,Client Name,Region,Setting,Referred,Started\n"
    "C1,Chris Person,London,Prison,08/16/2023,08/20/2023\n"
    "C2,Dee Person,Wales,Probation,09/01/2023,\n"
)


@pytest.fixture
def mappings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder the served app saves mappings in (the server inherits the environment)."""
    folder = tmp_path / "mappings"
    monkeypatch.setenv("ETE_MAPPINGS_DIR", str(folder))
    return folder


@pytest.fixture
def server(tmp_path: Path, mappings: Path) -> Iterator[str]:
    require_chromium()
    from ete_metrics.data.db import make_engine
    from ete_metrics.data.demo import build_demo_database

    url = f"sqlite:///{tmp_path / 'ete.db'}"
    engine = make_engine(url)
    try:
        build_demo_database(engine, n_participants=500)
    finally:
        engine.dispose()
    with streamlit_server(url, tmp_path / "streamlit.log") as base_url:
        yield base_url


def _select(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    with one_run(page, PAGE_TIMEOUT_MS):
        choose(page, box, option)


def _select_typed(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Pick ``option`` in a long select box by typing it (its list shows only what fits)."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    with one_run(page, PAGE_TIMEOUT_MS):
        box.click()
        box.locator("input").fill(option)
        page.get_by_role("option", name=option, exact=True).first.click()


def _shown(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Wait (bounded) until ``text`` is on the page (a table's cells are in the DOM, hidden)."""
    page.get_by_text(text, exact=True).first.wait_for(state="attached", timeout=PAGE_TIMEOUT_MS)


def test_mapping_builder_saves_a_working_mapping(server: str, mappings: Path, tmp_path: Path) -> None:
    from ete_metrics.data.mapping import load_mapping, read_mapped

    sample = tmp_path / "crm.csv"
    sample.write_text(SAMPLE, encoding="utf-8")
    with chromium_page(PAGE_TIMEOUT_MS, viewport={"width": 1400, "height": 1000}) as page:
        _first_visit(page, server)
        _open(page, "Data", "Data")
        # The upload section has three uploaders; the builder's sample is the fourth.
        _upload(page, 3, sample, expect="Your participants file")
        _shown(page, "Chris Person")  # the preview of the first rows (a grid drawn after the run)
        _select(page, "participant_id (required)", "Client Ref")
        _select(page, "referral_date (required)", "Referred")
        _select(page, "entry_date (required)", "Started")
        _select(page, "pathway", "Setting")
        # One choice per value of their pathway column, in our words.
        _select(page, "Setting: Prison", "Custody")
        _select(page, "Setting: Probation", "Community")
        # Read day first (the default), 08/16/2023 is no date; month first, it is 16 Aug.
        _shown(page, "not a date: the import would stop here")
        _select(page, "Format of the dates", "month/day/year (12/31/2023)")
        _shown(page, "16 Aug 2023")
        assert page.get_by_text("not a date: the import would stop here").count() == 0
        _select_typed(page, "Time zone of timestamps", "America/New_York")
        drop = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Personal columns").first
        with one_run(page, PAGE_TIMEOUT_MS):
            choose(page, drop, "Client Name")
        name = page.get_by_label("Mapping name")
        with one_run(page, PAGE_TIMEOUT_MS):
            name.fill("Browser CRM")
            name.press("Enter")
        page.get_by_role("button", name="Save mapping").click()
        page.get_by_text("Mapping Browser CRM saved as browser-crm.toml.").first.wait_for(
            timeout=PAGE_TIMEOUT_MS
        )
        assert _errors(page) == []

    mapping = load_mapping(mappings / "browser-crm.toml")
    assert mapping.participants.columns == {
        "participant_id": "Client Ref", "region": "Region", "referral_date": "Referred",
        "entry_date": "Started", "pathway": "Setting",
    }
    assert mapping.participants.values == {
        "pathway": {"prison": "custody", "probation": "community"}
    }
    assert (mapping.date_format, mapping.time_zone) == ("%m/%d/%Y", "America/New_York")
    assert mapping.drop == ("Client Name",)
    extract = read_mapped(mapping, sample, key=KEY)
    rows = extract.participants.sort_values("referral_date")
    assert rows["region"].tolist() == ["London", "Wales"]
    assert rows["pathway"].tolist() == ["custody", "community"]
    assert [d.date().isoformat() for d in rows["referral_date"]] == ["2023-08-16", "2023-09-01"]
    assert "Chris Person" not in extract.participants.to_csv()
