"""The URL on the Streamlit side: reading and writing links, the notes about them, page options.

Every query parameter the app reads is declared in :mod:`dashboard.links`, with the
rule its kind is read by; this module is the only one that touches ``st.query_params``
(:func:`url_texts`, :func:`set_url`).

A page's own controls (the Funnels page's order, window, breakdown; the Cohorts page's
cohort and outcome; the Equality page's outcome and window; the open tab of a page drawn
a tab at a time) are mirrored in the URL so a copied link reproduces the view exactly.
A page calls :func:`url_option` just before creating the control (it seeds the control
from the link, once per session) and :func:`keep_in_url` with the control's value after
it; :func:`section_tabs` does both for tabs. Defaults are left out of the URL, so a plain
link stays plain.

What a link gave that was not used (a value ignored, a date moved, a repeat counted
once) is said in a note beside the control, for as long as the control holds what the
link left it (:func:`keep_notes`, :func:`show_notes`). The notes hold the link's text, so
they are shown escaped (:func:`dashboard.escape.markdown_literal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from dashboard.escape import markdown_literal
from dashboard.links import ChoiceParam, Param

#: Session-state key of the widget keys already seeded from the URL.
_SEEDED_KEY = "_ete_page_options_seeded"
#: Session-state key of the standing notes: widget key -> (the value the link left, notes).
NOTES_KEY = "_ete_link_notes"
_MISSING = object()


def url_texts(param: Param) -> list[str]:
    """Every value the URL gives ``param``, in order (none when the URL cannot be read)."""
    try:
        return [str(text) for text in st.query_params.get_all(param.name)]
    except Exception:  # noqa: BLE001 - a malformed URL must never break the page
        return []


def url_last_values() -> dict[str, str]:
    """Each parameter the URL gives (but Streamlit's own ``embed`` options) with its last value,
    as text: what a note on a parameter no page reads may name (none when the URL cannot be read)."""
    try:
        return {str(name): str(st.query_params[name]) for name in st.query_params
                if str(name).lower() not in ("embed", "embed_options")}
    except Exception:  # noqa: BLE001 - a malformed URL must never break the page
        return {}


def set_url(param: Param, texts: Sequence[str]) -> None:
    """Write ``param``'s values to the URL (no values: the parameter is removed); untouched if equal."""
    if not texts:
        if param.name in st.query_params:
            del st.query_params[param.name]
        return
    if url_texts(param) != list(texts):
        st.query_params[param.name] = list(texts) if len(texts) > 1 else texts[0]


#: Installed once per browser tab: a history entry Streamlit pushes for the same page
#: (only the query string changed: a run writing its filters to the URL) replaces the
#: current entry, so each page visited is one entry and Back one press per page. Pages
#: opened (a new path) and Back/Forward are Streamlit's as before.
ONE_ENTRY_PER_PAGE = """<script>
(() => {
  const h = window.history;
  if (h.__eteOneEntryPerPage) return;
  const push = h.pushState.bind(h);
  h.pushState = (state, title, url) => {
    const next = url == null ? null : new URL(url, window.location.href);
    if (next && next.origin === window.location.origin && next.pathname === window.location.pathname) {
      return h.replaceState(state, title, url);
    }
    return push(state, title, url);
  };
  h.__eteOneEntryPerPage = true;
})();
</script>"""


def one_history_entry_per_page() -> None:
    """Make a run's rewrite of the URL replace the page's history entry rather than add one.

    Streamlit's frontend pushes a history entry whenever a run changes the query string
    (``st.query_params``), on top of the one for opening the page; a page whose run
    writes the filters to the URL cost two entries, and Back two presses. Called once per
    run (in the sidebar, where it takes no room); the script patches the tab once.
    """
    with st.sidebar:
        st.html(ONE_ENTRY_PER_PAGE, unsafe_allow_javascript=True)


def keep_notes(key: str, kept: Any, notes: Sequence[str]) -> None:
    """Keep ``notes`` about widget ``key`` while it holds ``kept`` (what the link left it)."""
    if notes:
        st.session_state.setdefault(NOTES_KEY, {})[key] = (kept, tuple(notes))


def standing_notes(key: str, default: Any = _MISSING) -> tuple[str, ...]:
    """The notes about widget ``key`` while it holds the value they are about; else forgotten.

    Parameters
    ----------
    key : str
        The widget's key.
    default : Any, optional
        The widget's value before it is first drawn (where its state is not set by then).
    """
    kept_notes: dict[str, tuple[Any, tuple[str, ...]]] = st.session_state.get(NOTES_KEY, {})
    if key not in kept_notes:
        return ()
    kept, notes = kept_notes[key]
    current = st.session_state.get(key, default)
    if current is not _MISSING and current == kept:
        return notes
    del kept_notes[key]
    return ()


def show_notes(notes: Sequence[str], where: Any = None) -> None:
    """Show notes about a link, escaped (they quote it), in ``where`` (default: the page)."""
    for note in notes:
        (st if where is None else where).info(markdown_literal(note), icon=":material/link:")


def url_option(param: ChoiceParam, key: str, *, offered: Sequence[Any] | None = None) -> None:
    """Seed widget ``key`` from ``param`` in the URL (once per session) and say what was ignored.

    Call it just before the widget.

    Parameters
    ----------
    param : dashboard.links.ChoiceParam
        The parameter (its options, default and text in the URL).
    key : str
        The widget's key.
    offered : sequence, optional
        The options the page offers now, where fewer than ``param.options``.
    """
    seeded: set[str] = st.session_state.setdefault(_SEEDED_KEY, set())
    if key not in seeded:
        seeded.add(key)
        parsed = param.parse(url_texts(param), offered=offered)
        if parsed.value != param.default:  # a default left unset: the widget starts at it anyway
            st.session_state[key] = parsed.value
        keep_notes(key, parsed.value, parsed.notes)
    show_notes(standing_notes(key, param.default))


def keep_in_url(param: ChoiceParam, value: Any) -> None:
    """Write a widget's value to ``param`` in the URL (removed when it is the default)."""
    text = param.to_text(value)
    set_url(param, [] if text == param.to_text(param.default) else [text])


def show_done(key: str) -> None:
    """Say once what the last run did (kept under ``key`` across its ``st.rerun``), then forget it."""
    done = st.session_state.pop(key, None)
    if done:
        st.success(done, icon=":material/check_circle:")


def section_tabs(param: ChoiceParam, *, key: str, offered: Sequence[str] | None = None) -> tuple[str, Any]:
    """Tabs of which only the open one is drawn; the open one kept in the URL as ``param``.

    Streamlit's lazy tabs (``on_change="rerun"``): choosing a tab reruns the page, and
    the page draws the open tab's charts and tables only. A page switch then mounts
    one chart instead of all of them (what a person waits for; see
    ``benchmarks/bench_browser.py``). The figures a page protects together are still
    worked out whichever tab is open, so what a tab shows never depends on another.

    Parameters
    ----------
    param : dashboard.links.ChoiceParam
        The tabs' parameter (:func:`dashboard.links.tab`): its options are the tabs' labels,
        the first open by default, each in the URL as its slug (``"month-by-month"``).
    key : str
        The tabs' widget key.
    offered : sequence of str, optional
        The tabs shown now, where fewer than the parameter's (in the same order, the
        first the same).

    Returns
    -------
    (str, streamlit container)
        The open tab's label, and its container to draw in.
    """
    labels = list(param.options if offered is None else offered)
    url_option(param, key, offered=labels)
    tabs = st.tabs(labels, key=key, on_change="rerun")
    opened = next((i for i, tab in enumerate(tabs) if tab.open), 0)
    keep_in_url(param, labels[opened])
    return labels[opened], tabs[opened]
