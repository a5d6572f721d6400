"""The Data page's "Alerts" section (issue 29): directors see what fired and when; nobody else.

A small database (the hand-built extract of ``tests/test_alerts.py``) holds two alerts that
fired, recorded with fixed times, so what the page shows is worked out by hand: UK dates,
the rule in words, the scope, the number of recipients. The upload path's alert run is
tested without a browser (``dashboard.uploads.alerts_after_upload``) against the loopback
SMTP server.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alerts_support import *  # noqa: F403
from alerts_support import received
from apptest_support import TIMEOUT, tables_shown
from smtp_support import *  # noqa: F403
from smtp_support import SmtpServer
from streamlit.testing.v1 import AppTest
from test_alerts import ACCESS, DIRECTOR, LEAD, RED_JOBS, STAKEHOLDER, WORK, _alerts_text, _import

from dashboard.uploads import alerts_after_upload
from ete_metrics.data import db

PAGE = "app_pages/7_data.py"
APP = str(Path(__file__).resolve().parents[1] / "app.py")
MANAGER = "data.manager@example.org"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret",
    "client_id": "00000000-0000-0000-0000-000000000000",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
}
RULE = f"{WORK.label} RAG turns Red"


@pytest.fixture
def fired_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database with the hand-built extract and two alerts recorded as fired."""
    access = tmp_path / "access.toml"
    access.write_text(ACCESS + f'\n[users."{MANAGER}"]\nrole = "data_manager"\n', encoding="utf-8")
    monkeypatch.setenv("ETE_ACCESS_FILE", str(access))
    monkeypatch.setenv("ETE_SUBSCRIPTIONS_FILE", str(tmp_path / "none.toml"))  # asked for, absent
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    assert _import(tmp_path, url, RED_JOBS, "data") == 0
    engine = db.make_engine(url)
    try:
        db.record_alert_fired(
            engine,
            fired_at=datetime(2021, 7, 21, 9, 30, tzinfo=UTC),
            key="a" * 64,
            rule=RULE,
            scope="Wales",
            as_of=datetime(2021, 7, 20).date(),
            reading="Job starts to date: 1 against a target to date of 4 (25.0% of target): Red.",
            recipients=1,
            trigger="import #1",
        )
        db.record_alert_fired(
            engine,
            fired_at=datetime(2021, 8, 2, 17, 5),
            key="b" * 64,
            rule="No import for 10 days",
            scope="All regions",
            as_of=datetime(2021, 7, 20).date(),
            reading="The latest import was on 21 Jul 2021, 12 days before 2 Aug 2021.",
            recipients=3,
            trigger="deliver",
        )
    finally:
        engine.dispose()
    monkeypatch.setenv("ETE_DATABASE_URL", url)
    return url


def _data_page(email: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email, "name": email.split("@")[0]}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _page_text(at: AppTest) -> str:
    texts = [
        e.value
        for kind in ("markdown", "caption", "subheader", "info", "warning")
        for e in getattr(at, kind)
    ]
    texts += [table.value.to_csv() for table in tables_shown(at)]
    return "\n".join(str(t) for t in texts)


def test_a_director_sees_what_fired_and_when(fired_db: str) -> None:
    at = _data_page(DIRECTOR)
    assert "Alerts" in [h.value for h in at.subheader]
    shown = [t.value for t in tables_shown(at) if "Recipients" in t.value.columns]
    assert len(shown) == 1
    table = shown[0]
    assert list(table.columns) == [
        "Fired",
        "Alert",
        "Scope",
        "Figures as at",
        "Recipients",
        "Reading",
    ]
    assert table["Fired"].tolist() == [
        "2 Aug 2021 17:05 UTC",
        "21 Jul 2021 09:30 UTC",
    ]  # newest first
    assert table["Alert"].tolist() == ["No import for 10 days", RULE]
    assert table["Scope"].tolist() == ["All regions", "Wales"]
    assert table["Figures as at"].tolist() == ["20 Jul 2021", "20 Jul 2021"]
    assert table["Recipients"].tolist() == ["3", "1"]


@pytest.mark.parametrize("email", [LEAD, STAKEHOLDER, MANAGER])
def test_nobody_but_a_director_sees_the_alerts(fired_db: str, email: str) -> None:
    at = _data_page(email)
    assert "Alerts" not in [h.value for h in at.subheader]
    text = _page_text(at)
    assert RULE not in text and "No import for 10 days" not in text


def test_an_upload_s_import_runs_the_alerts_and_says_what_fired(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    smtp_env: dict[str, str],
) -> None:
    access = tmp_path / "access.toml"
    access.write_text(ACCESS, encoding="utf-8")
    subscriptions = tmp_path / "subscriptions.toml"
    subscriptions.write_text(
        _alerts_text(
            f'measure = "{WORK.target_measure}"\ncondition = "red"\nregions = ["Wales"]\nto = "{LEAD}"'
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("ETE_ACCESS_FILE", str(access))
    monkeypatch.delenv("ETE_SUBSCRIPTIONS_FILE", raising=False)  # beside the access file
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    subscriptions.rename(tmp_path / "later.toml")  # the import itself runs none
    assert _import(tmp_path, url, RED_JOBS, "data") == 0
    (tmp_path / "later.toml").rename(subscriptions)
    engine = db.make_engine(url)
    try:
        lines = alerts_after_upload(engine, 1, now=datetime(2021, 7, 21, 9, tzinfo=UTC))
        assert lines == [
            f"Alert fired: alert 1, {RULE} (Wales): Job starts to date: 1 against a target to date of 4 "
            "(25.0% of target): Red. Sent to 1 recipient."
        ]
        assert alerts_after_upload(engine, 2, now=datetime(2021, 7, 21, 10, tzinfo=UTC)) == []
        assert received(smtp_server) == [(LEAD,)]
        # dated with the run's time (21 Jul 2021 was a Wednesday), not the clock's
        assert smtp_server.handler.messages()[0]["Date"] == "Wed, 21 Jul 2021 09:00:00 +0000"
        with engine.connect() as connection:
            trigger = connection.execute(sa.text('SELECT "trigger" FROM alerts_fired')).scalar_one()
        assert trigger == "import #1, dashboard upload"
        # a broken rules file is told, not raised
        subscriptions.write_text("[[alert]]\ncondition = 1\n", encoding="utf-8")
        told = alerts_after_upload(engine, 3, now=datetime(2021, 7, 21, 11, tzinfo=UTC))
        assert len(told) == 1 and told[0].startswith(
            "Alert problem: the alerts could not be evaluated"
        )
    finally:
        engine.dispose()


def test_an_upload_on_the_data_page_fires_the_alert_and_the_director_sees_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    smtp_env: dict[str, str],
) -> None:
    from test_alerts import GREEN_JOBS, TARGETS, _milestones, _participants

    access = tmp_path / "access.toml"
    access.write_text(ACCESS, encoding="utf-8")
    monkeypatch.setenv("ETE_ACCESS_FILE", str(access))
    monkeypatch.delenv("ETE_SUBSCRIPTIONS_FILE", raising=False)
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    assert _import(tmp_path, url, GREEN_JOBS, "green") == 0  # Green, before any alert is set
    (tmp_path / "subscriptions.toml").write_text(
        _alerts_text(
            f'measure = "{WORK.target_measure}"\ncondition = "red"\nregions = ["Wales"]\nto = "{LEAD}"'
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("ETE_DATABASE_URL", url)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)  # no sign-in: the local director
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "No alert has fired yet." in _page_text(at)
    for role, text in (
        ("participants", _participants()),
        ("milestones", _milestones(RED_JOBS)),
        ("targets", TARGETS),
    ):
        at.file_uploader(key=f"upload_{role}_0").set_value(
            (f"{role}.csv", text.encode(), "text/csv")
        )
    at.run()
    at.button(key="upload_confirm").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    told = [i.value for i in at.info]
    assert told == [
        f"Alert fired: alert 1, {RULE} (Wales): Job starts to date: 1 against a target to date of 4 "
        "(25.0% of target): Red. Sent to 1 recipient."
    ]
    assert received(smtp_server) == [(LEAD,)]
    table = next(t.value for t in tables_shown(at) if "Recipients" in t.value.columns)
    assert table[["Alert", "Scope", "Figures as at", "Recipients"]].values.tolist() == [
        [RULE, "Wales", "20 Jul 2021", "1"]
    ]


def test_a_director_previewing_a_lead_sees_no_alerts(fired_db: str) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": DIRECTOR, "name": "director"}
    at.run()
    at.session_state["ete_preview_as"] = f"{LEAD} (regional lead · Wales)"
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # the preview is shown, not refused
    assert "Data" in [h.value for h in at.header] and not at.error
    assert "Import history" in [h.value for h in at.subheader]
    assert "Alerts" not in [h.value for h in at.subheader]
    assert RULE not in _page_text(at)
    at.session_state["ete_preview_as"] = "My own view"
    at.run()
    assert "Alerts" in [h.value for h in at.subheader]
