"""The shared sidebar's filters offer what the regions chosen hold, and say whose regions are shown."""

from __future__ import annotations

from apptest_support import *  # noqa: F403
from apptest_support import DemoData, new_app

from dashboard.escape import unescape_markdown


def test_with_a_region_chosen_only_its_partners_are_offered(demo_db_url: str, demo_data: DemoData) -> None:
    """Wales chosen: the delivery-partner filter offers Wales's partners only (one of another region
    would empty the view); a partner chosen before of no region chosen is taken off, and the sidebar says so."""
    p = demo_data.participants
    wales = sorted(set(p.loc[p["region"] == "Wales", "delivery_partner"].dropna()))
    london_only = sorted(set(p.loc[p["region"] == "London", "delivery_partner"].dropna()) - set(wales))
    assert wales and london_only
    at = new_app({"partner": london_only[0]})
    at.run()
    assert at.multiselect(key="filter_delivery_partners").value == [london_only[0]]
    at.multiselect(key="filter_regions").set_value(["Wales"]).run()
    box = at.multiselect(key="filter_delivery_partners")
    assert sorted(box.options) == wales
    assert box.value == []
    assert any(london_only[0] in unescape_markdown(i.value) and "taken off" in i.value for i in at.sidebar.info)


def test_a_leads_regions_box_names_their_region(demo_db_url: str) -> None:
    """A Wales lead (a director's preview): nothing chosen reads as Wales, not "All regions"."""
    at = new_app()
    at.run()
    at.selectbox(key="ete_preview_as").set_value("A regional lead (Wales)").run()
    assert at.multiselect(key="filter_regions").placeholder == "Wales (your region)"
