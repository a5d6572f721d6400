"""Tests for the Kaplan–Meier internals (ete_metrics.counting.survival)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ete_metrics.counting.survival import (
    KM_COLUMNS,
    group_codes,
    kaplan_meier,
    outcome_milestone,
    survival_quantiles,
)
from ete_metrics.errors import InputError
from ete_metrics.steps import SUSTAINED

# Five people, days to event (e) or censoring (c): 2e, 3e, 3c, 5e, 8c.
#
#   t   n at risk  d  c   1-d/n   S(t)              sum d/(n(n-d))
#   2   5          1  0   4/5     0.8               1/(5*4) = 0.05
#   3   4          1  1   3/4     0.8*0.75 = 0.6    0.05 + 1/(4*3) = 0.133333
#   5   2          1  0   1/2     0.3               0.133333 + 1/(2*1) = 0.633333
#   8   1          0  1   1       0.3               0.633333
#
# (At t=3 the censored person is still at risk: events before censoring.)
FIVE_DURATIONS = np.array([2, 3, 3, 5, 8])
FIVE_OBSERVED = np.array([True, True, False, True, False])


def test_five_person_table_by_hand() -> None:
    table = kaplan_meier(FIVE_DURATIONS, FIVE_OBSERVED)
    assert list(table.columns) == list(KM_COLUMNS)
    assert table["time"].tolist() == [2, 3, 5, 8]
    assert table["at_risk"].tolist() == [5, 4, 2, 1]
    assert table["events"].tolist() == [1, 1, 1, 0]
    assert table["censored"].tolist() == [0, 1, 0, 1]
    assert table["survival"].to_numpy() == pytest.approx([0.8, 0.6, 0.3, 0.3])
    assert table["greenwood"].to_numpy() == pytest.approx([0.05, 0.133333, 0.633333, 0.633333], abs=1e-6)
    # Greenwood variance at t=3: 0.6**2 * 0.133333 = 0.048.
    variance = table["survival"] ** 2 * table["greenwood"]
    assert variance.iloc[1] == pytest.approx(0.048)


def test_log_log_interval_by_hand() -> None:
    # t=2: S = 0.8, log S = -0.2231436, sigma = sqrt(0.05) / 0.2231436 = 0.2236068 / 0.2231436
    # = 1.0020757; z = 1.959964, z*sigma = 1.9640327.
    # low  = 0.8 ** exp(+1.9640327) = 0.8 ** 7.12768 = exp(-0.2231436 * 7.12768) = exp(-1.590508) = 0.203809
    # high = 0.8 ** exp(-1.9640327) = 0.8 ** 0.140297 = exp(-0.0313064) = 0.969179
    table = kaplan_meier(FIVE_DURATIONS, FIVE_OBSERVED)
    assert table["ci_low"].iloc[0] == pytest.approx(0.203809, abs=1e-5)
    assert table["ci_high"].iloc[0] == pytest.approx(0.969179, abs=1e-5)
    # The interval contains the estimate and stays in [0, 1].
    assert (table["ci_low"] <= table["survival"]).all()
    assert (table["survival"] <= table["ci_high"]).all()


def test_interval_collapses_when_everyone_has_the_event() -> None:
    # Two people, events at 1 and 4: S = 1/2 then 0. At t=4 n = d = 1, Greenwood term infinite,
    # S = 0 and the interval is [0, 0].
    table = kaplan_meier(np.array([1, 4]), np.array([True, True]))
    assert table["survival"].tolist() == [0.5, 0.0]
    assert math.isinf(table["greenwood"].iloc[1])
    assert table["ci_low"].iloc[1] == 0.0
    assert table["ci_high"].iloc[1] == 0.0


def test_no_events_keeps_survival_one() -> None:
    table = kaplan_meier(np.array([3, 5]), np.array([False, False]))
    assert table["survival"].tolist() == [1.0, 1.0]
    assert table["ci_low"].tolist() == [1.0, 1.0]
    assert table["ci_high"].tolist() == [1.0, 1.0]


def test_groups_are_estimated_separately() -> None:
    # Group 1 is the five people; group 0 is one person with an event at day 1 (S = 0).
    durations = np.r_[FIVE_DURATIONS, 1]
    observed = np.r_[FIVE_OBSERVED, True]
    groups = np.array([1, 1, 1, 1, 1, 0])
    table = kaplan_meier(durations, observed, groups)
    assert table["group"].tolist() == [0, 1, 1, 1, 1]
    assert table["at_risk"].tolist() == [1, 5, 4, 2, 1]
    assert table["survival"].to_numpy() == pytest.approx([0.0, 0.8, 0.6, 0.3, 0.3])


def test_quantiles_by_hand() -> None:
    # Five people: S = 0.8 (t2), 0.6 (t3), 0.3 (t5), 0.3 (t8).
    # S <= 0.75 first at t=3; S <= 0.5 first at t=5; S never <= 0.25 -> NaN.
    table = kaplan_meier(FIVE_DURATIONS, FIVE_OBSERVED)
    q = survival_quantiles(table, {"q1": 0.75, "median": 0.5, "q3": 0.25})
    assert q.loc[0, "q1"] == 3
    assert q.loc[0, "median"] == 5
    assert math.isnan(q.loc[0, "q3"])


def test_quantile_exactly_at_half_counts() -> None:
    # Four people, events at 1, 2, 3, 4: S = 0.75, 0.5, 0.25, 0. S <= 0.5 first at t=2 (exactly 0.5).
    table = kaplan_meier(np.array([1, 2, 3, 4]), np.ones(4, dtype=bool))
    q = survival_quantiles(table, {"median": 0.5, "q3": 0.25})
    assert q.loc[0, "median"] == 2
    assert q.loc[0, "q3"] == 3


def test_empty_input_has_columns() -> None:
    table = kaplan_meier(np.array([], dtype="int64"), np.array([], dtype=bool))
    assert list(table.columns) == list(KM_COLUMNS)
    assert table.empty


def test_bad_input_raises() -> None:
    with pytest.raises(InputError):
        kaplan_meier(np.array([-1, 2]), np.array([True, True]))
    with pytest.raises(InputError):
        kaplan_meier(np.array([1, 2]), np.array([True]))
    with pytest.raises(InputError):
        kaplan_meier(np.array([1]), np.array([True]), confidence=1.5)
    with pytest.raises(InputError):
        outcome_milestone(SUSTAINED.name)


def test_group_codes_sorted_with_not_recorded() -> None:
    frame = pd.DataFrame({"region": ["Wales", None, "London", "Wales"]})
    codes, labels = group_codes(frame, ["region"])
    # Sorted labels: London, Not recorded, Wales.
    assert labels["region"].tolist() == ["London", "Not recorded", "Wales"]
    assert codes.tolist() == [2, 1, 0, 2]


def _brute_force(durations: np.ndarray, observed: np.ndarray) -> dict[int, tuple[int, int, float]]:
    """Kaplan–Meier the slow way: loop over distinct times, count at risk and events directly."""
    out = {}
    survival = 1.0
    for t in sorted(set(durations.tolist())):
        n = int((durations >= t).sum())
        d = int(((durations == t) & observed).sum())
        survival *= 1 - d / n
        out[t] = (n, d, survival)
    return out


subjects = st.lists(
    st.tuples(st.integers(0, 40), st.booleans(), st.integers(0, 2)), min_size=1, max_size=60
)


@settings(max_examples=200, deadline=None)
@given(subjects)
def test_matches_brute_force(rows: list[tuple[int, bool, int]]) -> None:
    durations = np.array([r[0] for r in rows])
    observed = np.array([r[1] for r in rows])
    groups = np.array([r[2] for r in rows])
    table = kaplan_meier(durations, observed, groups)
    for group in np.unique(groups):
        mine = table.loc[table["group"] == group]
        expected = _brute_force(durations[groups == group], observed[groups == group])
        assert mine["time"].tolist() == list(expected)
        assert mine["at_risk"].tolist() == [v[0] for v in expected.values()]
        assert mine["events"].tolist() == [v[1] for v in expected.values()]
        assert mine["survival"].to_numpy() == pytest.approx([v[2] for v in expected.values()], abs=1e-12)
    assert (table["ci_low"] <= table["survival"] + 1e-12).all()
    assert (table["survival"] <= table["ci_high"] + 1e-12).all()
    assert ((table["ci_low"] >= 0) & (table["ci_high"] <= 1)).all()
