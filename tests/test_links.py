"""The rules links are read by (dashboard.links): one per kind, hand-worked cases, and the registry."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from dashboard.filters import Filters
from dashboard.links import (
    AS_OF,
    AUDIENCE,
    DATE_FROM,
    FUNNELS_SUSTAINED,
    FUNNELS_TAB,
    OVERVIEW_TAB,
    PARAMS,
    REGION,
    ChoiceParam,
    ChoicesParam,
    DateParam,
    Parsed,
    params_for,
    parse_iso_date,
    shown_value,
    window_words,
)

ROOT = Path(__file__).resolve().parents[1]
#: The data's range in these cases: the contract's start to a cut-off.
EARLIEST, LATEST = date(2021, 6, 1), date(2024, 5, 31)


def _date(param: DateParam, *texts: str) -> Parsed:
    return param.parse(list(texts), earliest=EARLIEST, latest=LATEST)


# --- Dates ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("2023-08-16", date(2023, 8, 16)),
    ("2024-02-29", date(2024, 2, 29)),  # a leap day
    ("2023-02-29", None),  # not a leap year
    ("2023-02-30", None),
    ("2023-13-01", None),
    ("0000-01-01", None),  # there is no year 0
    ("-1", None),
    ("99999999", None),
    ("20230816", None),  # ISO's basic form: not how the app writes a date
    ("2023-8-16", None),
    ("16/08/2023", None),
    ("2023-08-16T00:00", None),
    (" 2023-08-16", None),
    ("2023-08-16\n", None),
    ("٢٠٢٣-٠٨-١٦", None),  # Arabic-Indic digits, which \d would take
    ("", None),
])
def test_a_date_is_yyyy_mm_dd_in_ascii_digits_and_a_real_day(text: str, expected: date | None) -> None:
    assert parse_iso_date(text) == expected


def test_no_date_in_the_link_gives_the_default() -> None:
    assert _date(AS_OF) == Parsed(LATEST)  # the data's cut-off
    assert _date(DATE_FROM) == Parsed(None)  # an open range


def test_a_date_in_the_range_is_used_as_it_is() -> None:
    assert _date(AS_OF, "2023-08-16") == Parsed(date(2023, 8, 16))
    assert _date(DATE_FROM, "2021-06-01") == Parsed(EARLIEST)  # both ends are in the range
    assert _date(DATE_FROM, "2024-05-31") == Parsed(LATEST)


@pytest.mark.parametrize("text", ["-1", "0", "99999999", "2023-02-30", "yesterday", ""])
def test_a_value_that_is_not_a_date_is_ignored_and_named(text: str) -> None:
    assert _date(AS_OF, text) == Parsed(LATEST, (
        f"The link's ‘as_of={text}’ was ignored: a date is written YYYY-MM-DD, such as 2023-08-16. "
        "'Figures as at' is the data's cut-off, 31 May 2024.",
    ))
    assert _date(DATE_FROM, text) == Parsed(None, (
        f"The link's ‘from={text}’ was ignored: a date is written YYYY-MM-DD, such as 2023-08-16. "
        "'Entered from' is not set.",
    ))


def test_a_date_outside_the_data_moves_to_the_nearer_end() -> None:
    assert _date(DATE_FROM, "0001-01-01") == Parsed(EARLIEST, (
        "'Entered from' was 1 Jan 1, outside the data (1 Jun 2021 to 31 May 2024); 1 Jun 2021 is used instead.",
    ))
    assert _date(AS_OF, "9999-12-31") == Parsed(LATEST, (
        "'Figures as at' was 31 Dec 9999, outside the data (1 Jun 2021 to 31 May 2024); "
        "31 May 2024 is used instead.",
    ))
    assert AS_OF.clamp(date(2021, 5, 31), EARLIEST, LATEST)[0] == EARLIEST  # a day before
    assert AS_OF.clamp(date(2023, 1, 1), EARLIEST, LATEST) == (date(2023, 1, 1), None)


def test_a_repeated_date_counts_once_and_different_dates_are_all_ignored() -> None:
    assert _date(AS_OF, "2023-08-16", "2023-08-16") == Parsed(date(2023, 8, 16), (
        "The link gives ‘as_of=2023-08-16’ twice: it counts once.",
    ))
    assert _date(AS_OF, "2023-08-16", "2023-01-01", "2023-08-16") == Parsed(LATEST, (
        "The link gives as_of 2 different values (‘as_of=2023-08-16’, ‘as_of=2023-01-01’); it takes one, "
        "so they are ignored. 'Figures as at' is the data's cut-off, 31 May 2024.",
    ))
    # repeated and outside the data: both said
    assert _date(DATE_FROM, "1900-01-01", "1900-01-01", "1900-01-01").notes == (
        "The link gives ‘from=1900-01-01’ 3 times: it counts once.",
        "'Entered from' was 1 Jan 1900, outside the data (1 Jun 2021 to 31 May 2024); 1 Jun 2021 is used instead.",
    )


# --- One value from a list ---------------------------------------------------------

WINDOW = ChoiceParam("window", "Conversion window", "app_pages/x.py", listed=(None, 30, 90), default=None,
                     describe=window_words)


def test_a_choice_is_the_option_whose_text_the_link_gives() -> None:
    assert WINDOW.parse([]) == Parsed(None)
    assert WINDOW.parse(["30"]) == Parsed(30)
    assert WINDOW.parse(["none"]) == Parsed(None)  # the default, given
    assert WINDOW.parse(["90", "90"]) == Parsed(90, ("The link gives ‘window=90’ twice: it counts once.",))


@pytest.mark.parametrize("text", ["-5", "31", "030", "30.0", " 30", "3e1", "None", "99999999999999999999", ""])
def test_any_other_text_is_ignored_and_named(text: str) -> None:
    assert WINDOW.parse([text]) == Parsed(None, (
        f"The link's ‘window={text}’ was ignored: window is one of none, 30, 90. "
        "'Conversion window' is None (all follow-up to date).",
    ))


def test_different_choices_are_all_ignored() -> None:
    assert WINDOW.parse(["30", "90"]) == Parsed(None, (
        "The link gives window 2 different values (‘window=30’, ‘window=90’); it takes one, so they are "
        "ignored. 'Conversion window' is None (all follow-up to date).",
    ))


def test_a_choice_the_page_does_not_offer_now_is_ignored() -> None:
    # the Funnels page's follow-up list is not offered to stakeholders
    offered = ["Entry to training and work", "Drop-off between steps", "From referral"]
    assert FUNNELS_TAB.parse(["from-referral"], offered=offered) == Parsed("From referral")
    assert FUNNELS_TAB.parse(["follow-up-list"]) == Parsed("Follow-up list")
    assert FUNNELS_TAB.parse(["follow-up-list"], offered=offered) == Parsed("Entry to training and work", (
        "The link's ‘funnels_tab=follow-up-list’ was ignored: funnels_tab is one of entry-to-training-and-work, "
        "drop-off-between-steps, from-referral. 'Open tab' is ‘Entry to training and work’.",
    ))


def test_a_tab_is_its_labels_slug() -> None:
    assert OVERVIEW_TAB.parse(["forecast-to-the-end"]) == Parsed("Forecast to the end")
    assert OVERVIEW_TAB.parse(["Forecast to the end"]).value == "Entry to training and work"
    assert OVERVIEW_TAB.to_text("Month by month") == "month-by-month"


def test_a_flag_is_1_or_0() -> None:
    assert FUNNELS_SUSTAINED.parse(["1"]) == Parsed(True)
    assert FUNNELS_SUSTAINED.parse(["0"]) == Parsed(False)
    assert FUNNELS_SUSTAINED.parse(["true"]) == Parsed(False, (
        "The link's ‘sustained=true’ was ignored: sustained is one of 0, 1. 'Show sustained work' is off.",
    ))


def test_an_audience_the_link_does_not_name_clearly_gets_the_protected_view() -> None:
    assert AUDIENCE.parse([]) == Parsed("internal")  # no audience asked for: the default
    assert AUDIENCE.parse(["stakeholder"]) == Parsed("stakeholder")
    assert AUDIENCE.parse(["internal"]) == Parsed("internal")
    why = ": a link that does not name one audience gets the protected figures."
    assert AUDIENCE.parse(["minister"]) == Parsed("stakeholder", (
        "The link's ‘audience=minister’ was ignored: audience is one of internal, stakeholder. "
        f"'Audience' is Stakeholder (protected){why}",
    ))
    assert AUDIENCE.parse(["Internal"]).value == "stakeholder"  # the text is exact
    assert AUDIENCE.parse(["internal", "stakeholder"]) == Parsed("stakeholder", (
        "The link gives audience 2 different values (‘audience=internal’, ‘audience=stakeholder’); it takes "
        f"one, so they are ignored. 'Audience' is Stakeholder (protected){why}",
    ))


# --- Values from the data ------------------------------------------------------------

REGIONS = ["London", "Wales"]


def _regions(*texts: str) -> Parsed:
    return REGION.parse(list(texts), allowed=REGIONS, everyone="all regions, the whole programme")


def test_regions_from_the_data_are_kept_in_the_links_order() -> None:
    assert _regions() == Parsed(())
    assert _regions("Wales", "London") == Parsed(("Wales", "London"))


def test_a_repeated_region_counts_once() -> None:
    assert _regions("Wales", "Wales") == Parsed(("Wales",), ("The link gives ‘region=Wales’ twice: it counts once.",))
    assert _regions("Wales", "London", "Wales", "Wales") == Parsed(
        ("Wales", "London"), ("The link gives ‘region=Wales’ 3 times: it counts once.",)
    )


def test_an_unknown_region_is_named_and_never_silently_read_as_the_programme() -> None:
    assert _regions("Nowhere") == Parsed((), (
        "The link's ‘region=Nowhere’ was ignored: no region of that name is in the data you can see. No other region is "
        "chosen, so the figures are for all regions, the whole programme.",
    ))
    # another region is still chosen: the figures are for it, and the note does not say "all"
    assert _regions("Nowhere", "Wales", "wales") == Parsed(("Wales",), (
        "The link's ‘region=Nowhere’, ‘region=wales’ were ignored: no region of those names is in the data you can see.",
    ))
    assert _regions("").notes[0].startswith("The link's ‘region=’ was ignored")


def test_a_note_names_five_values_at_most() -> None:
    parsed = _regions(*(f"R{i}" for i in range(7)), "R0")
    assert parsed.value == ()
    assert parsed.notes == (
        "The link's ‘region=R0’, ‘region=R1’, ‘region=R2’, ‘region=R3’, ‘region=R4’ and 2 more were ignored: "
        "no region of those names is in the data you can see. No other region is chosen, so the figures are for all "
        "regions, the whole programme.",
    )


def test_a_value_is_shown_visibly_and_cut_short() -> None:
    assert shown_value("Nowhere") == "Nowhere"
    assert shown_value("Ynys Môn") == "Ynys Môn"
    assert shown_value("a\x00b\nc") == "a\\x00b\\nc"
    assert shown_value("\u202eevil") == "\\u202eevil"  # a right-to-left override, made visible
    assert shown_value("a\u00a0b") == "a\\xa0b"  # a space that is not a space
    assert shown_value("x" * 40) == "x" * 40
    assert shown_value("x" * 41) == "x" * 39 + "…"
    assert len(shown_value("\x00" * 100)) == 40


# --- The registry ------------------------------------------------------------------


def test_every_parameter_is_read_by_one_of_the_apps_pages() -> None:
    pages = {p.page for p in PARAMS if p.page is not None}
    assert pages and all((ROOT / page).is_file() for page in pages)
    assert len({id(p) for p in PARAMS}) == len(PARAMS)


def test_no_page_reads_two_parameters_of_one_name() -> None:
    for page in sorted({p.page for p in PARAMS if p.page}):
        names = [p.name for p in params_for(page)]
        assert len(names) == len(set(names)), (page, names)
    # a page without options of its own reads the sidebar's
    assert {p.name for p in params_for("app_pages/8_about.py")} == {
        "as_of", "from", "to", "region", "pathway", "partner", "audience"}


def test_every_choice_reads_back_each_of_its_options() -> None:
    for param in PARAMS:
        if not isinstance(param, ChoiceParam):
            continue
        texts = [param.to_text(o) for o in param.options]
        assert param.default in param.options, param.name
        assert len(set(texts)) == len(texts) and all(texts), (param.name, texts)
        for option in param.options:
            assert param.parse([param.to_text(option)]) == Parsed(option), (param.name, option)
        assert param.parse(["\x00not an option"]).notes, param.name


def test_the_kinds_are_dates_choices_and_values_from_the_data() -> None:
    assert {type(p) for p in PARAMS} == {DateParam, ChoiceParam, ChoicesParam}
    assert all(p.column for p in PARAMS if isinstance(p, ChoicesParam))


def test_only_page_state_touches_the_url() -> None:
    # every read of a link goes through dashboard.page_state.url_texts, with a declared parameter
    sources = [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py")), *sorted((ROOT / "dashboard").glob("*.py"))]
    touching = [p.relative_to(ROOT).as_posix() for p in sources if re.search(r"query_params", p.read_text())]
    assert touching == ["dashboard/page_state.py"]


def test_filters_count_a_region_once_whoever_makes_them() -> None:
    filters = Filters(as_of=LATEST, regions=("Wales", "London", "Wales"), pathways=("custody", "custody"),
                      delivery_partners=("P", "P"))
    assert (filters.regions, filters.pathways, filters.delivery_partners) == (("Wales", "London"), ("custody",), ("P",))
