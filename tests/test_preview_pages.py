"""A director previews the dashboard as a regional lead or a stakeholder sees it (AppTest).

- The local operator (a director, no sign-in) gets "Preview as" with a lead of each
  region and a stakeholder; a signed-in director gets the access file's leads and
  stakeholders.
- In a preview the pages load only the previewed scope and audience, a banner says it
  is a preview, and the start and the end are written to the audit trail.
- A regional lead or a stakeholder never gets the control, and a preview put in their
  session is ignored.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd
import pytest
from apptest_support import *  # noqa: F403
from apptest_support import APP, AUTH, TIMEOUT, DemoData, new_app, tables_shown
from streamlit.testing.v1 import AppTest

from dashboard.auth import OWN_VIEW, PREVIEW_KEY
from ete_metrics.counting.scope import Scope
from ete_metrics.data import db
from ete_metrics.metrics.funnel import funnel

LEAD = "lead.wales@example.org"
STAKEHOLDER = "partner@example.org"
WALES_LEAD = f"{LEAD} (regional lead · Wales)"


@pytest.fixture
def director(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_db_url: str) -> str:
    """An access file with a director of this test's own (so its audit events are its own)."""
    email = f"director.{uuid.uuid4().hex[:8]}@example.org"
    path = tmp_path / "access.toml"
    path.write_text(
        f'[users."{email}"]\nrole = "director"\n\n'
        f'[users."{LEAD}"]\nrole = "regional_lead"\nregions = ["Wales"]\n\n'
        f'[users."{STAKEHOLDER}"]\nrole = "stakeholder"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ETE_ACCESS_FILE", str(path))
    return email


def _signed_in(email: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email, "name": email.split("@")[0]}
    return at


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _preview(at: AppTest, label: str) -> AppTest:
    at.selectbox(key=PREVIEW_KEY).select(label)
    return _run(at)


def _audit(url: str, actor: str) -> pd.DataFrame:
    engine = db.make_engine(url)
    try:
        frame = db.load_audit(engine, actor=actor)
    finally:
        engine.dispose()
    return frame.loc[frame["action"] == "preview"].sort_values("id").reset_index(drop=True)


def _funnel_on_screen(at: AppTest) -> pd.DataFrame:
    at.switch_page("app_pages/2_funnels.py")
    _run(at)
    return tables_shown(at)[0].value


def test_the_local_operator_previews_a_wales_lead(demo_data: DemoData) -> None:
    at = _run(new_app())
    box = at.selectbox(key=PREVIEW_KEY)
    assert box.options == [
        OWN_VIEW, "A regional lead (London)", "A regional lead (North West)",
        "A regional lead (West Midlands)", "A regional lead (Wales)", "A stakeholder (all regions)",
    ]
    assert not any("Preview" in w.value for w in at.warning)
    _preview(at, "A regional lead (Wales)")
    assert any("**Preview**" in w.value and "regional lead · Wales" in w.value for w in at.warning)
    # Only Wales is loaded: the region filter offers Wales alone, and the figures are Wales's.
    assert at.multiselect(key="filter_regions").options == ["Wales"]
    wales = demo_data.participants.loc[demo_data.participants["region"] == "Wales"]
    entered = funnel(Scope(wales, demo_data.milestones, as_of=demo_data.cutoff))
    shown = _funnel_on_screen(at)
    assert shown.iloc[0]["People"] == f"{int(entered.iloc[0]['participants']):,}"

    at.button(key="end_preview").click()
    _run(at)
    assert not any("Preview" in w.value for w in at.warning)
    assert len(at.multiselect(key="filter_regions").options) == 4
    events = _audit(demo_data.url, "local")
    assert list(events["detail"].str.split(":").str[0])[-2:] == [
        "previewed the dashboard as A regional lead (Wales)", "ended the preview",
    ]


def test_previewing_a_stakeholder_forces_the_stakeholder_audience(demo_data: DemoData) -> None:
    at = _run(new_app())
    _preview(at, "A stakeholder (all regions)")
    assert at.session_state["ete_filters"].audience == "stakeholder"
    # said in words, not a disabled control (its faint text fails WCAG 1.4.3's 4.5:1)
    assert not [r for r in at.radio if r.key == "filter_audience"]
    assert any(m.value.startswith("**Audience**: Stakeholder (protected)") for m in at.sidebar.markdown)


def test_a_signed_in_director_previews_the_access_files_people(director: str, demo_data: DemoData) -> None:
    at = _run(_signed_in(director))
    assert at.selectbox(key=PREVIEW_KEY).options == [
        OWN_VIEW, WALES_LEAD, f"{STAKEHOLDER} (stakeholder · all regions)",
    ]
    _preview(at, WALES_LEAD)
    assert at.multiselect(key="filter_regions").options == ["Wales"]
    events = _audit(demo_data.url, director)
    assert len(events) == 1 and events.loc[0, "role"] == "director"
    assert events.loc[0, "detail"].startswith(f"previewed the dashboard as {WALES_LEAD}")
    # A rerun does not record it again.
    _run(at)
    assert len(_audit(demo_data.url, director)) == 1


@pytest.mark.parametrize("email", [LEAD, STAKEHOLDER])
def test_a_lead_or_a_stakeholder_can_never_preview(
    email: str, director: str, demo_data: DemoData
) -> None:
    at = _run(_signed_in(email))
    assert not [s for s in at.selectbox if s.key == PREVIEW_KEY]
    # Even a preview put into their session is ignored: their own scope and audience stay.
    at.session_state[PREVIEW_KEY] = "A regional lead (London)"
    _run(at)
    at.session_state[PREVIEW_KEY] = f"{STAKEHOLDER} (stakeholder · all regions)"
    _run(at)
    regions = at.multiselect(key="filter_regions").options
    if email == LEAD:
        assert regions == ["Wales"] and at.radio(key="filter_audience").value == "internal"
    else:
        assert len(regions) == 4 and at.session_state["ete_filters"].audience == "stakeholder"
    assert not any("Preview" in w.value for w in at.warning)
