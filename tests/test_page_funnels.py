"""The Funnels page: tables equal ete_metrics' output for the chosen options and filters."""

from __future__ import annotations

from datetime import date

import pandas as pd
from apptest_support import *  # noqa: F403
from apptest_support import DemoData, new_app, open_page, open_section, tables_shown
from streamlit.testing.v1 import AppTest

from ete_metrics import views
from ete_metrics.counting.filters import filter_participants, milestones_for
from ete_metrics.counting.scope import Scope
from ete_metrics.metrics.activity import follow_up_list
from ete_metrics.metrics.funnel import funnel, referral_funnel
from ete_metrics.present.pseudonyms import WORDS, spoken_names
from ete_metrics.present.tables import display_table
from ete_metrics.steps import ENTERED, label

PAGE = "app_pages/2_funnels.py"
RATES = ("rate_from_entry", "rate_from_previous", "ci_low", "ci_high")


def _shown(at: AppTest, i: int) -> pd.DataFrame:
    return tables_shown(at)[i].value.reset_index(drop=True)


def _same(shown: pd.DataFrame, expected: pd.DataFrame, **formats: tuple[str, ...]) -> None:
    pd.testing.assert_frame_equal(shown, display_table(expected, **formats), check_dtype=False)


def test_default_view_matches_the_library(app: AppTest, demo_data: DemoData) -> None:
    open_page(app, PAGE)
    assert not app.error, [e.value for e in app.error]
    p, m, as_of = demo_data.participants, demo_data.milestones, demo_data.cutoff
    expected = funnel(Scope(p, m, as_of=as_of))
    # one tab drawn at a time: the funnel's chart and table only
    assert [t.label for t in app.tabs] == ["Entry to training and work", "Drop-off between steps",
                                           "From referral", "Follow-up list"]
    assert len(tables_shown(app)) == 1 and len(app.get("plotly_chart")) == 1
    _same(_shown(app, 0), expected, counts=("participants",), rates=RATES)
    open_section(app, PAGE, "Drop-off between steps")
    dropoff = expected.loc[expected["step"] != "entered", ["step", "participants", "rate_from_previous"]]
    _same(_shown(app, 0), dropoff.reset_index(drop=True), counts=("participants",), rates=("rate_from_previous",))
    assert app.query_params["funnels_tab"] in ("drop-off-between-steps", ["drop-off-between-steps"])  # in a link
    open_section(app, PAGE, "From referral")
    referrals = referral_funnel(Scope(p, m, as_of=as_of))
    pd.testing.assert_frame_equal(_shown(app, 0), display_table(referrals, views.REFERRAL_FUNNEL),
                                  check_dtype=False)
    assert "Rate from referral" in _shown(app, 0).columns
    # its "Entered" differs from the entry funnel's, and the page says by how many and why
    here = int(referrals.loc[referrals["step"] == ENTERED.name, "participants"].iloc[0])
    above = int(expected.loc[expected["step"] == ENTERED.name, "participants"].iloc[0])
    late = int(((p["entry_date"] <= pd.Timestamp(as_of))
                & ~(p["referral_date"] <= p["entry_date"])).sum())  # referral after entry, or none
    assert above - here == late > 0
    assert any(f"'Entered' here is {here:,}, against {above:,}" in c.value and f"the {late:,} people" in c.value
               for c in app.caption)
    open_section(app, PAGE, "Follow-up list")
    follow_up = follow_up_list(Scope(p, m, as_of=as_of), days=90)
    on_screen = display_table(follow_up, views.FOLLOW_UP)
    on_screen["Caseworker (pseudonym)"] = follow_up["caseworker"].map(spoken_names(follow_up["caseworker"]))
    pd.testing.assert_frame_equal(_shown(app, 0), on_screen, check_dtype=False)
    # The demo's referrals have caseworkers: the list names each one's pseudonym.
    assert list(_shown(app, 0).columns) == [
        "Participant ID", "Region", "Delivery partner", "Caseworker (pseudonym)", "Pathway", "Entry date",
        "Days since entry", "Last milestone", "Date of the last milestone",
        "Days since the last milestone (or entry)",
    ]
    # where people are, in words: every last milestone shown is a milestone's name or blank
    assert set(_shown(app, 0)["Last milestone"]) <= {"", "Training start", "Training completed",
                                                     "Job start", "Job sustained"}


def test_options_change_the_funnel(app: AppTest, demo_data: DemoData) -> None:
    open_page(app, PAGE)
    app.radio(key="funnels_order").set_value("ordered")
    app.selectbox(key="funnels_window").set_value(90)
    app.selectbox(key="funnels_by").set_value("pathway").run()
    assert not app.error, [e.value for e in app.error]
    p, m, as_of = demo_data.participants, demo_data.milestones, demo_data.cutoff
    expected = funnel(Scope(p, m, as_of=as_of, window_days=90), by=["pathway"], ordered=True)
    assert set(expected["pathway"]) >= {"community", "custody"}
    _same(_shown(app, 0), expected, counts=("participants",), rates=RATES)
    # the any-order funnel differs, so the option really changed the figures
    assert not expected.equals(funnel(Scope(p, m, as_of=as_of, window_days=90), by=["pathway"]))


def test_filters_from_the_url_apply(demo_db_url: str, demo_data: DemoData) -> None:
    at = new_app({"region": "London", "from": "2022-01-01", "to": "2022-12-31", "as_of": "2023-08-16"})
    open_page(at, PAGE)
    participants = filter_participants(demo_data.participants, regions=["London"])
    milestones = milestones_for(participants, demo_data.milestones)
    expected = funnel(
        Scope(
            participants,
            milestones,
            as_of=date(2023, 8, 16),
            date_from=date(2022, 1, 1),
            date_to=date(2022, 12, 31),
        ),
    )
    _same(_shown(at, 0), expected, counts=("participants",), rates=RATES)


def test_follow_up_days_change_the_list(app: AppTest, demo_data: DemoData) -> None:
    open_section(open_page(app, PAGE), PAGE, "Follow-up list")
    app.number_input(key="funnels_follow_up_days").set_value(365).run()
    expected = follow_up_list(
        Scope(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff),
        days=365,
    )
    on_screen = display_table(expected, views.FOLLOW_UP)
    on_screen["Caseworker (pseudonym)"] = expected["caseworker"].map(spoken_names(expected["caseworker"]))
    pd.testing.assert_frame_equal(_shown(app, 0), on_screen, check_dtype=False)


def test_a_window_longer_than_the_follow_up_gives_a_friendly_message(demo_db_url: str) -> None:
    # as at 1 Jul 2021 nobody can have had 365 days on the programme
    at = new_app({"as_of": "2021-07-01"})
    at.run()
    open_page(at, PAGE)
    at.selectbox(key="funnels_window").set_value(365).run()
    assert not at.error
    assert any("No one is in this funnel" in i.value for i in at.info)


def test_page_options_from_the_url_reproduce_the_view(demo_db_url: str, demo_data: DemoData) -> None:
    # a link to the funnel in order, with a 90-day window, by pathway, sustained work shown
    at = new_app({"order": "ordered", "window": "90", "by": "pathway", "sustained": "1"})
    open_page(at, PAGE)
    assert not at.error, [e.value for e in at.error]
    assert at.radio(key="funnels_order").value == "ordered"
    assert at.selectbox(key="funnels_window").value == 90
    assert at.selectbox(key="funnels_by").value == "pathway"
    assert at.checkbox(key="funnels_sustained").value is True
    p, m, as_of = demo_data.participants, demo_data.milestones, demo_data.cutoff
    expected = funnel(
        Scope(p, m, as_of=as_of, window_days=90),
        by=["pathway"],
        ordered=True,
        include_sustained=True,
    )
    assert "sustained" in set(expected["step"])
    _same(_shown(at, 0), expected, counts=("participants",), rates=RATES)
    # the URL keeps them; a changed option is written back and a default leaves the URL
    assert at.query_params["window"] == "90" and at.query_params["by"] == "pathway"
    at.selectbox(key="funnels_window").set_value(None).run()
    at.selectbox(key="funnels_by").set_value("region").run()
    assert "window" not in at.query_params
    assert at.query_params["by"] == "region"


def test_an_unknown_page_option_in_the_url_is_ignored(demo_db_url: str) -> None:
    at = open_page(new_app({"window": "12345", "by": "shoe_size"}), PAGE)
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="funnels_window").value is None
    assert at.selectbox(key="funnels_by").value is None


def test_a_window_too_short_for_an_outcome_says_so(app: AppTest, demo_data: DemoData) -> None:
    # nobody in the demo sustains a job within 30 days of entry (sustainment comes 13 weeks on)
    short = funnel(
        Scope(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff, window_days=30),
        include_sustained=True,
    ).set_index("step")["participants"]
    assert short["sustained"] == 0 and short["entered"] > 0
    empty = [label(step) for step, people in short.items() if step != "entered" and people == 0]
    open_page(app, PAGE)
    app.checkbox(key="funnels_sustained").check()
    app.selectbox(key="funnels_window").set_value(30).run()
    assert not app.error, [e.value for e in app.error]
    notes = [i.value for i in app.info if "too short" in i.value]
    # one note for each outcome nobody reached in the window, none for the others
    assert [n.split("'")[1] for n in notes] == empty
    assert any("'Sustained work' within 30 days" in n for n in notes)


def test_a_section_in_the_url_opens_its_tab(demo_db_url: str, demo_data: DemoData) -> None:
    # a shared link to the funnel from referral opens that tab, and draws only its chart and table
    at = open_page(new_app({"funnels_tab": "from-referral"}), PAGE)
    assert not at.error, [e.value for e in at.error]
    assert len(tables_shown(at)) == 1 and len(at.get("plotly_chart")) == 1
    referrals = referral_funnel(
        Scope(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff),
    )
    pd.testing.assert_frame_equal(_shown(at, 0), display_table(referrals, views.REFERRAL_FUNNEL),
                                  check_dtype=False)
    # an unknown section is ignored: the first tab
    at = open_page(new_app({"funnels_tab": "<script>"}), PAGE)
    assert not at.error and "% of entered" in _shown(at, 0).columns


def test_the_follow_up_list_names_caseworkers_by_a_short_name_and_pathways_in_words(
    app: AppTest, demo_data: DemoData
) -> None:
    """Not a 64-character hash and a code: a name a lead can say aloud, made from the stored
    pseudonym (the same pseudonym, the same name; two pseudonyms, two names), and words."""
    open_page(app, PAGE)
    open_section(app, PAGE, "Follow-up list")
    shown = _shown(app, 0)
    stored = follow_up_list(
        Scope(demo_data.participants, demo_data.milestones, as_of=demo_data.cutoff),
        days=90,
    )
    names = shown["Caseworker (pseudonym)"]
    for name in names:
        word, number = name.split(" ")
        assert word in WORDS and number.isdigit() and len(name) <= 12, name
    pairs = set(zip(stored["caseworker"].head(len(shown)), names, strict=True))
    assert len({p for p, _ in pairs}) == len({n for _, n in pairs}) == len(pairs)  # one name per pseudonym
    assert set(shown["Pathway"]) == {"Community", "Custody"}
