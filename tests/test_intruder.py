"""The intruder (tests/intruder_support.py) against everything a stakeholder sees at once.

Each publication here is what one page or pack shows together: the headline funnel now
and a month earlier, the funnel by region, the comparison of regions (work), and the
areas of a region drilled into. The intruder knows the policy and the published
numbers only; it must not pin a suppressed count to 1-4 nor recover a rounded count.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ete_metrics.counting.scope import Scope
from ete_metrics.data.frames import conform_milestones, conform_participants
from ete_metrics.metrics.comparison import compare_groups
from ete_metrics.metrics.funnel import funnel
from ete_metrics.protect.publication import Part, publish
from ete_metrics.steps import ENTERED, TRAINING
from ete_metrics.steps import WORK as WORK_STEP
from ete_metrics.views import COMPARE, FUNNEL
from tests.intruder_support import attack

AS_OF = "2023-08-01"
EARLIER = "2023-07-01"
WORK = {"entered": ENTERED.name, "participants": WORK_STEP.name}

#: (region, area, entered, in work a month earlier, in work now)
Group = tuple[str, str, int, int, int]


def _programme(groups: list[Group]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People who entered on 2 January 2023; some started work in June, some in July."""
    rows, events = [], []
    for number, (region, area, entered, before, now) in enumerate(groups):
        for i in range(entered):
            pid = f"P{number:02d}-{i:03d}"
            rows.append({"participant_id": pid, "region": region, "area": area,
                         "referral_date": "2023-01-01", "entry_date": "2023-01-02"})
            if i < now:
                day = "2023-06-01" if i < before else "2023-07-20"
                events.append({"participant_id": pid, "milestone": "job_start", "date": day})
    return conform_participants(pd.DataFrame(rows)), conform_milestones(
        pd.DataFrame(events, columns=["participant_id", "milestone", "date"]))


def _regions_publication(groups: list[Group], drill: str | None) -> list[Part]:
    """The headline now and a month earlier, by region, the comparison, one region's areas."""
    participants, milestones = _programme(groups)
    parts = [
        Part(funnel(Scope(participants, milestones, as_of=AS_OF)), FUNNEL),
        Part(funnel(Scope(participants, milestones, as_of=EARLIER)), FUNNEL, moment="a month earlier"),
        Part(funnel(Scope(participants, milestones, as_of=AS_OF), by="region"), FUNNEL),
        Part(compare_groups(Scope(participants, milestones, as_of=AS_OF), by="region"), COMPARE,
             measures=WORK),
    ]
    if drill is not None:
        inside = participants.loc[participants["region"] == drill]
        parts.append(Part(funnel(Scope(inside, milestones, as_of=AS_OF), by="area"), FUNNEL,
                          within={"region": drill}))
    return parts


#: Region A has 4 people in work (suppressed); B, the smallest other, is its secondary
#: cell in the comparison. B's two areas, drilled into, show 5 and 6 in work with their
#: rates; with C's count and the headline total, A's 4 follows by subtraction.
CRAFTED: list[Group] = [
    ("A", "A1", 30, 4, 4),
    ("B", "B1", 13, 5, 5),
    ("B", "B2", 11, 6, 6),
    ("C", "C1", 40, 10, 17),
]


def test_a_drilled_secondary_region_does_not_give_the_primary_back() -> None:
    parts = _regions_publication(CRAFTED, drill="B")
    assert attack(parts, publish(parts, "stakeholder")) == []


def test_now_and_a_month_earlier_together_hold() -> None:
    # C has 10 in work a month earlier and 17 now; A has 4 both times.
    parts = _regions_publication(CRAFTED, drill=None)
    assert attack(parts, publish(parts, "stakeholder")) == []


def test_the_intruder_finds_a_primary_through_rates_at_full_precision() -> None:
    # The intruder is not toothless: put the comparison's and the drill-down's true
    # rates (x / n at full precision, as files carried them) beside the protected
    # counts and it works out every region's count in work, then A's 4 by subtraction.
    parts = _regions_publication(CRAFTED, drill="B")
    shown = publish(parts, "stakeholder")
    for number in (3, 4):
        true = parts[number].frame
        rate = "rate" if number == 3 else "rate_from_entry"
        shown[number] = shown[number].assign(**{rate: true[rate].astype(float)})
    found = attack(parts, shown)
    assert any(f.part == 3 and f.column == "participants" and f.value == 4 for f in found)


_GROUP = st.tuples(
    st.integers(min_value=0, max_value=30),  # entered
    st.integers(min_value=0, max_value=30),  # in work a month earlier (capped below)
    st.integers(min_value=0, max_value=30),  # more in work by now (capped below)
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(_GROUP, min_size=1, max_size=2), min_size=2, max_size=3),
    st.booleans(),
)
def test_random_programmes_hold(regions: list[list[tuple[int, int, int]]], drill: bool) -> None:
    groups: list[Group] = []
    for r, areas in enumerate(regions):
        for a, (entered, before, more) in enumerate(areas):
            before = min(before, entered)
            groups.append((f"R{r}", f"R{r}-{a}", entered, before, min(before + more, entered)))
    if sum(g[2] for g in groups) == 0:
        return
    parts = _regions_publication(groups, drill="R0" if drill else None)
    assert attack(parts, publish(parts, "stakeholder")) == []


def _compare(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame({"region": [r for r, _, _ in rows], "entered": [n for _, n, _ in rows],
                         "participants": [x for _, _, x in rows],
                         "rate": [x / n for _, n, x in rows]})


def test_a_cell_suppressed_in_one_table_is_suppressed_wherever_it_is_shown() -> None:
    # One table shows regions A (30 entered, 3 in work), B (25, 7), C (40, 20): A's 3 is
    # suppressed and B, the smallest other, with it. Another table of the same publication
    # shows B and C only: B is the same people, so it is suppressed there too, and then C
    # with it (one suppressed cell in a line with a total); C then in the first table.
    parts = [Part(_compare([("A", 30, 3), ("B", 25, 7), ("C", 40, 20)]), COMPARE, measures=WORK),
             Part(_compare([("B", 25, 7), ("C", 40, 20)]), COMPARE, measures=WORK)]
    alone = publish(parts[:1], "stakeholder")[0]
    assert alone["participants"].tolist() == ["[c]", "[c]", 20]
    first, second = publish(parts, "stakeholder")
    assert second["participants"].tolist() == ["[c]", "[c]"]
    assert first["participants"].tolist() == ["[c]", "[c]", "[c]"]
    assert first["entered"].tolist() == [30, 25, 40]


def test_a_declared_publication_gives_its_parts_their_ties() -> None:
    from ete_metrics.protect.publication import parts_of
    from ete_metrics.views import COMPARE, PUBLICATIONS

    frame = pd.DataFrame({"region": ["A"], "entered": [10], "participants": [5]})
    parts = parts_of("regions", {"comparison": frame, "areas": frame,
                                 "by_region": None}, step=TRAINING.name, within={"region": "A"})
    assert list(parts) == ["comparison", "areas"]  # None: not shown this time
    assert dict(parts["comparison"].measures) == {"entered": ENTERED.name, "participants": TRAINING.name,
                                                  "observed": TRAINING.name}
    assert parts["comparison"].spec == COMPARE
    # the case-mix adjusted comparison is a model of each person's records: no set publishes it
    assert all(p.view.name != "standardised" for tables in PUBLICATIONS.values() for p in tables.values())
    assert dict(parts["areas"].within) == {"region": "A"} and parts["areas"].moment == "now"
    assert dict(parts["comparison"].within) == {}
    # the pack compares work; a page that compares a chosen step must say which
    assert parts_of("pack", {"comparison": frame})["comparison"].measures["participants"] == WORK_STEP.name
    with pytest.raises(KeyError):
        parts_of("regions", {"comparison": frame})
    assert {"overview", "funnels", "regions", "cohorts", "partners", "equality", "pack"} <= set(PUBLICATIONS)
