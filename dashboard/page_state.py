"""Page options kept in the URL, like the sidebar filters (:mod:`dashboard.state`).

A page's own controls (the Funnels page's order, window, breakdown; the Cohorts
page's cohort and outcome; the Equality page's outcome and window) are mirrored in
``st.query_params`` so a copied link reproduces the view exactly. A page calls
:func:`url_option` just before creating the widget (it seeds the widget's state from
the URL, once per session) and :func:`keep_in_url` with the widget's value after it.
Defaults are left out of the URL, so a plain link stays plain; an unknown value in
the URL is ignored (the widget keeps its default).

Query parameters (all optional):

- Overview: ``overview_tab`` (the open tab, e.g. ``forecast-to-the-end``);
- Funnels: ``order`` (``any`` / ``ordered``), ``window`` (days, e.g. ``90``),
  ``by`` (a breakdown, e.g. ``region``), ``sustained`` (``1``), ``funnels_tab``
  (e.g. ``from-referral``);
- Cohorts: ``cohort`` (``entry_quarter`` / ``entry_month``), ``outcome``
  (``training`` / ``work``);
- Equality: ``outcome`` (``work`` / ``training`` / ``sustained``), ``window``
  (days: ``90``, ``180``, ``365``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

#: Session-state key of the widget keys already seeded from the URL.
_SEEDED_KEY = "_ete_page_options_seeded"


def option_text(value: Any) -> str:
    """The URL text of an option value: ``None`` -> ``"none"``, ``True`` -> ``"1"``, else ``str``."""
    if value is None:
        return "none"
    if value is True:
        return "1"
    if value is False:
        return "0"
    return str(value)


def url_option(
    key: str,
    param: str,
    options: Sequence[Any],
    *,
    to_text: Callable[[Any], str] = option_text,
) -> None:
    """Seed widget ``key`` from query parameter ``param`` (once per session; call before the widget).

    Parameters
    ----------
    key : str
        The widget's key.
    param : str
        The query parameter.
    options : sequence
        The widget's options (values as the widget returns them).
    to_text : callable
        An option's text in the URL (default :func:`option_text`).
    """
    seeded: set[str] = st.session_state.setdefault(_SEEDED_KEY, set())
    if key in seeded:
        return
    seeded.add(key)
    try:
        wanted = st.query_params.get(param)
    except Exception:  # noqa: BLE001 - a malformed URL must never break the page
        return
    if wanted is None:
        return
    for option in options:
        if to_text(option) == wanted:
            st.session_state[key] = option
            return


def keep_in_url(
    param: str, value: Any, default: Any, *, to_text: Callable[[Any], str] = option_text
) -> None:
    """Write a widget's value to query parameter ``param`` (removed when it is the default).

    Parameters
    ----------
    param : str
        The query parameter.
    value, default : Any
        The widget's value and its default.
    to_text : callable
        The value's text in the URL (default :func:`option_text`).
    """
    if to_text(value) == to_text(default):
        if param in st.query_params:
            del st.query_params[param]
        return
    text = to_text(value)
    if st.query_params.get(param) != text:
        st.query_params[param] = text


def show_done(key: str) -> None:
    """Say once what the last run did (kept under ``key`` across its ``st.rerun``), then forget it."""
    done = st.session_state.pop(key, None)
    if done:
        st.success(done, icon=":material/check_circle:")


def _slug(label: str) -> str:
    """A section's text in the URL: ``"Month by month"`` -> ``"month-by-month"``."""
    return "-".join("".join(c if c.isalnum() else " " for c in label.lower()).split())


def section_tabs(labels: Sequence[str], *, key: str, param: str) -> tuple[str, Any]:
    """Tabs of which only the open one is drawn; the open one kept in the URL as ``param``.

    Streamlit's lazy tabs (``on_change="rerun"``): choosing a tab reruns the page, and
    the page draws the open tab's charts and tables only. A page switch then mounts
    one chart instead of all of them (what a person waits for; see
    ``benchmarks/bench_browser.py``). The figures a page protects together are still
    worked out whichever tab is open, so what a tab shows never depends on another.

    Parameters
    ----------
    labels : sequence of str
        The tabs' labels, the first open by default.
    key : str
        The tabs' widget key.
    param : str
        The query parameter, one per page (its value ``"month-by-month"`` for "Month by month").

    Returns
    -------
    (str, streamlit container)
        The open tab's label, and its container to draw in.
    """
    url_option(key, param, labels, to_text=_slug)
    tabs = st.tabs(list(labels), key=key, on_change="rerun")
    opened = next((i for i, tab in enumerate(tabs) if tab.open), 0)
    keep_in_url(param, labels[opened], labels[0], to_text=_slug)
    return labels[opened], tabs[opened]
