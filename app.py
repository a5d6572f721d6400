"""ETE Outcomes dashboard: the entry script (run with ``streamlit run app.py``).

Sets up the page, checks who the visitor is (sign-in and roles,
:mod:`dashboard.auth`: without access only the sign-in or no-access page is
shown and no data is loaded), then the navigation between pages, the header with
the data's cut-off and last import, and the shared sidebar filters; then runs the
page the user chose. Every number shown comes from :mod:`ete_metrics`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard.auth import gate, preview_control, require_access, show_identity
from dashboard.data import load_data
from dashboard.navigation import sidebar_navigation
from dashboard.render import show_notices, stakeholder_note
from dashboard.state import sidebar_filters
from dashboard.warmup import start_warm_up
from ete_metrics.errors import InputError
from ete_metrics.present.formatting import uk_date
from ete_metrics.protect.audience import check_stakeholder_scope

st.set_page_config(
    page_title="ETE Outcomes",
    page_icon=":material/work:",
    layout="wide",
    initial_sidebar_state="expanded",
)
# The data and modules the pages need, loaded once per server in the background (at
# server start with `python -m dashboard.serve`; else beside the first visitor).
start_warm_up()

#: (section, file, title, icon, default page?)
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("Contract", "app_pages/1_overview.py", "Overview", ":material/dashboard:"),
    ("Contract", "app_pages/9_present.py", "Presentation", ":material/slideshow:"),
    ("Analysis", "app_pages/2_funnels.py", "Funnels", ":material/filter_alt:"),
    ("Analysis", "app_pages/3_regions.py", "Regions", ":material/map:"),
    ("Analysis", "app_pages/4_cohorts.py", "Cohorts", ":material/timeline:"),
    ("Analysis", "app_pages/5_partners.py", "Partners", ":material/handshake:"),
    ("Analysis", "app_pages/6_equality.py", "Equality", ":material/diversity_3:"),
    ("Data and methods", "app_pages/7_data.py", "Data", ":material/database:"),
    ("Data and methods", "app_pages/8_about.py", "About these statistics", ":material/info:"),
)


#: The presentation page's URL path (``app_pages/9_present.py``).
PRESENTATION = "present"
#: The page of methods and definitions: no figures, shown to every audience and scope.
ABOUT = "about"
#: Hides the sidebar, its open/close control and Streamlit's header bar.
HIDE_SIDEBAR = (
    "<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], "
    "[data-testid='stHeader'] {display: none;}</style>"
)


def _navigation() -> dict[str, list[st.Page]]:
    sections: dict[str, list[st.Page]] = {}
    for section, path, title, icon in PAGES:
        sections.setdefault(section, []).append(
            st.Page(path, title=title, icon=icon, default=path == PAGES[0][1])
        )
    return sections


def _imported_at(last_import: dict[str, Any] | None) -> str:
    if not last_import or last_import.get("imported_at") is None:
        return ""
    stamp = pd.Timestamp(last_import["imported_at"])
    if stamp is pd.NaT:
        return ""
    return f"{uk_date(stamp)} at {stamp.strftime('%H:%M')}"


sections = _navigation()
# Before anything else: without access the sign-in or no-access page is the only page
# (whatever the link), and no data is loaded.
own_access = gate(p.url_path for pages in sections.values() for p in pages)
page = st.navigation(sections, position="hidden")  # the sidebar's links are the app's own:
sidebar_navigation(sections)  # Streamlit's fail WCAG 1.3.1 (dashboard.navigation)
data = load_data()  # only the regions this user (or the role a director previews) may see
# The presentation is full width for a meeting's screen: no header, banners or sidebar.
# The sidebar's widgets still run (hidden), so the filters and a preview outlive it.
presenting = page.url_path == PRESENTATION

if presenting:
    st.html(HIDE_SIDEBAR)
else:
    st.title("ETE Outcomes")
    header = [
        "Education, Training and Employment programme for people on probation",
        f"data to **{uk_date(data.cutoff)}**" if data.cutoff else "",
    ]
    landed = _imported_at(data.last_import)
    if landed:
        header.append(f"last import {landed}")
    st.caption(" · ".join(part for part in header if part))
notices: list[str] = []  # sign-in off, a preview, the stakeholder rules: one compact box, not three banners
if not presenting:
    show_identity(own_access, notices)  # who is signed in (sidebar), or the "sign-in is off" notice
preview_control(own_access, banner=not presenting, notices=notices)  # a director may see it as another does

filters = sidebar_filters(data, notes_in_sidebar=not presenting)  # the presentation hides the sidebar
if filters.stakeholder and not presenting:  # every page, before its content
    stakeholder_note(notices)
show_notices(notices)
if filters.stakeholder and page.url_path != ABOUT:
    # stakeholder figures: the whole programme or one region, never a total of some regions
    try:
        check_stakeholder_scope(filters.regions or require_access().regions)
    except InputError as refused:
        st.error(str(refused), icon=":material/block:")
        st.stop()
page.run()
