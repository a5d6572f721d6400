"""Links are input, on every page: the links that crashed, the notes naming what a link gave
that was not used, and a property test feeding every page arbitrary values for every
parameter it reads (dashboard.links.PARAMS) with no exception and nothing shown unescaped."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from apptest_support import *  # noqa: F403
from apptest_support import APP, ROOT, TIMEOUT, DemoData, new_app, open_section
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as hs
from streamlit.runtime.state.query_params_proxy import QueryParamsProxy
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Element

from dashboard.escape import markdown_literal, unescape_markdown
from dashboard.links import (
    PARAMS,
    ChoiceParam,
    ChoicesParam,
    DateParam,
    Param,
    params_for,
    shown_value,
)
from ete_metrics.present.formatting import uk_date

OVERVIEW = "app_pages/1_overview.py"
FUNNELS = "app_pages/2_funnels.py"
PRESENTATION = "app_pages/9_present.py"
#: Elements whose text is Markdown (where a link's text could become a link, a heading, a colour...).
MARKDOWN = ("markdown", "caption", "info", "warning", "error", "success", "title", "header", "subheader")


def _opened(page: str, link: dict[str, Any]) -> AppTest:
    """The app opened at ``page`` with ``link``'s query parameters, as a browser opens a shared link."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in link.items():
        at.query_params[name] = value
    at.switch_page(page)
    at.run()
    return at


def _texts(at: AppTest, kinds: tuple[str, ...] = MARKDOWN) -> list[str]:
    """The Markdown of every element of these kinds, main area and sidebar."""
    return [str(element.value) for kind in kinds for element in at.get(kind) if isinstance(element, Element)]


def _notes(at: AppTest) -> list[str]:
    """The notes as a person reads them (the escapes resolved)."""
    return [unescape_markdown(text) for text in _texts(at, ("info",))]


@contextmanager
def _reads() -> Iterator[list[str]]:
    """The names of the query parameters read while in the block (every read goes through get_all)."""
    names: list[str] = []
    read = QueryParamsProxy.get_all

    def recording(self: QueryParamsProxy, key: str) -> list[str]:
        names.append(key)
        return read(self, key)

    with mock.patch.object(QueryParamsProxy, "get_all", recording):
        yield names


@pytest.fixture(scope="module")
def pages(demo_db_url: str) -> list[str]:
    """The app's page list as the app registers it (st.navigation), not a list kept here."""
    at = new_app()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    found = sorted(Path(str(info["script_path"])).resolve().relative_to(ROOT).as_posix()
                   for info in at._registered_pages.values() if info.get("script_path"))
    assert len(found) == len(list((ROOT / "app_pages").glob("*.py")))
    return found


# --- The links that crashed -----------------------------------------------------------


@pytest.mark.parametrize("name", ["as_of", "from", "to"])
def test_a_negative_date_breaks_no_page_and_is_named(name: str, pages: list[str], demo_data: DemoData) -> None:
    label = {"as_of": "Figures as at", "from": "Entered from", "to": "Entered to"}[name]
    instead = f"the data's cut-off, {uk_date(demo_data.cutoff)}" if name == "as_of" else "not set"
    for page in pages:
        at = _opened(page, {name: "-1"})
        assert not at.exception, (page, [e.value for e in at.exception])
        filters = at.session_state["ete_filters"]
        assert (filters.as_of, filters.date_from, filters.date_to) == (demo_data.cutoff, None, None)
        assert (f"The link's ‘{name}=-1’ was ignored: a date is written YYYY-MM-DD, such as 2023-08-16. "
                f"'{label}' is {instead}.") in _notes(at), page
        assert name not in at.query_params  # the link now says what is shown


def _overview(at: AppTest) -> list[Any]:
    """What the Overview shows in its main area: tiles, tables, sentences and captions."""
    assert not at.exception, [e.value for e in at.exception]
    return [
        [(m.label, m.value, m.delta) for m in at.metric],
        [d.value.astype(str).to_dict("split") for d in at.main.get("arrow_data_frame") if isinstance(d, Element)],
        [str(e.value) for e in at.main.get("markdown") if isinstance(e, Element)],
        [str(e.value) for e in at.main.get("caption") if isinstance(e, Element)],
    ]


def test_a_repeated_region_counts_once_on_the_overview(demo_db_url: str) -> None:
    # ?region=Wales&region=Wales drew doubled targets (211% of target) and then crashed
    once = _opened(OVERVIEW, {"region": "Wales", "as_of": "2023-08-16"})
    twice = _opened(OVERVIEW, {"region": ["Wales", "Wales"], "as_of": "2023-08-16"})
    assert _overview(twice) == _overview(once)
    assert twice.session_state["ete_filters"].regions == ("Wales",)
    for section in ("Targets by region", "Forecast to the end"):
        assert _overview(open_section(twice, OVERVIEW, section)) == _overview(open_section(once, OVERVIEW, section))
    assert "The link gives ‘region=Wales’ twice: it counts once." in _notes(twice)
    assert twice.query_params["region"] == "Wales"


# --- What was not used is said ----------------------------------------------------------


def test_an_unknown_region_is_named_and_the_figures_said_to_be_the_programmes(demo_db_url: str) -> None:
    at = _opened(OVERVIEW, {"region": "Nowhere"})
    assert not at.exception
    assert at.session_state["ete_filters"].regions == ()
    note = ("The link's ‘region=Nowhere’ was ignored: no region of that name is in the data you can see. No other region is "
            "chosen, so the figures are for all regions, the whole programme.")
    assert note in _notes(at)
    # the note stays while the view is the one the link left, on every page; a region chosen ends it
    at.switch_page("app_pages/3_regions.py").run()
    assert note in _notes(at)
    at.multiselect(key="filter_regions").set_value(["Wales"]).run()
    assert not any("Nowhere" in n for n in _notes(at))


def test_an_unknown_audience_gets_the_protected_view_and_says_so(demo_db_url: str) -> None:
    at = _opened(OVERVIEW, {"audience": "minister"})
    assert at.session_state["ete_filters"].stakeholder
    assert ("The link's ‘audience=minister’ was ignored: audience is one of internal, stakeholder. 'Audience' is "
            "Stakeholder (protected): a link that does not name one audience gets the protected figures."
            ) in _notes(at)


def test_an_unknown_page_option_is_named_beside_the_options(demo_db_url: str) -> None:
    at = _opened(FUNNELS, {"window": "-5", "sustained": "yes", "order": "ordered"})
    assert not at.exception
    assert at.selectbox(key="funnels_window").value is None
    assert at.radio(key="funnels_order").value == "ordered"  # the valid option is used
    notes = [unescape_markdown(str(i.value)) for i in at.main.info]
    assert ("The link's ‘window=-5’ was ignored: window is one of none, 30, 90, 182, 365. 'Conversion window' "
            "is None (all follow-up to date).") in notes
    assert "The link's ‘sustained=yes’ was ignored: sustained is one of 0, 1. 'Show sustained work' is off." in notes
    at.selectbox(key="funnels_window").set_value(90).run()
    assert not any("window=-5" in n for n in _notes(at))
    assert any("sustained=yes" in n for n in _notes(at))


def test_the_presentation_says_what_it_ignored_on_the_slide(demo_db_url: str) -> None:
    # its sidebar is hidden: the note is on the page itself
    at = _opened(PRESENTATION, {"region": "Nowhere", "as_of": "1900-01-01"})
    assert not at.exception
    notes = [unescape_markdown(str(i.value)) for i in at.main.info]
    assert any("‘region=Nowhere’ was ignored" in n for n in notes)
    assert any(n.startswith("'Figures as at' was 1 Jan 1900, outside the data") for n in notes)


def test_a_hostile_value_is_shown_as_text(demo_db_url: str) -> None:
    value, tag = "[Click here](https://evil.example) **now** :red[x] $x$", "<img src=x onerror=alert(1)>"
    at = _opened(OVERVIEW, {"region": value, "partner": tag})
    assert not at.exception
    texts = _texts(at)
    assert not any(value in text or tag in text for text in texts)  # never as Markdown
    for name, text in (("region", value), ("partner", tag)):  # named, as text (cut at 40 characters)
        assert any(markdown_literal(f"‘{name}={shown_value(text)}’") in t for t in texts)
    assert f"‘region={value[:39]}…’" in " ".join(_notes(at))


# --- Every parameter a page reads is declared ------------------------------------------


def test_each_page_reads_exactly_the_parameters_declared_for_it(pages: list[str]) -> None:
    for page in pages:
        with _reads() as names:
            at = _opened(page, {})
        assert not at.exception, page
        assert set(names) == {p.name for p in params_for(page)}, page


# --- Any link, every page ------------------------------------------------------------------

#: Never in the app's own text: a value holding it found raw on screen was not escaped.
MARK = "ZQ"
HOSTILE = (
    "**{}**", "[{}](javascript:alert(1))", "![x]({})", ":red[{}]", "<script>{}</script>", "$${}$$", "`{}`",
    "# {}", "https://{}.example", "{}@evil.example", "www.{}.example", "| {} |", "{}\n- item", ":material/home: {}",
    "\\*{}\\*", "{}\r\n===",
)


def _hostile() -> hs.SearchStrategy[str]:
    return hs.builds(lambda wrap, core: wrap.format(MARK + core), hs.sampled_from(HOSTILE),
                     hs.text(alphabet="abcxyz", max_size=4))


def _valid(param: Param, demo: DemoData) -> hs.SearchStrategy[str]:
    """Texts the parameter may hold: dates around the data's, its options, the data's values."""
    if isinstance(param, DateParam):
        return hs.dates(min_value=date(2021, 1, 1), max_value=date(2024, 12, 31)).map(date.isoformat)
    if isinstance(param, ChoiceParam):
        return hs.sampled_from([param.to_text(option) for option in param.options])
    assert isinstance(param, ChoicesParam)
    return hs.sampled_from(sorted(str(v) for v in demo.participants[param.column].dropna().unique()))


def _values(param: Param, demo: DemoData) -> hs.SearchStrategy[list[str]]:
    """Arbitrary values for one parameter: none, one or several, sometimes repeated."""
    one = hs.one_of(
        _valid(param, demo),
        hs.text(max_size=20),  # any unicode: controls, marks, other scripts, empty
        hs.integers().map(str),  # negatives and huge numbers
        hs.integers(min_value=-(10**30), max_value=10**30).map(str),
        hs.floats().map(str),  # nan, inf, -0.0, 1e+300
        hs.dates().map(date.isoformat),  # dates of any year
        hs.just(""),
        _hostile(),
    )
    return hs.tuples(hs.lists(one, max_size=3), hs.integers(min_value=1, max_value=2)).map(lambda t: t[0] * t[1])


def _link(page: str, demo: DemoData) -> hs.SearchStrategy[dict[str, Any]]:
    """Values for every parameter the page reads (from the registry), and some it does not know."""
    declared = {p.name for p in PARAMS}
    known = hs.fixed_dictionaries({p.name: _values(p, demo) for p in params_for(page)})
    unknown = hs.dictionaries(
        hs.text(min_size=1, max_size=8).filter(lambda k: k not in declared and k.lower() not in ("embed", "embed_options")),
        hs.lists(hs.text(max_size=8), min_size=1, max_size=2), max_size=2,
    )
    return hs.tuples(known, unknown).map(lambda t: {
        name: values if len(values) > 1 else values[0] for name, values in {**t[1], **t[0]}.items() if values
    })


#: Random links per page (each opens the app once, about a second), after the edge links below.
EXAMPLES = 10


def _a_valid(param: Param, demo: DemoData) -> str:
    """One text the parameter may hold (not its default)."""
    if isinstance(param, DateParam):
        return "2023-08-16"
    if isinstance(param, ChoiceParam):
        return param.to_text(param.options[-1])
    assert isinstance(param, ChoicesParam)
    return str(sorted(demo.participants[param.column].dropna().unique())[0])


def _edge_links(page: str, demo: DemoData) -> list[dict[str, Any]]:
    """The same value for every parameter the page reads: negative, empty, huge, hostile, a valid one twice."""
    names = [p.name for p in params_for(page)]
    return [
        *({name: value for name in names} for value in ("-1", "", "9" * 30, f"[{MARK}](javascript:alert(1))")),
        {p.name: [_a_valid(p, demo)] * 2 for p in params_for(page)},
    ]


def _any_link_on(page: str, demo: DemoData, runs: list[dict[str, Any]]) -> Any:
    """The property for one page: a function hypothesis runs over arbitrary links."""
    allowed = {p.name for p in params_for(page)}

    @settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(link=_link(page, demo))
    def check(link: dict[str, Any]) -> None:
        runs.append(link)
        with _reads() as names:
            at = _opened(page, link)
        assert not at.exception, (page, link, [e.value for e in at.exception])
        assert set(names) <= allowed, (page, set(names) - allowed)  # declared for this page
        said = "\n".join(_texts(at))
        hostile = [(name, text) for name, value in link.items()
                   for text in (value if isinstance(value, list) else [value]) if MARK in text]
        # named, escaped, wherever the page read it
        for name, text in hostile:
            assert name not in names or markdown_literal(shown_value(text)) in said, (page, name, text)
        # and nowhere else: with its escaped forms taken out, no trace of a hostile value is left
        for _, text in hostile:
            said = said.replace(markdown_literal(shown_value(text)), "")
        assert MARK not in said, (page, hostile, said)

    for link in _edge_links(page, demo):  # run first, whatever hypothesis draws
        check = example(link=link)(check)
    return check


def test_no_page_raises_for_any_link_and_shows_its_text_escaped(pages: list[str], demo_data: DemoData) -> None:
    started = time.perf_counter()
    runs: list[dict[str, Any]] = []
    for page in pages:
        _any_link_on(page, demo_data, runs)()
    print(f"\n{len(runs)} links over {len(pages)} pages in {time.perf_counter() - started:.0f} s")
    assert len(runs) >= len(pages) * (EXAMPLES + len(_edge_links(pages[0], demo_data)))


@pytest.mark.parametrize(
    ("page", "link", "said"),
    [
        (OVERVIEW, {"window": "-5"}, "The link's ‘window=-5’ was ignored: this page has no such setting "
                                     "(‘window’ is a setting of the Equality and Funnels pages)."),
        (OVERVIEW, {"regoin": "Wales"}, "The link's ‘regoin=Wales’ was ignored: the dashboard has no setting "
                                        "called ‘regoin’."),
        (FUNNELS, {"outcome": "work"}, "The link's ‘outcome=work’ was ignored: this page has no such setting "
                                       "(‘outcome’ is a setting of the Cohorts and Equality pages)."),
    ],
)
def test_a_link_value_the_page_does_not_read_is_named(demo_db_url: str, page: str, link: dict[str, str],
                                                      said: str) -> None:
    """A value no control of the page takes is not dropped without a word: the note names it."""
    at = _opened(page, link)
    assert said in _notes(at), _notes(at)
    # the page's own and the sidebar's parameters are not named as unread
    at = _opened(FUNNELS, {"window": "30", "region": "Wales"})
    assert not [n for n in _notes(at) if "no such setting" in n or "no setting called" in n]
