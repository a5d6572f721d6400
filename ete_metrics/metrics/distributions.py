"""Exact binomial, Poisson and gamma probabilities in NumPy (no SciPy: it takes 1.5 s to load).

The funnel-plot limits (:mod:`ete_metrics.metrics.comparison`) and the standardised
ratios' intervals and limits (:mod:`ete_metrics.metrics.standardised`) need exact
distribution functions and quantiles. They are computed here the standard way:

* probability masses by the saddle-point formula of Loader (2000), which stays
  accurate to about 1e-14 (relative) at a million trials, where subtracting
  log-gamma values loses about nine digits;
* the binomial cumulative probability as a regularised incomplete beta function,
  ``P(R <= r) = I_{1-p}(n - r, r + 1)``, by its continued fraction (modified Lentz),
  and the Poisson one as a regularised incomplete gamma function,
  ``P(O <= r) = Q(r + 1, lambda)``, by its series or its continued fraction
  (Numerical Recipes, 3rd edition, sections 6.2 and 6.4), each started from the mass
  so that no precision is lost in its front factor;
* discrete quantiles (the smallest ``r`` with ``P(X <= r) >= p``) by a bracketed
  search from a Cornish-Fisher guess, and the gamma quantile by Newton's method kept
  inside a bracket (bisection when a step would leave it).

References
----------
C. Loader (2000), "Fast and accurate computation of binomial probabilities".
W. H. Press et al. (2007), Numerical Recipes, 3rd edition, sections 6.2 and 6.4.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "binomial_cdf",
    "binomial_pmf",
    "binomial_ppf",
    "gamma_cdf",
    "gamma_ppf",
    "poisson_cdf",
    "poisson_pmf",
    "poisson_ppf",
]

_EPS = 1e-16
_TINY = 1e-300
_MAX_ITERATIONS = 100_000
#: A computed probability this close (relative) below the target counts as reaching it, so
#: that exact ties (``P(R <= 1) = 0.5`` for ``Binomial(3, 0.5)``) resolve as in exact arithmetic.
_TIE = 1e-13
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_lgamma = np.vectorize(math.lgamma, otypes=["float64"])


def _stirlerr(n: np.ndarray) -> np.ndarray:
    """``log(n!) - log(sqrt(2 pi n) (n / e)^n)``, the error of Stirling's formula (n > 0)."""
    n = np.asarray(n, dtype="float64")
    out = np.empty_like(n)
    small = n <= 15.0
    if small.any():
        m = n[small]
        out[small] = _lgamma(m + 1.0) - (m + 0.5) * np.log(m) + m - _LOG_SQRT_2PI
    big = ~small
    if big.any():
        m = n[big]
        mm = m * m
        out[big] = (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - (1 / 1188) / mm) / mm) / mm) / mm) / m
    return out


def _bd0(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """The deviance term ``x log(x / mean) + mean - x``, without cancellation near ``x = mean``."""
    x, mean = np.broadcast_arrays(np.asarray(x, dtype="float64"), np.asarray(mean, dtype="float64"))
    out = np.empty(x.shape, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        near = np.abs(x - mean) < 0.1 * (x + mean)
        far = ~near
        out[far] = x[far] * np.log(x[far] / mean[far]) + mean[far] - x[far]
        if near.any():
            xs, ms = x[near], mean[near]
            v = (xs - ms) / (xs + ms)
            total = (xs - ms) * v
            term = 2.0 * xs * v
            v2 = v * v
            for j in range(1, 40):  # |v| < 0.1: each term is at least 100 times smaller
                term = term * v2
                total = total + term / (2 * j + 1)
            out[near] = total
    return out


def binomial_pmf(r: ArrayLike, n: ArrayLike, p: ArrayLike) -> np.ndarray:
    """``P(R = r)`` for ``R ~ Binomial(n, p)`` (Loader's saddle-point form); ``r`` may be real."""
    r, n, p = (np.asarray(v, dtype="float64") for v in np.broadcast_arrays(r, n, p))
    q = 1.0 - p
    out = np.zeros(r.shape, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        zero = r == 0
        out[zero] = np.exp(n[zero] * np.log1p(-p[zero]))
        full = (r == n) & ~zero
        out[full] = np.exp(n[full] * np.log(p[full]))
        inner = (r > 0) & (r < n) & (p > 0) & (p < 1)
        if inner.any():
            x, m, pp, qq = r[inner], n[inner], p[inner], q[inner]
            lc = _stirlerr(m) - _stirlerr(x) - _stirlerr(m - x) - _bd0(x, m * pp) - _bd0(m - x, m * qq)
            lf = 2.0 * _LOG_SQRT_2PI + np.log(x) + np.log1p(-x / m)
            out[inner] = np.exp(lc - 0.5 * lf)
    return out


def poisson_pmf(r: ArrayLike, mean: ArrayLike) -> np.ndarray:
    """``exp(-mean) mean^r / Gamma(r + 1)`` (Loader's form): ``P(O = r)`` for integer ``r >= 0``."""
    r, mean = (np.asarray(v, dtype="float64") for v in np.broadcast_arrays(r, mean))
    out = np.zeros(r.shape, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        zero = r == 0
        out[zero] = np.exp(-mean[zero])
        inner = (r > 0) & (mean > 0)
        x, m = r[inner], mean[inner]
        out[inner] = np.exp(-_stirlerr(x) - _bd0(x, m)) / np.sqrt(2.0 * np.pi * x)
    return out


def _continued_fraction(term, size: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """``a_1 / (b_1 + a_2 / (b_2 + ...))`` by modified Lentz; ``term(j)`` gives ``(a_j, b_j)``, j >= 1."""
    f = np.full(size, _TINY)
    c = f.copy()
    d = np.zeros(size)
    active = np.ones(size, dtype=bool)
    for j in range(1, _MAX_ITERATIONS):
        a_j, b_j = term(j)
        d = b_j + a_j * d
        d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
        c = b_j + a_j / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        delta = c * d
        f = np.where(active, f * delta, f)
        active &= np.abs(delta - 1.0) > _EPS
        if not active.any():
            return f
    raise ArithmeticError("A continued fraction did not converge.")


def _beta_fraction(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The continued fraction of ``I_x(a, b)`` (Numerical Recipes ``betacf``).

    ``I_x(a, b) = front / (1 + d_1 / (1 + d_2 / ...))`` where
    ``front = x^a (1 - x)^b / (a B(a, b))``; it converges quickly when
    ``x < (a + 1) / (a + b + 2)``.
    """

    def term(j: int) -> tuple[np.ndarray | float, float]:
        if j == 1:
            return 1.0, 1.0
        m = j - 1
        k = m // 2
        if m % 2 == 1:  # d_{2k+1}
            return -(a + k) * (a + b + k) * x / ((a + 2 * k) * (a + 2 * k + 1)), 1.0
        return k * (b - k) * x / ((a + 2 * k - 1) * (a + 2 * k)), 1.0  # d_{2k}

    return _continued_fraction(term, x.size)


def binomial_cdf(r: ArrayLike, n: ArrayLike, p: ArrayLike) -> np.ndarray:
    """``P(R <= r)`` for ``R ~ Binomial(n, p)``: ``I_{1-p}(n - r, r + 1)`` (``r`` is floored)."""
    given, size, rate = (np.asarray(v, dtype="float64") for v in np.broadcast_arrays(r, n, p))
    counts = np.floor(given)
    out = np.where(counts < 0, 0.0, 1.0)
    inner = (counts >= 0) & (counts < size) & (rate > 0)
    if not inner.any():
        return out
    k, m, pp = counts[inner], size[inner], rate[inner]
    q = 1.0 - pp
    a, b = m - k, k + 1.0
    # I_q(a, b) directly when q < (a + 1) / (a + b + 2); else 1 - I_p(b, a)
    direct = q < (a + 1.0) / (a + b + 2.0)
    value = np.empty(k.shape, dtype="float64")
    if direct.any():
        front = binomial_pmf(k[direct], m[direct], pp[direct]) * pp[direct]
        value[direct] = front * _beta_fraction(q[direct], a[direct], b[direct])
    flip = ~direct
    if flip.any():
        front = binomial_pmf(k[flip] + 1.0, m[flip], pp[flip]) * q[flip]
        upper = front * _beta_fraction(pp[flip], b[flip], a[flip])
        value[flip] = 1.0 - upper
    out[inner] = np.clip(value, 0.0, 1.0)
    return out


def gamma_cdf(x: ArrayLike, a: ArrayLike, *, upper: bool = False) -> np.ndarray:
    """The regularised incomplete gamma function ``P(a, x)`` (``Q(a, x) = 1 - P`` when ``upper``).

    ``P(a, x)`` is the cumulative probability at ``x`` of a gamma distribution of shape
    ``a`` (scale 1). Series for ``x < a + 1``, continued fraction otherwise.
    """
    x, a = (np.asarray(v, dtype="float64") for v in np.broadcast_arrays(x, a))
    lower = np.where(x > 0, np.nan, 0.0)
    inner = x > 0
    xs, as_ = x[inner], a[inner]
    front = poisson_pmf(as_, xs)  # exp(-x) x^a / Gamma(a + 1)
    value = np.empty(xs.shape, dtype="float64")
    series = xs < as_ + 1.0
    if series.any():
        value[series] = front[series] * _gamma_series(xs[series], as_[series])
    fraction = ~series
    if fraction.any():
        xf, af = xs[fraction], as_[fraction]
        value[fraction] = 1.0 - front[fraction] * af * _gamma_fraction(xf, af)
    lower[inner] = np.clip(value, 0.0, 1.0)
    if not upper:
        return lower
    out = 1.0 - lower
    if fraction.any():  # the upper tail straight from the continued fraction, without 1 - P
        tail = np.empty(xs.shape, dtype="float64")
        tail[fraction] = front[fraction] * as_[fraction] * _gamma_fraction(xs[fraction], as_[fraction])
        tail[series] = 1.0 - value[series]
        out[inner] = np.clip(tail, 0.0, 1.0)
    return out


def _gamma_series(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``sum_k x^k / ((a + 1) ... (a + k))``, in blocks of terms until every sum has converged."""
    total = np.ones(x.shape, dtype="float64")
    last = np.ones(x.shape, dtype="float64")
    done = 0
    block = 256
    while done < _MAX_ITERATIONS:
        k = np.arange(done + 1, done + block + 1, dtype="float64")
        terms = last[:, None] * np.cumprod(x[:, None] / (a[:, None] + k[None, :]), axis=1)
        total = total + terms.sum(axis=1)
        last = terms[:, -1]
        done += block
        if np.all(last <= _EPS * total):
            return total
    raise ArithmeticError("A gamma series did not converge.")


def _gamma_fraction(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``Q(a, x) / (exp(-x) x^a / Gamma(a))``: ``1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...))`` (``gcf``)."""

    def term(j: int) -> tuple[np.ndarray | float, np.ndarray]:
        i = j - 1
        return (1.0 if i == 0 else -i * (i - a)), x + 1.0 - a + 2.0 * i

    return _continued_fraction(term, x.size)


def poisson_cdf(r: ArrayLike, mean: ArrayLike) -> np.ndarray:
    """``P(O <= r)`` for ``O ~ Poisson(mean)``: ``Q(r + 1, mean)`` (``r`` is floored)."""
    given, lam = (np.asarray(v, dtype="float64") for v in np.broadcast_arrays(r, mean))
    counts = np.floor(given)
    out = np.where(counts < 0, 0.0, 1.0)
    inner = (counts >= 0) & (lam > 0)
    out[inner] = gamma_cdf(lam[inner], counts[inner] + 1.0, upper=True)
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
    r, c_r, c_below = _discrete_ppf(lambda r, idx: poisson_cdf(r, lam[idx]), probability, guess, top)
    return r, c_r, c_below


def gamma_ppf(probability: float, a: ArrayLike) -> np.ndarray:
    """The ``x`` with ``P(a, x) = probability``: the quantile of a gamma distribution of shape ``a``.

    ``chi2.ppf(p, 2 a) / 2``; ``NaN`` where ``a`` is not positive. Newton's method on
    ``P(a, x)`` kept inside a bracket.
    """
    probability = _check_probability(probability)
    given = np.asarray(a, dtype="float64")
    valid = np.isfinite(given) & (given > 0)
    if not valid.all():  # NaN where the shape is missing, zero or negative
        out = np.full(given.shape, np.nan)
        out[valid] = gamma_ppf(probability, given[valid])
        return out
    shape = given
    z = NormalDist().inv_cdf(probability)
    # Wilson-Hilferty's guess, and a bracket [0, hi] grown until P(a, hi) >= probability
    x = shape * np.maximum(1.0 - 1.0 / (9.0 * shape) + z / (3.0 * np.sqrt(shape)), 0.05) ** 3
    lo = np.zeros(shape.shape)
    hi = np.maximum(2.0 * x, shape + 10.0 * np.sqrt(shape) + 10.0)
    while np.any(short := gamma_cdf(hi, shape) < probability):
        hi = np.where(short, 2.0 * hi, hi)
    x = np.clip(x, lo, hi)
    for _ in range(200):
        value = gamma_cdf(x, shape) - probability
        lo = np.where(value < 0, x, lo)
        hi = np.where(value >= 0, x, hi)
        density = shape * poisson_pmf(shape, x) / x  # exp(-x) x^(a-1) / Gamma(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x - value / density
        bad = ~np.isfinite(newton) | (newton <= lo) | (newton >= hi)
        nxt = np.where(bad, 0.5 * (lo + hi), newton)
        if np.all(np.abs(nxt - x) <= 4 * _EPS * np.abs(x)) or np.all(hi - lo <= 4 * _EPS * hi):
            return nxt
        x = nxt
    return x
