"""Exact binomial, Poisson and gamma probabilities and quantiles, from ``scipy.special``.

The funnel-plot limits (:mod:`ete_metrics.metrics.comparison`) and the standardised
ratios' intervals and limits (:mod:`ete_metrics.metrics.standardised`) need exact
distribution functions and quantiles. The cumulative probabilities are SciPy's
regularised incomplete beta and gamma functions (Boost's, the ones ``scipy.stats``
uses): ``P(R <= r) = 1 - I_p(r + 1, n - r)`` for ``R ~ Binomial(n, p)``,
``P(O <= r) = Q(r + 1, lambda)`` for ``O ~ Poisson(lambda)``; the gamma quantile is
``scipy.special.gammaincinv``. The discrete quantiles (the smallest ``r`` with
``P(X <= r) >= p``, and the probabilities at ``r`` and ``r - 1`` that Spiegelhalter's
interpolation needs) are a bracketed search from a Cornish-Fisher guess.

Only ``scipy.special`` is loaded, and only when a limit is first worked out (never by
importing this module): ``scipy.stats`` takes seconds to import, ``scipy.special`` a
fraction of one (``benchmarks/bench_distributions.py`` measures both, and the NumPy
implementation this replaced).
"""

from __future__ import annotations

from statistics import NormalDist
from types import ModuleType

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["binomial_cdf", "binomial_ppf", "gamma_ppf", "poisson_cdf", "poisson_ppf"]

#: A computed probability this close (relative) below the target counts as reaching it, so
#: that exact ties (``P(R <= 1) = 0.5`` for ``Binomial(3, 0.5)``) resolve as in exact arithmetic.
_TIE = 1e-13


def _special() -> ModuleType:
    """``scipy.special``, imported on first use (a process that draws no limits never loads it)."""
    from scipy import special

    return special


def binomial_cdf(r: ArrayLike, n: ArrayLike, p: ArrayLike) -> np.ndarray:
    """``P(R <= r)`` for ``R ~ Binomial(n, p)``: ``1 - I_p(r + 1, n - r)`` (``r`` is floored)."""
    given, size, rate = (np.asarray(v, dtype="float64") for v in np.broadcast_arrays(r, n, p))
    counts = np.floor(given)
    out = np.where(counts < 0, 0.0, 1.0)
    inner = (counts >= 0) & (counts < size) & (rate > 0)
    if inner.any():
        k = counts[inner]
        out[inner] = _special().betaincc(k + 1.0, size[inner] - k, rate[inner])
    return out


def poisson_cdf(r: ArrayLike, mean: ArrayLike) -> np.ndarray:
    """``P(O <= r)`` for ``O ~ Poisson(mean)``: ``Q(r + 1, mean)`` (``r`` is floored)."""
    given, lam = (np.asarray(v, dtype="float64") for v in np.broadcast_arrays(r, mean))
    counts = np.floor(given)
    out = np.where(counts < 0, 0.0, 1.0)
    inner = (counts >= 0) & (lam > 0)
    if inner.any():
        out[inner] = _special().gammaincc(counts[inner] + 1.0, lam[inner])
    return out


def _discrete_ppf(cdf, probability: float, guess: np.ndarray, top: np.ndarray):  # type: ignore[no-untyped-def]
    """The smallest integer ``r`` in ``0..top`` with ``cdf(r, mask) >= probability``, with the CDF at ``r`` and ``r - 1``.

    A bracket ``lo < r <= hi`` (``cdf(lo) < probability <= cdf(hi)``) starts at
    ``(-1, top)`` and narrows by probing from ``guess`` in doubling steps, then by halving.
    """
    lo = np.full(guess.shape, -1.0)
    hi = top.astype("float64").copy()
    c_lo = np.zeros(guess.shape)
    c_hi = np.ones(guess.shape)
    probe = np.clip(np.floor(guess), 0.0, hi)
    step = np.ones(guess.shape)
    while True:
        active = hi - lo > 1
        if not active.any():
            return hi, c_hi, c_lo
        inside = (probe > lo) & (probe < hi)
        probe = np.where(inside, probe, np.floor((lo + hi) / 2.0))
        idx = np.flatnonzero(active)
        c = cdf(probe[idx], idx)
        up = c >= probability * (1.0 - _TIE)
        at_up, at_down = idx[up], idx[~up]
        hi[at_up], c_hi[at_up] = probe[at_up], c[up]
        lo[at_down], c_lo[at_down] = probe[at_down], c[~up]
        probe[at_up] -= step[at_up]
        probe[at_down] += step[at_down]
        step[idx] *= 2.0


def _cornish_fisher(probability: float, mean: np.ndarray, sd: np.ndarray, skew: np.ndarray) -> np.ndarray:
    z = NormalDist().inv_cdf(probability)
    return mean + sd * (z + (z * z - 1.0) * skew / 6.0) - 0.5


def _check_probability(probability: float) -> float:
    probability = float(probability)
    if not 0.0 < probability < 1.0:
        raise ValueError(f"A cumulative probability must be strictly between 0 and 1, not {probability!r}.")
    return probability


def binomial_ppf(probability: float, n: ArrayLike, p: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The smallest ``r`` with ``P(R <= r) >= probability``, ``R ~ Binomial(n, p)``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``r``, ``P(R <= r)`` and ``P(R <= r - 1)`` (float64), per ``n``.
    """
    probability = _check_probability(probability)
    size = np.asarray(n, dtype="float64")
    rate = float(p)
    q = 1.0 - rate
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(size * rate * q)
        skew = np.where(sd > 0, (q - rate) / sd, 0.0)
    guess = _cornish_fisher(probability, size * rate, sd, skew)
    guess = np.where(np.isfinite(guess), guess, 0.0)
    return _discrete_ppf(lambda r, idx: binomial_cdf(r, size[idx], rate), probability, guess, size)


def poisson_ppf(probability: float, mean: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The smallest ``r`` with ``P(O <= r) >= probability``, ``O ~ Poisson(mean)``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``r``, ``P(O <= r)`` and ``P(O <= r - 1)`` (float64), per mean.
    """
    probability = _check_probability(probability)
    lam = np.asarray(mean, dtype="float64")
    sd = np.sqrt(lam)
    with np.errstate(divide="ignore", invalid="ignore"):
        skew = np.where(sd > 0, 1.0 / sd, 0.0)
    guess = _cornish_fisher(probability, lam, sd, skew)
    # beyond mean + 40 sd + 60 the upper tail is below 1e-300: a bound that cannot be the answer
    top = np.ceil(lam + 40.0 * sd + 60.0)
    return _discrete_ppf(lambda r, idx: poisson_cdf(r, lam[idx]), probability, guess, top)


def gamma_ppf(probability: float, a: ArrayLike) -> np.ndarray:
    """The ``x`` with ``P(a, x) = probability``: the quantile of a gamma distribution of shape ``a``.

    ``chi2.ppf(p, 2 a) / 2``, by ``scipy.special.gammaincinv``; ``NaN`` where ``a`` is not positive.
    """
    probability = _check_probability(probability)
    shape = np.asarray(a, dtype="float64")
    valid = np.isfinite(shape) & (shape > 0)
    out = np.full(shape.shape, np.nan)
    if valid.any():
        out[valid] = _special().gammaincinv(shape[valid], probability)
    return out
