"""Issue 25 item 2: the stakeholder publication tells nothing the published counts do not.

Two programmes whose published stakeholder counts are all the same (the second one differs
from the first by a few people or milestones, found by hypothesis, each choice of a change a draw:
``invariance_support.find_perturbations``) must show a stakeholder the same thing on every
surface, value for value. A value that moves tells something the counts do not, and the
test names the surface, the cell and both values.

Here, the fast surfaces (each from a registry, so a new view, publication set or metric
command is covered without a change here): every view of ``views.VIEWS`` a stakeholder may
get, protected on its own, for all regions and for the smallest region, now and a month
earlier, with the totals of its pooled rates; every publication set of
``views.PUBLICATIONS`` protected together; every sheet of the stakeholder workbook; every
metric command of the CLI's parser run ``--as-user`` a stakeholder of an access file. The
pages, the deck and the PDF are in ``test_invariance_pages.py`` (marked browser: slow).

Measured (Dec 2026, a 1,200-referral demo programme, a busy 2-core machine): 160 fast
surfaces per programme; the search made 53 perturbations, 5 passed the screen of true counts,
3 kept every published count; about 7 minutes. On the code before issue 25's fix (15cad2d)
this test fails on all three leaks: "% of target", the projection and RAG (22 values: the
targets, target summary and RAG views, ``targets`` on the CLI, the workbook's targets
sheets), time to outcome's "reached by 3/6/12 months" (12 values: view, publication set,
CLI) and the Partners page's region and programme rates (23 values), as well as on the
Kaplan-Meier curve (91) and the forecast and chance of target (353).
"""

from __future__ import annotations

import pytest
from invariance_support import (
    Move,
    moved,
    producers,
    searched,
    summary,
)

from ete_metrics.views import VIEWS


def test_every_view_has_a_producer() -> None:
    base, _, _ = searched()
    assert set(producers(base)) == set(VIEWS), "add the new view's producer to invariance_support.producers"


def test_the_search_finds_perturbations_that_keep_every_count() -> None:
    _, surfaces, search = searched()
    print(f"{len(surfaces)} fast surfaces per programme; {search}")
    assert len(search.kept) >= 2, str(search)


def _report(moves: list[Move], limit: int = 25) -> str:
    return "\n".join(str(m) for m in moves[:limit]) + (f"\n... and {len(moves) - limit} more"
                                                        if len(moves) > limit else "")


def test_every_fast_surface_is_the_same_value_for_value() -> None:
    _, surfaces, search = searched()
    assert search.kept
    failures = []
    for perturbation in search.kept:
        assert perturbation.surfaces is not None
        moves = moved(surfaces, perturbation.surfaces)
        assert not [m for m in moves if m.count]  # the search kept only these
        if moves:
            failures.append(f"[{perturbation}] {len(moves)} values moved, by surface and column:\n"
                            f"{summary(moves)}\nthe first of them:\n{_report(moves)}")
    assert not failures, "\n\n".join(failures)


def test_the_comparison_sees_a_value_that_moves() -> None:
    # The comparison itself, on hand-made surfaces: a rate that moves while its counts
    # stay is named with its surface, row, column and both values; a count is a count.
    import pandas as pd

    before = {"t": pd.DataFrame({"region": ["Wales"], "participants": ["60"], "percent_achieved": ["0.741"]})}
    after = {"t": pd.DataFrame({"region": ["Wales"], "participants": ["60"], "percent_achieved": ["0.75"]})}
    assert [str(m) for m in moved(before, after)] == [
        "t: value row 0 (Wales) column 'percent_achieved': '0.741' -> '0.75'"]
    after["t"].loc[0, "participants"] = "65"
    assert [m.count for m in moved(before, after)] == [True, False]


pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
