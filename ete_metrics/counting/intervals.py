"""Confidence intervals for proportions.

The programme's rates (entered into work, into training...) are binomial
proportions; the dashboard shows each with a 95% Wilson score interval, which
behaves well for the small counts of a single region or month (it never leaves
0–1 and does not collapse to zero width at 0% or 100%, unlike the Wald interval).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike

from ete_metrics.errors import InputError


def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions (vectorised).

    For ``x`` successes in ``n`` trials, ``p = x / n`` and ``z`` the standard normal
    quantile ``1 - (1 - confidence) / 2`` (1.959964 for 95%), the limits are::

        (p + z²/(2n) ± z * sqrt(p(1 - p)/n + z²/(4n²))) / (1 + z²/n)

    the interval obtained by inverting the score test (Wilson 1927). Agresti and
    Coull (1998) recommend it over the Wald interval for small ``n`` and for
    proportions near 0 or 1. At ``x = 0`` the lower limit is exactly 0 and at
    ``x = n`` the upper limit is exactly 1.

    Parameters
    ----------
    successes : array-like of int
        Number of successes ``x`` (``0 <= x <= n``).
    trials : array-like of int
        Number of trials ``n``. Where ``n`` is 0 both limits are ``NaN``.
    confidence : float, default 0.95
        Two-sided coverage, strictly between 0 and 1.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper limits as fractions, float64, broadcast shape of the inputs.

    Raises
    ------
    InputError
        When ``confidence`` is not in (0, 1) or a count is negative or exceeds its trials.

    References
    ----------
    E. B. Wilson (1927), "Probable inference, the law of succession, and statistical
    inference", Journal of the American Statistical Association 22(158):209–212.
    A. Agresti and B. A. Coull (1998), "Approximate is better than 'exact' for interval
    estimation of binomial proportions", The American Statistician 52(2):119–126.
    """
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1 (e.g. 0.95), not {confidence!r}.")
    x, n = np.broadcast_arrays(
        np.asarray(successes, dtype="float64"), np.asarray(trials, dtype="float64")
    )
    if np.any(x < 0) or np.any(n < 0) or np.any(x > n):
        raise InputError("Counts must satisfy 0 <= successes <= trials.")
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denominator = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
        low = centre - half
        high = centre + half
    low = np.where(x == 0, 0.0, np.clip(low, 0.0, 1.0))
    high = np.where(x == n, 1.0, np.clip(high, 0.0, 1.0))
    empty = n == 0
    low = np.where(empty, np.nan, low).astype("float64")
    high = np.where(empty, np.nan, high).astype("float64")
    return low, high
