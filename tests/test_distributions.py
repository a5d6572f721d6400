"""The exact distributions (ete_metrics.metrics.distributions, from scipy.special) against scipy.stats.

``scipy.stats`` is the independent calculation here (its distributions' own quantiles);
the package itself loads ``scipy.special`` only, and only when it works out a limit.
The quantiles are the package's own search (the smallest ``r`` with ``P(X <= r) >= p``,
exact ties resolved as in exact arithmetic), so they are checked against SciPy's.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ete_metrics.metrics.comparison import binomial_limit, funnel_limits
from ete_metrics.metrics.distributions import (
    binomial_cdf,
    binomial_ppf,
    gamma_ppf,
    poisson_cdf,
    poisson_ppf,
)
from ete_metrics.metrics.standardised import poisson_interval, poisson_ratio_limit

SIZES = [1, 2, 3, 7, 20, 57, 250, 1_000, 45_000, 1_000_000]
RATES = [0.0, 1e-6, 0.003, 0.05, 0.3, 0.5, 0.77, 0.999, 1.0]
MEANS = [1e-4, 0.2, 1.0, 2.5, 9.0, 40.0, 333.3, 5_000.0, 45_000.0, 1_000_000.0]
PROBABILITIES = [0.001, 0.025, 0.5, 0.975, 0.999]
TOLERANCE = 1e-9


def _counts_around(mean: float, sd: float, top: float | None) -> np.ndarray:
    """Counts from -1 to a few past the edges, and 33 points within 8 sd of the mean."""
    middle = np.round(mean + (sd + 1.0) * np.linspace(-8, 8, 33))
    edges = [-1, 0, 1, 2] + ([top - 1, top, top + 1] if top is not None else [])
    counts = np.unique(np.r_[edges, middle])
    return counts[(counts >= -1) & ((counts <= top + 1) if top is not None else True)]


@pytest.mark.parametrize("n", SIZES)
def test_the_binomial_cumulative_probability_matches_scipy(n: int) -> None:
    for p in RATES:
        r = _counts_around(n * p, np.sqrt(n * p * (1 - p)), n)
        assert binomial_cdf(r, n, p) == pytest.approx(stats.binom.cdf(r, n, p), abs=TOLERANCE, rel=TOLERANCE)


def test_the_binomial_edges_are_exact() -> None:
    # x = 0: P(R <= 0) = (1 - p)^n; x = n: P(R <= n) = 1; below 0 nothing
    assert binomial_cdf([0], 10, 0.2)[0] == pytest.approx(0.8**10, rel=1e-14)
    assert binomial_cdf([10, 11], 10, 0.2).tolist() == [1.0, 1.0]
    assert binomial_cdf([-1], 10, 0.2)[0] == 0.0
    # P(R <= n - 1) = 1 - p^n
    assert binomial_cdf([9], 10, 0.2)[0] == pytest.approx(1 - 0.2**10, rel=1e-14)
    # P(R <= 2) for Binomial(5, 1/2) = (1 + 5 + 10) / 32; a count is floored (2.7 is 2)
    assert binomial_cdf([2, 2.7], 5, 0.5).tolist() == pytest.approx([16 / 32, 16 / 32], rel=1e-14)


@pytest.mark.parametrize("p", RATES)
def test_binomial_quantiles_and_their_probabilities_match_scipy(p: float) -> None:
    n = np.array(SIZES, dtype="float64")
    for probability in PROBABILITIES:
        r, at_r, below_r = binomial_ppf(probability, n, p)
        expected = stats.binom.ppf(probability, n, p)
        assert r.tolist() == expected.tolist()
        assert at_r == pytest.approx(stats.binom.cdf(expected, n, p), abs=TOLERANCE)
        assert below_r == pytest.approx(stats.binom.cdf(expected - 1, n, p), abs=TOLERANCE)


@pytest.mark.parametrize("mean", MEANS)
def test_the_poisson_cumulative_probability_and_quantiles_match_scipy(mean: float) -> None:
    r = _counts_around(mean, np.sqrt(mean), None)
    assert poisson_cdf(r, mean) == pytest.approx(stats.poisson.cdf(r, mean), abs=TOLERANCE, rel=TOLERANCE)
    for probability in PROBABILITIES:
        q, at_q, below_q = poisson_ppf(probability, [mean])
        expected = stats.poisson.ppf(probability, mean)
        assert q[0] == expected
        assert at_q[0] == pytest.approx(stats.poisson.cdf(expected, mean), abs=TOLERANCE)
        assert below_q[0] == pytest.approx(stats.poisson.cdf(expected - 1, mean), abs=TOLERANCE)


def test_the_poisson_edges_are_exact() -> None:
    assert poisson_cdf([0], 2.0)[0] == pytest.approx(np.exp(-2.0), rel=1e-14)
    assert poisson_cdf([1], 2.0)[0] == pytest.approx(3 * np.exp(-2.0), rel=1e-14)
    assert poisson_cdf([-1], 2.0)[0] == 0.0


@pytest.mark.parametrize("shape", [0.5, 1.0, 2.0, 3.0, 11.0, 57.0, 1_000.0, 45_001.0, 1_000_000.0])
def test_gamma_quantiles_match_scipy(shape: float) -> None:
    for probability in PROBABILITIES:
        assert gamma_ppf(probability, [shape])[0] == pytest.approx(stats.gamma.ppf(probability, shape), rel=TOLERANCE)


def test_gamma_quantiles_with_a_known_closed_form() -> None:
    # shape 1 is the exponential distribution: the quantile of p is -log(1 - p)
    assert gamma_ppf(0.975, [1.0])[0] == pytest.approx(-np.log(0.025), rel=1e-12)
    assert np.isnan(gamma_ppf(0.5, [0.0, np.nan, -1.0])).all()


def _scipy_binomial_limit(rate: float, n: np.ndarray, probability: float) -> np.ndarray:
    """Spiegelhalter's interpolated exact limit (2005, appendix A.1.1), written out with SciPy."""
    r = stats.binom.ppf(probability, n, rate)
    at_r = stats.binom.cdf(r, n, rate)
    below_r = stats.binom.cdf(r - 1, n, rate)
    alpha = np.where(at_r > below_r, (at_r - probability) / np.where(at_r > below_r, at_r - below_r, 1), 0.0)
    return np.clip((r - alpha) / n, 0.0, 1.0)


@pytest.mark.parametrize("rate", [0.0, 0.003, 0.18, 0.5, 0.93])
def test_the_funnel_limits_match_those_worked_out_with_scipy(rate: float) -> None:
    n = np.array(SIZES, dtype="float64")
    limits = funnel_limits(rate, n.astype("int64"))
    for column, probability in (("lower_95", 0.025), ("upper_95", 0.975), ("lower_998", 0.001), ("upper_998", 0.999)):
        expected = _scipy_binomial_limit(rate, n, probability)
        assert limits[column].to_numpy() == pytest.approx(expected, abs=TOLERANCE), column
        assert binomial_limit(rate, n, probability) == pytest.approx(expected, abs=TOLERANCE)


def test_the_standardised_intervals_and_limits_match_those_worked_out_with_scipy() -> None:
    observed = np.array([0, 1, 2, 5, 17, 230, 4_999, 45_000, 1_000_000], dtype="float64")
    expected = np.array([0.7, 1.0, 3.2, 4.0, 20.5, 199.0, 5_100.0, 44_000.0, 1_000_100.0])
    low, high = poisson_interval(observed, expected)
    want_low = np.where(observed > 0, stats.chi2.ppf(0.025, 2 * np.maximum(observed, 1)) / 2, 0.0) / expected
    want_high = stats.chi2.ppf(0.975, 2 * (observed + 1)) / 2 / expected
    assert low == pytest.approx(want_low, rel=TOLERANCE, abs=1e-300)
    assert high == pytest.approx(want_high, rel=TOLERANCE)
    for probability in (0.001, 0.025, 0.975, 0.999):
        r = stats.poisson.ppf(probability, expected)
        at_r, below_r = stats.poisson.cdf(r, expected), stats.poisson.cdf(r - 1, expected)
        want = np.maximum((r - (at_r - probability) / (at_r - below_r)) / expected, 0.0)
        assert poisson_ratio_limit(expected, probability) == pytest.approx(want, abs=TOLERANCE)


def test_a_probability_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        binomial_ppf(1.0, [10], 0.5)


def test_a_quantile_at_an_exact_tie_is_the_smaller_count() -> None:
    # Binomial(3, 1/2): P(R <= 0) = 1/8, P(R <= 1) = 4/8 exactly, so the median is 1 (not 2),
    # however the incomplete beta function rounds 0.5
    r, at_r, below_r = binomial_ppf(0.5, [3], 0.5)
    assert (r[0], at_r[0], below_r[0]) == (1.0, pytest.approx(0.5, rel=1e-14), pytest.approx(0.125, rel=1e-14))
