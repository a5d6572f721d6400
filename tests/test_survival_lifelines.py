"""Kaplan–Meier against lifelines (an independent, maintained implementation).

``kaplan_meier`` has two code paths: few (group, day) cells are counted directly
(``np.bincount`` over every cell), many cells through ``np.unique`` of the cells that occur
(the large-data path). Both are compared here with ``lifelines.KaplanMeierFitter`` on data
with ties (several events, several censorings and both on one day), group by group: the
people at risk, the events, the survival estimate and its log(-log) 95% interval (lifelines'
default ``exp(-exp(...))`` interval is the same one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter

from ete_metrics.counting import survival
from ete_metrics.counting.survival import kaplan_meier

#: A group code this far apart makes more (group, day) cells than the direct count allows
#: (over 2**20 and four per person), so the large-data path runs.
SPARSE_GROUP = 1_100_000


def _lifelines_table(durations: np.ndarray, observed: np.ndarray) -> pd.DataFrame:
    """lifelines' table for one group, at the days someone left (event or censoring)."""
    fitter = KaplanMeierFitter().fit(durations, event_observed=observed, alpha=0.05)
    # lifelines' table starts at day 0 even where no one leaves then: the days someone left
    events = fitter.event_table.loc[lambda t: t["removed"] > 0]
    times = events.index.to_numpy()
    interval = fitter.confidence_interval_survival_function_
    return pd.DataFrame({
        "time": times.astype("int64"),
        "at_risk": events["at_risk"].to_numpy().astype("int64"),
        "events": events["observed"].to_numpy().astype("int64"),
        "censored": events["censored"].to_numpy().astype("int64"),
        "survival": fitter.survival_function_.loc[times].to_numpy().ravel(),
        "ci_low": interval.iloc[:, 0].loc[times].to_numpy(),
        "ci_high": interval.iloc[:, 1].loc[times].to_numpy(),
    })


def _compare(durations: np.ndarray, observed: np.ndarray, groups: np.ndarray) -> None:
    ours = kaplan_meier(durations, observed, groups)
    for code in np.unique(groups):
        mine = ours.loc[ours["group"] == code].reset_index(drop=True)
        theirs = _lifelines_table(durations[groups == code], observed[groups == code])
        columns = ["time", "at_risk", "events", "censored"]
        pd.testing.assert_frame_equal(mine[columns], theirs[columns], check_dtype=False)
        np.testing.assert_allclose(mine["survival"], theirs["survival"], rtol=1e-12, atol=1e-12)
        # lifelines leaves the interval undefined (NaN) or at the estimate where it collapses:
        # compare where both are defined and the estimate is strictly between 0 and 1
        inside = (mine["survival"] > 0) & (mine["survival"] < 1)
        for bound in ("ci_low", "ci_high"):
            np.testing.assert_allclose(mine.loc[inside, bound], theirs.loc[inside, bound],
                                       rtol=1e-9, atol=1e-12)


def _uses_sparse_path(durations: np.ndarray, groups: np.ndarray) -> bool:
    span = int(durations.max()) + 1
    return (int(groups.max()) + 1) * span > max(4 * len(durations), 1 << 20)


# Twelve people in two groups, with ties: group 0 has two events on day 4, an event and a
# censoring on day 7; group 1 three events on day 2 and two censorings on day 9.
DURATIONS = np.array([1, 4, 4, 7, 7, 10, 2, 2, 2, 5, 9, 9])
OBSERVED = np.array([1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0], dtype=bool)
GROUPS = np.array([0] * 6 + [1] * 6)


def test_ties_on_the_direct_path_match_lifelines() -> None:
    assert not _uses_sparse_path(DURATIONS, GROUPS)
    _compare(DURATIONS, OBSERVED, GROUPS)


def test_ties_on_the_large_data_path_match_lifelines() -> None:
    groups = np.where(GROUPS == 1, SPARSE_GROUP, 0)
    assert _uses_sparse_path(DURATIONS, groups)
    _compare(DURATIONS, OBSERVED, groups)
    # and the two paths give the same table, group for group
    direct = kaplan_meier(DURATIONS, OBSERVED, GROUPS)
    sparse = kaplan_meier(DURATIONS, OBSERVED, groups).assign(
        group=lambda t: t["group"].replace({SPARSE_GROUP: 1}))
    pd.testing.assert_frame_equal(direct, sparse)


def test_a_tie_worked_by_hand_on_both_paths() -> None:
    # group 0: days 1e, 4e, 4e, 7e, 7c, 10c. At day 4, 5 at risk, 2 events: S = 5/6 * 3/5 = 0.5;
    # at day 7, 3 at risk (the one censored that day still at risk), 1 event: S = 0.5 * 2/3.
    for groups in (GROUPS, np.where(GROUPS == 1, SPARSE_GROUP, 0)):
        table = kaplan_meier(DURATIONS, OBSERVED, groups)
        first = table.loc[table["group"] == 0].set_index("time")
        assert first.loc[4, ["at_risk", "events"]].tolist() == [5, 2]
        assert first.loc[7, ["at_risk", "events", "censored"]].tolist() == [3, 1, 1]
        assert first.loc[4, "survival"] == pytest.approx(0.5)
        assert first.loc[7, "survival"] == pytest.approx(1 / 3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(st.integers(0, 30), st.booleans(), st.integers(0, 2)), min_size=1, max_size=60),
    sparse=st.booleans(),
)
def test_random_tied_data_match_lifelines_on_both_paths(rows: list[tuple[int, bool, int]], sparse: bool) -> None:
    durations = np.array([r[0] for r in rows])
    observed = np.array([r[1] for r in rows], dtype=bool)
    groups = np.array([r[2] for r in rows]) * (SPARSE_GROUP if sparse else 1)
    assert _uses_sparse_path(durations, groups) == (sparse and bool(groups.max()))
    _compare(durations, observed, groups)


def test_the_threshold_between_the_paths_is_the_modules() -> None:
    # the test's idea of which path runs follows the module: spying on np.unique shows it
    calls: list[int] = []
    real = np.unique

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[call-overload]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(survival.np, "unique", spy)
        kaplan_meier(DURATIONS, OBSERVED, GROUPS)
        assert calls == []
        kaplan_meier(DURATIONS, OBSERVED, np.where(GROUPS == 1, SPARSE_GROUP, 0))
        assert calls == [1]
