"""The standing notices before a page's title: one compact box, not a banner each."""

from __future__ import annotations

from apptest_support import *  # noqa: F403
from apptest_support import new_app, open_page

from dashboard.auth import SIGN_IN_OFF_BANNER
from dashboard.escape import unescape_markdown
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE


def test_a_previewed_stakeholder_page_has_one_notice_before_its_title(demo_db_url: str) -> None:
    """Sign-in off, the preview and the stakeholder rules were three stacked banners (460 px in
    Chromium at 1440 px) before the page's title; now one box holds the three, and ending the
    preview is a button in the sidebar, under the choice."""
    at = new_app()
    at.run()
    at.selectbox(key="ete_preview_as").set_value("A stakeholder (all regions)").run()
    open_page(at, "app_pages/1_overview.py")
    boxes = [*at.main.warning, *at.main.info, *at.main.error, *at.main.success]
    before_title = [b for b in boxes if SIGN_IN_OFF_BANNER in b.value or STAKEHOLDER_NOTE in b.value
                    or "you are seeing the dashboard as" in b.value]
    assert len(before_title) == 1, [b.value for b in before_title]
    (box,) = before_title
    assert SIGN_IN_OFF_BANNER in box.value and STAKEHOLDER_NOTE in box.value
    assert "you are seeing the dashboard as A stakeholder (all regions) sees it" in unescape_markdown(box.value)
    assert [b.key for b in at.sidebar.button if b.key == "end_preview"] == ["end_preview"]
    assert not [b for b in at.main.button if b.key == "end_preview"]
