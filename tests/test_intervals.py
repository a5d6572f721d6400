"""Wilson score interval against values worked out by hand from the formula.

Formula (Wilson 1927): with p = x/n and z = 1.959964 (z^2 = 3.841459),
    centre = (p + z^2/(2n)) / (1 + z^2/n)
    half   = z * sqrt(p(1-p)/n + z^2/(4n^2)) / (1 + z^2/n)
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ete_metrics.counting.intervals import wilson_interval
from ete_metrics.errors import InputError


def test_three_of_ten() -> None:
    # p = 0.3, n = 10: 1 + z^2/n = 1.3841459
    # centre = (0.3 + 3.841459/20) / 1.3841459 = 0.49207295 / 1.3841459 = 0.355505
    # half   = 1.959964 * sqrt(0.021 + 3.841459/400) / 1.3841459
    #        = 1.959964 * sqrt(0.03060365) / 1.3841459 = 1.959964 * 0.174939 / 1.3841459 = 0.247715
    # -> (0.107790, 0.603220)
    low, high = wilson_interval(3, 10)
    assert low == pytest.approx(0.107790, abs=1e-5)
    assert high == pytest.approx(0.603220, abs=1e-5)


def test_none_of_five() -> None:
    # p = 0, n = 5: 1 + z^2/n = 1.7682918
    # centre = (3.841459/10) / 1.7682918 = 0.217241
    # half   = 1.959964 * sqrt(3.841459/100) / 1.7682918 = 1.959964 * 0.195996 / 1.7682918 = 0.217241
    # -> lower exactly 0, upper 0.434482
    low, high = wilson_interval(0, 5)
    assert low == 0.0
    assert high == pytest.approx(0.434482, abs=1e-5)


def test_five_of_five_mirrors_none_of_five() -> None:
    # x = n: the interval is the mirror image of 0/5: (1 - 0.434482, 1) = (0.565518, 1)
    low, high = wilson_interval(5, 5)
    assert low == pytest.approx(0.565518, abs=1e-5)
    assert high == 1.0


def test_vectorised_and_zero_trials_nan() -> None:
    low, high = wilson_interval(np.array([3, 0, 0]), np.array([10, 5, 0]))
    assert low.shape == (3,)
    assert low[0] == pytest.approx(0.107790, abs=1e-5)
    assert high[1] == pytest.approx(0.434482, abs=1e-5)
    assert np.isnan(low[2]) and np.isnan(high[2])


def test_confidence_changes_width() -> None:
    # 90%: z = 1.644854, z^2 = 2.705543. 3/10: denominator 1.2705543,
    # centre = (0.3 + 0.13527717)/1.2705543 = 0.43527717/1.2705543 = 0.342588,
    # half = 1.644854*sqrt(0.021 + 0.006763858)/1.2705543 = 1.644854*0.166625/1.2705543 = 0.215712
    # -> (0.126876, 0.558300), narrower than the 95% (0.107790, 0.603220)
    low, high = wilson_interval(3, 10, confidence=0.90)
    assert low == pytest.approx(0.126876, abs=1e-5)
    assert high == pytest.approx(0.558300, abs=1e-5)


@pytest.mark.parametrize("successes, trials", [(-1, 5), (6, 5)])
def test_impossible_counts_rejected(successes: int, trials: int) -> None:
    with pytest.raises(InputError):
        wilson_interval(successes, trials)


@pytest.mark.parametrize("confidence", [0, 1, 1.5])
def test_bad_confidence_rejected(confidence: float) -> None:
    with pytest.raises(InputError):
        wilson_interval(1, 2, confidence=confidence)


@given(st.integers(min_value=1, max_value=5000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))))
def test_rate_lies_within_interval(case: tuple[int, int]) -> None:
    x, n = case
    low, high = wilson_interval(x, n)
    assert 0.0 <= low <= x / n <= high <= 1.0
