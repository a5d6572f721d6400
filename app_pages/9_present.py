"""Presentation: the stakeholder deck's views on screen, one a slide, for a meeting.

Full width, no sidebar, no banners: each slide is one view of the deck (title and
what changed, headline figures, each chart with its figures, the definitions), built by
:func:`ete_metrics.present.report.content.report_content` for the stakeholder audience
from the sidebar's filters, so the figures are the protected figures of the
stakeholder deck. The arrow keys (or the buttons) move between slides. The deck and
the PDF stay the files to send.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard.data import filtered, load_data, programme_metric
from dashboard.escape import markdown_literal
from dashboard.filters import current_filters
from dashboard.render import PLOTLY_CONFIG, empty_state, show_table, user_errors
from ete_metrics.metrics.funnel import funnel
from ete_metrics.present.formatting import uk_date
from ete_metrics.present.report.content import HEADLINE_COLUMNS, ReportContent, report_content
from ete_metrics.protect.audience import STAKEHOLDER

#: Session-state keys: the slide shown, and the content built for (data version, filters).
SLIDE_KEY = "present_slide"
CONTENT_KEY = "_present_content"

data = load_data()
filters = current_filters()


def _content() -> ReportContent:
    """The stakeholder pack for the current filters, built once per data version and filters.

    Kept in this session only (one pack at a time): moving between slides reruns the
    page, and the pack takes seconds to compute.
    """
    key = (data.version, filters.key())
    kept = st.session_state.get(CONTENT_KEY)
    if kept is not None and kept[0] == key:
        return kept[1]
    participants, milestones = filtered(data, filters)
    with st.spinner("Preparing the slides…"):
        # Part of the programme in view (a lead's regions, or a region filter): set against
        # the programme's aggregate, as on the Regions page, never compared with itself.
        programme = programme_metric(
            funnel, filters, as_of=filters.as_of, include_sustained=True, **filters.date_range()
        ) if filters.part_of_programme else None
        content = report_content(
            participants, milestones, data.targets, as_of=filters.as_of, audience=STAKEHOLDER,
            regions=list(filters.regions) or None, pathways=list(filters.pathways) or None,
            delivery_partners=list(filters.delivery_partners) or None,
            date_from=filters.date_from, date_to=filters.date_to, programme=programme,
        )
    st.session_state[CONTENT_KEY] = (key, content)
    return content


def _title_slide(content: ReportContent) -> None:
    st.title(content.programme)
    st.header(f"Stakeholder presentation · Figures as at {uk_date(content.as_of)}")  # h1, then h2
    st.markdown(markdown_literal(content.filters_text()))


def _headline_slide(content: ReportContent) -> None:
    st.header("Headline figures")
    table = content.headline
    shown = table.display()
    show_table(shown[[table.heading(c) for c in HEADLINE_COLUMNS]], every_row=True)
    st.subheader(f"What changed since {uk_date(content.previous_as_of)}")
    st.markdown("\n".join(f"- {markdown_literal(sentence)}" for sentence in content.changes))


def _view_slide(content: ReportContent, index: int) -> None:
    view = content.views[index]
    st.header(view.title)
    st.caption(markdown_literal(view.summary))
    if view.figure is not None:
        st.plotly_chart(view.figure, key=f"present_chart_{view.key}", config=PLOTLY_CONFIG)
    show_table(view.table.display(), every_row=True)  # a meeting's screen shows every row


def _definitions_slide(content: ReportContent) -> None:
    st.header("Definitions")
    show_table(pd.DataFrame(list(content.definitions), columns=["Term", "Definition"]), every_row=True)


def _slides(content: ReportContent) -> list[Callable[[], None]]:
    """The slides in the deck's order."""
    return [
        lambda: _title_slide(content),
        lambda: _headline_slide(content),
        *(lambda i=i: _view_slide(content, i) for i in range(len(content.views))),  # type: ignore[misc]
        lambda: _definitions_slide(content),
    ]


def _move(step: int, last: int) -> None:
    st.session_state[SLIDE_KEY] = min(max(st.session_state.get(SLIDE_KEY, 0) + step, 0), last)


if data.participants.empty:
    empty_state("There is nothing to present yet: import an extract on the Data page.")
    st.stop()

with user_errors():
    content = _content()
    slides = _slides(content)
last = len(slides) - 1
number = min(max(int(st.session_state.get(SLIDE_KEY, 0)), 0), last)
st.session_state[SLIDE_KEY] = number

# Each button shows its arrow once: the icon, before "Previous" and after "Next". Streamlit
# also draws a shortcut's key after the label ("← Previous ←"), so that hint is hidden; the
# caption between the buttons says the arrow keys move between slides.
st.html(
    "<style>.st-key-present_previous [aria-label^='Shortcut'], "
    ".st-key-present_next [aria-label^='Shortcut'] { display: none; }</style>"
)
previous, where, following, leave = st.columns([1, 2, 1, 1], vertical_alignment="center")
with previous:
    st.button("Previous", key="present_previous", icon=":material/arrow_back:", shortcut="Left",
              disabled=number == 0, on_click=_move, args=(-1, last), width="stretch")
with where:
    st.caption(f"Slide {number + 1} of {last + 1} · the arrow keys move between slides")
with following:
    st.button("Next", key="present_next", icon=":material/arrow_forward:", icon_position="right", shortcut="Right",
              disabled=number == last, on_click=_move, args=(1, last), width="stretch")
with leave:
    st.page_link("app_pages/1_overview.py", label="End the presentation", icon=":material/close:")

with user_errors():
    slides[number]()
st.caption(markdown_literal(content.note))  # on every slide, as the deck's footer
