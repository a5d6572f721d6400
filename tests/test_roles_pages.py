"""Sign-in and roles on every page (AppTest with ``at.user`` and an ``[auth]`` secret).

Sign-in is configured through ``at.secrets["auth"]`` (what ``dashboard.auth`` reads
as ``st.secrets``) and the user through ``at.user``; the access file is written to
``tmp_path`` and named by ``ETE_ACCESS_FILE``. For each role:

- a Wales regional lead: every table, chart, text and download (CSV, Excel and the
  three reports) of every page holds only Wales — no other region's name, delivery
  partner, prison, provider or employer, and only Wales participants' ids — and the
  figures are those of the Wales data computed here with :mod:`ete_metrics`;
  ``?region=London`` changes nothing;
- a stakeholder: the stakeholder audience always (even with ``?audience=internal``;
  the control is disabled), no count from 1 to 4 and no participant id in any table,
  tile, text, chart or download, no uploads;
- an unknown email: the no-access page, no data, no pages; signed out: the sign-in page;
- director and data manager: uploads and the audit trail; sign-ins, exports and
  imports are recorded (once per session for sign-ins).
"""

from __future__ import annotations

import html
import io
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import streamlit as st
from apptest_support import *  # noqa: F403
from apptest_support import (
    APP,
    PAGES,
    TIMEOUT,
    DemoData,
    each_screen,
    prepare_reports,
    tables_shown,
)
from streamlit.testing.v1 import AppTest

from dashboard.escape import markdown_literal, unescape_markdown
from ete_metrics import config
from ete_metrics.counting.scope import Scope
from ete_metrics.data import db
from ete_metrics.metrics.funnel import funnel
from ete_metrics.present.workbook import read_tables
from ete_metrics.protect.audience import VIEWS
from ete_metrics.protect.disclosure import find_disclosive_counts
from ete_metrics.steps import ENTERED
from ete_metrics.views import heading

WALES = "Wales"
OTHER_REGIONS = tuple(r for r in config.regions() if r != WALES)
PARTICIPANT_ID = re.compile(r"P\d{7}")
#: Columns (on screen and in files) holding small whole numbers that are not counts of people.
NOT_COUNTS = (
    # observed / expected ratios, shown with two decimals ("1.00" is a ratio, not a count)
    "Observed / expected", "Lower 95% limit of the ratio", "Upper 95% limit of the ratio",
    "Ratio 95% low", "Ratio 95% high",
    "Months since entry", "Days since entry", "Id", "ID", "Median days", "Q1 days", "Q3 days",
    "Median days to work", "months_since_entry", "days_since_entry", "id", "median_days",
    "q1_days", "q3_days", "median_days_to_work",
)
#: Rate-like columns of the files (fractions: 1.0 is 100%, not a count of one).
#: Rate-like columns by name (in frames) and by heading (on screen and in files).
RATE_COLUMNS = tuple(sorted(
    {n for spec in VIEWS.values() for c in (*spec.rates, *spec.derived) for n in (c, heading(c), spec.heading(c))}
))
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret",
    "microsoft": {
        "client_id": "00000000-0000-0000-0000-000000000000",
        "client_secret": "not-a-real-secret",
        "server_metadata_url": "https://login.microsoftonline.com/tenant/v2.0/.well-known/openid-configuration",
    },
}
LEAD = "lead.wales@example.org"
STAKEHOLDER = "partner@example.org"
DIRECTOR = "director@example.org"
MANAGER = "data.manager@example.org"


@pytest.fixture
def access_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_db_url: str) -> Path:
    path = tmp_path / "access.toml"
    path.write_text(
        f"""
[users."{DIRECTOR}"]
role = "director"

[users."{MANAGER}"]
role = "data_manager"

[users."{LEAD}"]
role = "regional_lead"
regions = ["Wales"]

[users."{STAKEHOLDER}"]
role = "stakeholder"
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("ETE_ACCESS_FILE", str(path))
    return path


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every download button rendered: its file name and data function (the real button too)."""
    calls: list[dict[str, Any]] = []
    original = st.download_button

    def recording(*args: Any, **kwargs: Any) -> Any:
        data = kwargs["data"] if "data" in kwargs else args[1]
        calls.append({"label": args[0] if args else kwargs.get("label"),
                      "file_name": kwargs.get("file_name"), "data": data})
        return original(*args, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    return calls


def signed_in(email: str | None, query_params: dict[str, Any] | None = None) -> AppTest:
    """An AppTest of app.py with sign-in configured and ``email`` signed in (None: signed out)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": False} if email is None else {
        "is_logged_in": True, "email": email, "name": email.split("@")[0]}
    for name, value in (query_params or {}).items():
        at.query_params[name] = value
    return at


def visit(at: AppTest, page: str, recorded: list[dict[str, Any]] | None = None) -> AppTest:
    """Run the app if needed and open ``page``; ``recorded`` keeps only that page's downloads.

    With ``recorded``, the Overview's reports are prepared first, so their downloads are kept too.
    """
    if "ete_filters" not in at.session_state:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    if recorded is not None:
        recorded.clear()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if recorded is not None and page == "app_pages/1_overview.py":
        prepare_reports(at)  # the reports are downloads of the page too, once prepared
        recorded.clear()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> list[str]:
    out: list[str] = []
    for kind in ("markdown", "caption", "info", "warning", "success", "error", "subheader",
                 "header", "title"):
        out.extend(str(el.value) for el in at.get(kind))
    out.extend(f"{m.label} {m.value} {m.delta or ''} {m.help or ''}" for m in at.metric)
    return out


def _charts(at: AppTest) -> list[str]:
    return [str(el.proto.spec) for el in at.get("plotly_chart")]


def _download_tables(content: bytes, file_name: str) -> list[pd.DataFrame]:
    """The tables of a downloaded CSV or Excel file.

    A workbook's tables are read back through its Contents sheet
    (:func:`ete_metrics.present.workbook.read_tables`), and its other text (cover, notes,
    the lines above each table) as one more frame of one text column.
    """
    if file_name.endswith(".csv"):
        return [pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)]
    tables = list(read_tables(content).values())
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    text = [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
            for v in row if isinstance(v, str)]
    return [*tables, pd.DataFrame({"text": text})]


def _report_text(content: bytes, file_name: str) -> str:
    """All the text of a report file (pptx, pdf or xlsx)."""
    if file_name.endswith(".pdf"):
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    if file_name.endswith(".pptx"):
        from pptx import Presentation

        parts = []
        for slide in Presentation(io.BytesIO(content)).slides:
            for shape in slide.shapes:
                if shape.has_text_frame:
                    parts.append(shape.text_frame.text)
                if getattr(shape, "has_table", False) and shape.has_table:
                    parts.extend(cell.text for row in shape.table.rows for cell in row.cells)
        return "\n".join(parts)
    return "\n".join(
        " ".join("" if v is None else str(v) for v in row)
        for table in _download_tables(content, file_name) for row in table.itertuples(index=False)
    )


# --- What belongs to Wales and what does not -------------------------------------


@pytest.fixture(scope="module")
def wales(demo_data: DemoData) -> dict[str, Any]:
    """Wales's ids, and the names (partners, prisons, providers, employers) only other regions have."""
    p, m = demo_data.participants, demo_data.milestones
    in_wales = p["region"] == WALES
    wales_ids = set(p.loc[in_wales, "participant_id"])
    wales_milestones = m[m["participant_id"].isin(wales_ids)]
    others = m[~m["participant_id"].isin(wales_ids)]
    foreign: set[str] = set()
    for column in ("delivery_partner", "prison"):
        foreign |= set(p.loc[~in_wales, column].dropna()) - set(p.loc[in_wales, column].dropna())
    foreign |= set(others["partner"].dropna()) - set(wales_milestones["partner"].dropna())
    foreign -= {""}
    return {"ids": wales_ids, "foreign": foreign, "participants": p[in_wales],
            "milestones": wales_milestones}


def _wales_problems(where: str, text: str, wales: dict[str, Any]) -> list[str]:
    problems = [f"{where}: {region}" for region in OTHER_REGIONS if region in text]
    # Charts draw names HTML-escaped (ete_metrics.present.charts.style.plotly_text): look for both forms.
    problems += [f"{where}: {name}" for name in wales["foreign"]
                 if name in text or html.escape(name, quote=False) in text]
    problems += [f"{where}: id {pid}" for pid in set(PARTICIPANT_ID.findall(text)) - wales["ids"]]
    return problems


def _frame_text(frame: pd.DataFrame) -> str:
    return " | ".join([*map(str, frame.columns), *(str(v) for v in frame.to_numpy().ravel())])


# --- A Wales lead ----------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_a_wales_lead_sees_only_wales_on_every_page(
    access_file: Path, recorded: list[dict[str, Any]], wales: dict[str, Any], page: str
) -> None:
    at = visit(signed_in(LEAD, {"region": "London"}), page, recorded)
    assert at.session_state["ete_filters"].regions == (WALES,)
    assert at.sidebar.multiselect(key="filter_regions").options == [WALES]
    # the link's region is named back to the lead, escaped, as ignored: the one place it may appear
    ignored = markdown_literal(
        "The link's ‘region=London’ was ignored: no region of that name is in the data you can see. "
        f"No other region is chosen, so the figures are for all your regions ({WALES}).")
    assert ignored in _texts(at)
    problems: list[str] = []
    tables = 0
    for screen in each_screen(at, page):  # every slide of the presentation
        tables += len(tables_shown(screen))
        for element in tables_shown(screen):
            problems += _wales_problems(f"table {list(element.value.columns)[:3]}",
                                        _frame_text(element.value), wales)
        for index, spec in enumerate(_charts(screen)):
            problems += _wales_problems(f"chart {index}", spec, wales)
        contract_regions = ", ".join(config.regions())  # the About page's description of the contract
        for text in _texts(screen):
            text = text.replace(contract_regions, "").replace(ignored, "")
            problems += _wales_problems(f"text {text[:40]!r}", text, wales)
    for call in recorded:  # every download of the page, as the user would get it
        content = call["data"]()
        name = call["file_name"]
        text = (_report_text(content, name) if name.startswith("ete_outcomes_") else
                "\n".join(_frame_text(t) for t in _download_tables(content, name)))
        problems += _wales_problems(f"download {name}", text, wales)
    assert not problems, problems[:20]
    if page != "app_pages/8_about.py":
        assert tables, "each data page shows tables (so the scan above can fail)"


def test_a_wales_lead_gets_the_wales_figures(
    access_file: Path, wales: dict[str, Any], demo_data: DemoData
) -> None:
    at = visit(signed_in(LEAD), "app_pages/1_overview.py")
    expected = funnel(
        Scope(wales["participants"], wales["milestones"], as_of=demo_data.cutoff),
        include_sustained=True,
    )
    entered = int(expected.loc[expected["step"] == ENTERED.name, "participants"].iloc[0])
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Entered"] == f"{entered:,}"
    everyone = funnel(Scope(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff))
    assert entered < int(everyone.loc[everyone["step"] == ENTERED.name, "participants"].iloc[0])
    data_page = visit(at, "app_pages/7_data.py")
    assert any(f"holds {len(wales['participants']):,} referrals" in str(c.value)
               for c in data_page.caption)
    # the import history shows no whole-extract row counts to a regional lead
    history = [e.value for e in tables_shown(data_page) if "Extract date" in e.value.columns]
    assert history and not any("Participants rows" in h.columns for h in history)


def test_a_region_in_the_url_changes_nothing(access_file: Path) -> None:
    plain = visit(signed_in(LEAD), "app_pages/3_regions.py")
    london = visit(signed_in(LEAD, {"region": ["London", "North West"]}), "app_pages/3_regions.py")
    assert london.session_state["ete_filters"] == plain.session_state["ete_filters"]
    assert len(tables_shown(london)) == len(tables_shown(plain)) > 0
    for ours, theirs in zip(tables_shown(plain), tables_shown(london), strict=True):
        pd.testing.assert_frame_equal(ours.value, theirs.value)
    assert _charts(london) == _charts(plain)
    assert london.query_params.get("region") in (WALES, [WALES])


def test_a_wales_lead_cannot_upload_or_read_the_audit_trail(access_file: Path) -> None:
    at = visit(signed_in(LEAD), "app_pages/7_data.py")
    assert not at.get("file_uploader")
    assert not any(h.value == "Audit trail" for h in at.subheader)
    assert any("for directors and data managers" in str(c.value) for c in at.caption)


def test_cached_data_never_crosses_roles(access_file: Path) -> None:
    director = visit(signed_in(DIRECTOR), "app_pages/3_regions.py")
    assert set(director.sidebar.multiselect(key="filter_regions").options) == set(config.regions())
    assert any("London" in _frame_text(e.value) for e in tables_shown(director))
    lead = visit(signed_in(LEAD), "app_pages/3_regions.py")  # same process, warm caches
    assert lead.sidebar.multiselect(key="filter_regions").options == [WALES]
    assert not any("London" in _frame_text(e.value) for e in tables_shown(lead))


# --- A stakeholder ---------------------------------------------------------------


def _disclosure_problems(at: AppTest, recorded: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    for element in tables_shown(at):
        frame = element.value
        bad = find_disclosive_counts(frame, ignore_columns=[c for c in NOT_COUNTS if c in frame])
        problems += [f"table {b.column}={b.value!r}" for b in bad]
        if PARTICIPANT_ID.search(_frame_text(frame)):
            problems.append(f"participant id in table {list(frame.columns)[:3]}")
    for metric in at.metric:
        if re.fullmatch(r"[1-4]", str(metric.value).strip()):
            problems.append(f"tile {metric.label}={metric.value}")
    for text in _texts(at):
        if PARTICIPANT_ID.search(text):
            problems.append(f"participant id in text {text[:60]!r}")
        if re.search(r"(?<![\d.,])[1-4] (?:people|person|referrals?|participants?)\b", text):
            problems.append(f"small count in text {text[:60]!r}")
    for index, spec in enumerate(_charts(at)):
        if PARTICIPANT_ID.search(spec):
            problems.append(f"participant id in chart {index}")
    for call in recorded:
        content, name = call["data"](), call["file_name"]
        if name.startswith("ete_outcomes_"):
            text = _report_text(content, name)
            if PARTICIPANT_ID.search(text):
                problems.append(f"participant id in {name}")
            continue
        assert "_rounded_suppressed" in name, name
        for table in _download_tables(content, name):
            ignored = [c for c in (*NOT_COUNTS, *RATE_COLUMNS) if c in table]
            bad = find_disclosive_counts(table, ignore_columns=ignored)
            problems += [f"download {name} {b.column}={b.value!r}" for b in bad]
            if PARTICIPANT_ID.search(_frame_text(table)):
                problems.append(f"participant id in {name}")
    return problems


@pytest.mark.parametrize("page", PAGES)
def test_a_stakeholder_never_sees_small_counts_or_ids(
    access_file: Path, recorded: list[dict[str, Any]], page: str
) -> None:
    at = visit(signed_in(STAKEHOLDER, {"audience": "internal"}), page, recorded)
    assert at.session_state["ete_filters"].audience == "stakeholder"
    assert not [r for r in at.sidebar.radio if r.key == "filter_audience"]  # said in words, always
    assert any(m.value.startswith("**Audience**: Stakeholder (protected)") for m in at.sidebar.markdown)
    assert not at.get("file_uploader")
    assert not any(h.value in ("Follow-up list", "Audit trail") for h in at.subheader)
    problems = [p for screen in each_screen(at, page) for p in _disclosure_problems(screen, recorded)]
    assert not problems, problems[:20]


def test_the_stakeholder_scan_can_fail(access_file: Path, recorded: list[dict[str, Any]]) -> None:
    """The same scan on a director's partners page finds small counts (so the test above can fail)."""
    at = visit(signed_in(DIRECTOR), "app_pages/5_partners.py")
    problems = [p for p in _disclosure_problems(at, []) if p.startswith("table")]
    assert problems
    funnels = visit(signed_in(DIRECTOR), "app_pages/2_funnels.py")
    assert any("participant id" in p for screen in each_screen(funnels, "app_pages/2_funnels.py")
               for p in _disclosure_problems(screen, []))


def test_a_stakeholder_cannot_switch_to_internal(access_file: Path) -> None:
    at = visit(signed_in(STAKEHOLDER), "app_pages/2_funnels.py")
    at.session_state["filter_audience"] = "internal"  # as if the disabled control were changed
    at.run()
    assert not at.exception
    assert at.session_state["ete_filters"].audience == "stakeholder"
    assert [t.label for t in at.tabs] == ["Entry to training and work", "Drop-off between steps", "From referral"]


# --- No access -------------------------------------------------------------------


def _assert_no_data(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not tables_shown(at) and not at.get("plotly_chart") and not at.metric
    assert not at.get("download_button") and not at.multiselect
    assert "ete_filters" not in at.session_state
    texts = " ".join(_texts(at))
    assert not PARTICIPANT_ID.search(texts)
    assert "referrals" not in texts


def test_an_unknown_email_sees_the_no_access_page(access_file: Path) -> None:
    at = signed_in("stranger@example.org", {"region": "Wales"})
    at.run()
    _assert_no_data(at)
    assert any("signed in as stranger@example.org, but you have no access"
               in unescape_markdown(str(e.value)) for e in at.error)
    assert [b.label for b in at.button] == ["Sign out"]
    # no other page is reachable: the only page registered is the gate
    with pytest.raises(Exception):  # noqa: B017, PT011 - AppTest refuses an unknown page
        at.switch_page("app_pages/2_funnels.py")
        at.run()
        if not at.exception:
            raise AssertionError("switched")
    _assert_no_data(at)


def test_a_page_run_on_its_own_is_gated_too(access_file: Path) -> None:
    at = AppTest.from_file(str(Path(APP).parent / "app_pages" / "2_funnels.py"), default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "stranger@example.org"}
    at.run()
    _assert_no_data(at)
    assert any("no access" in str(e.value) for e in at.error)


def test_signed_out_sees_only_the_sign_in_page(access_file: Path) -> None:
    at = signed_in(None)
    at.run()
    _assert_no_data(at)
    assert [b.label for b in at.button] == ["Sign in with Microsoft"]


def test_a_broken_access_file_shows_nothing(access_file: Path) -> None:
    access_file.write_text(f'[users."{LEAD}"]\nrole = "regional_lead"\n', encoding="utf-8")
    at = signed_in(LEAD)
    at.run()
    _assert_no_data(at)
    shown = [unescape_markdown(str(e.value)) for e in at.error]
    assert any("is a regional_lead without regions" in m and str(access_file) in m for m in shown)


# --- Directors, data managers and the audit trail --------------------------------


def _audit(url: str, actor: str) -> pd.DataFrame:
    engine = db.make_engine(url)
    try:
        return db.load_audit(engine, actor=actor)
    finally:
        engine.dispose()


@pytest.fixture
def fresh_manager(access_file: Path) -> Iterator[str]:
    """A data manager with an email of their own, so this test's audit events are its own."""
    email = f"manager.{uuid.uuid4().hex[:8]}@example.org"
    with access_file.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[users."{email}"]\nrole = "data_manager"\n')
    yield email


def test_sign_in_is_recorded_once_per_session(fresh_manager: str, demo_db_url: str) -> None:
    at = signed_in(fresh_manager)
    at.run()
    at.run()
    visit(at, "app_pages/4_cohorts.py")
    events = _audit(demo_db_url, fresh_manager)
    assert events["action"].tolist() == ["sign_in"]
    assert events["role"].tolist() == ["data_manager"]
    assert json.loads(events["filters"].iloc[0]) == {"scope": "all regions"}


@pytest.fixture
def new_wales_lead(access_file: Path) -> str:
    """A Wales regional lead with an email of their own, so the test's audit events are theirs."""
    email = f"lead.{uuid.uuid4().hex[:8]}@example.org"
    with access_file.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[users."{email}"]\nrole = "regional_lead"\nregions = ["Wales"]\n')
    return email


def test_every_download_is_recorded(
    new_wales_lead: str, recorded: list[dict[str, Any]], demo_db_url: str
) -> None:
    email = new_wales_lead
    visit(signed_in(email), "app_pages/3_regions.py", recorded)
    csv_calls = [c for c in recorded if str(c["file_name"]).endswith((".csv", ".xlsx"))]
    assert csv_calls
    assert _audit(demo_db_url, email)["action"].tolist() == ["sign_in"]  # rendering is not exporting
    contents = [call["data"]() for call in csv_calls]
    events = _audit(demo_db_url, email).sort_values("id")
    exports = events[events["action"] == "export"]
    from ete_metrics.data.audit import sha256_of

    assert exports["file_sha256"].tolist() == [sha256_of(c) for c in contents]
    assert [d.split(" (")[0] for d in exports["detail"]] == [c["file_name"] for c in csv_calls]
    assert set(exports["role"]) == {"regional_lead"}
    filters = json.loads(exports["filters"].iloc[0])
    assert filters["scope"] == [WALES] and filters["regions"] == [WALES]
    assert filters["audience"] == "internal"


def test_a_prepared_report_is_recorded_when_downloaded(
    new_wales_lead: str, recorded: list[dict[str, Any]], demo_db_url: str
) -> None:
    email = new_wales_lead
    at = visit(signed_in(email), "app_pages/1_overview.py")
    recorded.clear()
    at.button(key="overview_report_prepare_xlsx").click().run()
    assert not at.exception, [e.value for e in at.exception]
    reports = [c for c in recorded if str(c["file_name"]).startswith("ete_outcomes_")]
    assert [str(c["file_name"]).rsplit(".", 1)[-1] for c in reports] == ["xlsx"]
    assert _audit(demo_db_url, email)["action"].tolist() == ["sign_in"]  # preparing is not exporting
    content = reports[0]["data"]()
    exports = _audit(demo_db_url, email).query("action == 'export'")
    from ete_metrics.data.audit import sha256_of

    assert exports["file_sha256"].tolist() == [sha256_of(content)]
    assert [d.split(" (")[0] for d in exports["detail"]] == [reports[0]["file_name"]]
    assert json.loads(exports["filters"].iloc[0])["regions"] == [WALES]


def test_a_data_manager_can_upload_and_read_the_audit_trail(
    fresh_manager: str, demo_db_url: str
) -> None:
    at = visit(signed_in(fresh_manager), "app_pages/7_data.py")
    keys = [u.key for u in at.get("file_uploader")]
    # The extract's three files, and the mapping builder's sample.
    assert len([k for k in keys if k.startswith("upload_")]) == 3
    assert [k for k in keys if k.startswith("mapping_")] == ["mapping_sample_participants"]
    assert any(h.value == "Audit trail" for h in at.subheader)
    trail = next(e.value for e in tables_shown(at) if "Actor" in e.value.columns)
    mine = trail[trail["Actor"] == fresh_manager]
    assert mine["Action"].tolist() == ["sign_in"]
    assert mine["Occurred at"].iloc[0].endswith(" UTC")


def test_local_mode_is_a_director_with_a_banner(demo_db_url: str) -> None:
    at = visit(AppTest.from_file(APP, default_timeout=TIMEOUT), "app_pages/7_data.py")
    assert any(w.value.startswith("Sign-in is off") for w in at.warning)
    assert at.get("file_uploader")
    assert any(h.value == "Audit trail" for h in at.subheader)
    assert not any(b.label == "Sign out" for b in at.button)


def test_signed_in_users_see_who_they_are_and_no_banner(access_file: Path) -> None:
    at = signed_in(LEAD)
    at.run()
    assert not any(w.value.startswith("Sign-in is off") for w in at.warning)
    assert any(f"Signed in as **{LEAD}** (regional lead · Wales)" in unescape_markdown(str(c.value))
               for c in at.sidebar.caption)
    assert any(b.label == "Sign out" for b in at.sidebar.button)


def test_an_upload_is_recorded_with_its_file_hashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Data page's import step records who imported which files (local mode: ``local``)."""
    import hashlib

    from dashboard.audit import record_upload

    url = f"sqlite:///{tmp_path / 'ete.db'}"
    monkeypatch.setenv("ETE_DATABASE_URL", url)
    (tmp_path / "people.csv").write_bytes(b"participant_id,region\n")
    (tmp_path / "events.csv").write_bytes(b"participant_id,milestone,date\n")
    record_upload(import_id=3, files={"participants": tmp_path / "people.csv",
                                      "milestones": tmp_path / "events.csv"},
                  rows={"participants": 0, "milestones": 0}, replace_all=True)
    events = _audit(url, "local")
    assert events["action"].tolist() == ["import"] and events["role"].tolist() == ["director"]
    assert events["file_sha256"].iloc[0] == hashlib.sha256(b"participant_id,region\n").hexdigest()
    assert events["detail"].iloc[0].startswith(
        "import #3 (replacing all data, dashboard upload): participants people.csv (sha256 ")


def test_a_wales_lead_sees_wales_beside_the_programme(
    access_file: Path, wales: dict[str, Any], demo_data: DemoData
) -> None:
    from ete_metrics import views
    from ete_metrics.metrics.comparison import programme_benchmark
    from ete_metrics.present.tables import display_table

    at = visit(signed_in(LEAD), "app_pages/3_regions.py")
    assert not at.exception
    assert any(s.value == "Wales against the programme" for s in at.subheader)
    assert not any(s.value == "Compared with the overall rate" for s in at.subheader)  # not Wales with itself
    mine = funnel(Scope(wales["participants"], wales["milestones"], as_of=demo_data.cutoff))
    programme = funnel(Scope(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff))
    expected = programme_benchmark(mine, programme)
    # the programme's work rate is every region's: people in work / people entered
    people = programme.set_index("step")["participants"]
    assert expected.set_index("step").loc["work", "programme_rate"] == pytest.approx(
        people["work"] / people["entered"])
    want = display_table(expected, views.BENCHMARK)
    shown = [d.value.reset_index(drop=True) for d in tables_shown(at) if list(d.value.columns) == list(want.columns)]
    assert len(shown) == 1
    pd.testing.assert_frame_equal(shown[0], want, check_dtype=False)
    assert "Programme (all regions) rate" in want.columns


def test_a_wales_leads_overview_names_wales_not_all_regions(access_file: Path) -> None:
    at = visit(signed_in(LEAD, {"as_of": "2023-08-16"}), "app_pages/1_overview.py")
    assert not at.exception
    # the RAG table holds Wales only: no total of Wales alone called "All regions"
    grids = [d.value for d in tables_shown(at) if "Projected at contract end (work)" in d.value.columns]
    assert len(grids) == 1 and list(grids[0].index) == ["Wales"]
    captions: list[str] = []
    for screen in each_screen(at, "app_pages/1_overview.py"):  # every tab, the forecast's too
        captions += [c.value for c in screen.caption]
        texts = [*captions, *(m.value for m in screen.markdown)]
        assert not any("All regions" in t for t in texts), [t for t in texts if "All regions" in t]
    assert any("Chance of reaching the contract target by the end (Wales)" in c for c in captions)
