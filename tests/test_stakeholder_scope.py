"""Stakeholder figures cover the whole programme or one region, never a total of some regions.

Each publication is rounded on its own, so a pair of regions' totals, set beside each region's
own published figures and the programme's, narrows the true counts until some are exact (the
crafted intruder, ``tests/test_intruder_crafted.py``, pinned 106 counts from the pairs'
publications and none without them). So a stakeholder publication of several regions but not
all of them is refused on every path: the library, the report, the command line and the pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_support import *  # noqa: F403
from apptest_support import APP, AUTH, PAGES, TIMEOUT, DemoData
from cli_support import run
from streamlit.testing.v1 import AppTest

from ete_metrics import config
from ete_metrics.errors import InputError
from ete_metrics.present.report import report_content
from ete_metrics.protect.audience import check_stakeholder_scope

REGIONS = config.regions()
PAIR = [REGIONS[1], REGIONS[2]]  # the North West and the West Midlands
PAIR_USER = "pair@example.org"
ONE_USER = "wales@example.org"
ACCESS = f"""
[users."{PAIR_USER}"]
role = "stakeholder"
regions = {PAIR!r}

[users."{ONE_USER}"]
role = "stakeholder"
regions = ["Wales"]
""".replace("'", '"')


@pytest.mark.parametrize("regions", [None, [], ["Wales"], REGIONS, [*REGIONS, "Wales"], ["Wales", "Wales"]])
def test_the_programme_or_one_region_may_be_published(regions: list[str] | None) -> None:
    out = check_stakeholder_scope(regions)
    assert out is None or len(out) in (1, len(REGIONS))


@pytest.mark.parametrize("regions", [PAIR, REGIONS[:3], [REGIONS[0], REGIONS[3]]])
def test_several_regions_but_not_all_are_refused(regions: list[str]) -> None:
    with pytest.raises(InputError, match="whole programme or for one region") as refused:
        check_stakeholder_scope(regions)
    assert all(r in str(refused.value) for r in regions)


def test_a_stakeholder_report_of_a_pair_is_refused_and_the_internal_one_is_not(demo_data: DemoData) -> None:
    frames = (demo_data.participants, demo_data.milestones, demo_data.targets)
    with pytest.raises(InputError, match="whole programme or for one region"):
        report_content(*frames, as_of="2023-08-16", regions=PAIR, audience="stakeholder", charts=False)
    internal = report_content(*frames, as_of="2023-08-16", regions=PAIR, audience="internal", charts=False)
    assert internal.regions == tuple(PAIR)
    one = report_content(*frames, as_of="2023-08-16", regions=["Wales"], audience="stakeholder", charts=False)
    assert one.regions == ("Wales",)


def _access(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "access.toml"
    path.write_text(ACCESS, encoding="utf-8")
    monkeypatch.setenv("ETE_ACCESS_FILE", str(path))


def test_the_command_line_refuses_a_stakeholder_of_a_pair(
    demo_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _access(tmp_path, monkeypatch)
    code, out, err = run(capsys, "funnel", "--db", demo_db_url, "--as-user", PAIR_USER)
    assert code != 0 and out == ""
    assert "whole programme or for one region" in err and "Traceback" not in err
    code, out, err = run(capsys, "targets", "--db", demo_db_url, "--audience", "stakeholder",
                         "--region", PAIR[0], "--region", PAIR[1])
    assert code != 0 and out == "" and "whole programme or for one region" in err
    code, out, err = run(capsys, "funnel", "--db", demo_db_url, "--as-user", ONE_USER)
    assert code == 0 and out, err
    code, out, err = run(capsys, "targets", "--db", demo_db_url, "--region", PAIR[0], "--region", PAIR[1])
    assert code == 0 and out, err  # the programme team: any regions


def _signed_in(identity: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": identity, "name": "someone"}
    return at


@pytest.mark.parametrize("page", [p for p in PAGES if not p.endswith("8_about.py")])
def test_a_stakeholder_of_a_pair_sees_no_figures_until_one_region_is_chosen(
    page: str, demo_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _access(tmp_path, monkeypatch)
    at = _signed_in(PAIR_USER)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("whole programme or for one region" in str(e.value) for e in at.error)
    assert not at.dataframe and not at.get("plotly_chart") and not at.metric
    # one of their regions chosen in the sidebar: its figures
    at.sidebar.multiselect[0].set_value([PAIR[0]]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("whole programme or for one region" in str(e.value) for e in at.error)


def test_a_view_with_no_counts_left_shows_its_labels_only() -> None:
    # a regional user's import history: the whole extract's row counts are never loaded for
    # them, so the table holds labels and dates alone (it raised, and the Data page crashed)
    import pandas as pd

    from ete_metrics import views
    from ete_metrics.protect.audience import protect_view

    history = pd.DataFrame({"id": [2, 1], "extract_date": pd.to_datetime(["2024-06-30", "2024-05-31"]),
                            "participants_file": ["b.csv", "a.csv"], "mystery": [0.25, 0.5]})
    with pytest.warns(UserWarning, match="mystery"):
        out = protect_view(history, views.IMPORT_HISTORY)
    assert list(out.columns) == ["id", "extract_date", "participants_file"]
    assert out["participants_file"].tolist() == ["b.csv", "a.csv"]
