"""The sidebar's navigation between pages, drawn by the app rather than by Streamlit.

Streamlit's own sidebar navigation (``st.navigation`` shown in the sidebar) puts its
section lists' ``<li>`` items in a ``<ul>`` with other children, which axe-core reports
on every page as WCAG 1.3.1 failures (rules ``list`` and ``listitem``). ``app.py`` therefore
hides it (``st.navigation(..., position="hidden")``) and calls :func:`sidebar_navigation`,
which draws the same sections and pages with ``st.page_link``: each page a link, the page
shown marked in bold by Streamlit, the section names as text. Following a link changes page
in the same session (the filters and a director's preview are kept), as Streamlit's did.

See ``docs/accessibility.md`` for what remains the framework's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

__all__ = ["NAVIGATION_KEY", "TARGET_SIZE_CSS", "sidebar_navigation"]

#: The key of the sidebar container holding the links (its element has the CSS class
#: ``st-key-ete_navigation``; the browser tests find the links by it).
NAVIGATION_KEY = "ete_navigation"


#: Streamlit's date inputs edit the day, month and year as separate segments, a narrow
#: target each (the day about 18 px wide): at least 24 by 24 px here (WCAG 2.2 2.5.8).
#: A <style> element only: it applies to every date input on the page, the sidebar's and
#: the Data page's, and takes no room.
TARGET_SIZE_CSS = (
    "<style>[data-testid='stDateInput'] [role='spinbutton'] {display: inline-block; "
    "min-width: 24px; min-height: 24px; line-height: 24px; text-align: center;}</style>"
)


def sidebar_navigation(sections: Mapping[str, Sequence[st.Page]]) -> None:
    """Draw the links to every page at the top of the sidebar, under their section names.

    Also sets :data:`TARGET_SIZE_CSS`, the size of the date inputs' segments.
    Call it straight after ``st.navigation(sections, position="hidden")``, before anything
    else is put in the sidebar, so the links come first as Streamlit's did.

    Parameters
    ----------
    sections : mapping of str to sequence of st.Page
        Section name -> its pages, in order (what ``st.navigation`` was given).
    """
    st.html(TARGET_SIZE_CSS)
    with st.sidebar.container(key=NAVIGATION_KEY):
        for section, pages in sections.items():
            st.caption(section)
            for page in pages:
                st.page_link(page, label=page.title, icon=page.icon or None)
