"""Comparing regions or partners fairly: the funnel plot (Spiegelhalter 2005).

A group's rate is compared with the overall rate using control limits that depend on
the group's size: small groups vary more by chance, so their limits are wider. The
limits are exact binomial quantiles with the interpolation of Spiegelhalter (2005,
appendix A.1.1). Exact, because regions' areas and partners can be a few dozen people,
where Normal approximations put limits in the wrong place (even below 0 or above 1);
interpolated, so the limits are smooth in the group size rather than stepping at each
whole count. Other public health funnel-plot tools use approximations instead (Wilson
score limits, or limits on the arcsine square-root scale); for groups of hundreds the
results are close, for small groups the exact limits are the right ones.

Standardised (observed / expected) ratios have their own funnel plot with exact Poisson
limits: :mod:`ete_metrics.metrics.standardised`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ete_metrics.counting.population import AsOf, validate_by
from ete_metrics.errors import InputError
from ete_metrics.metrics.funnel import funnel
from ete_metrics.steps import outcome_step

#: Columns of the overall rate and the control limits, ending both
#: :data:`COMPARISON_COLUMNS` and :data:`ete_metrics.metrics.standardised.STANDARDISED_COLUMNS`.
LIMIT_COLUMNS: tuple[str, ...] = (
    "overall_rate",
    "lower_95",
    "upper_95",
    "lower_998",
    "upper_998",
    "position",
    "outside_998",
)

#: Columns of :func:`compare_groups` after the grouping key.
COMPARISON_COLUMNS: tuple[str, ...] = ("entered", "participants", "rate", *LIMIT_COLUMNS)


def binomial_limit(rate: float, sizes: ArrayLike, probability: float) -> np.ndarray:
    """One exact binomial control limit with interpolation (Spiegelhalter 2005, appendix).

    For a target proportion ``rate`` (theta), a size ``n`` and a cumulative probability
    ``p`` (0.025 and 0.975 for the 95% limits, 0.001 and 0.999 for 99.8%):

    1. ``r_p`` is the smallest ``r`` with ``P(R <= r) >= p`` for ``R ~ Binomial(n, theta)``
       (``scipy.stats.binom.ppf``);
    2. ``alpha = (P(R <= r_p) - p) / (P(R <= r_p) - P(R <= r_p - 1))``;
    3. the limit, as a proportion, is ``(r_p - alpha) / n``, clipped to 0–1.

    At ``theta = 1`` every limit is 1 (the formula is degenerate there); at ``theta = 0``
    the clipping gives 0.

    Interpolating makes the limits smooth in ``n`` instead of stepping at each integer.

    Parameters
    ----------
    rate : float
        The target proportion, 0–1.
    sizes : array-like of int
        Group sizes ``n`` (``NaN`` where ``n`` is 0).
    probability : float
        The cumulative probability ``p``.

    Returns
    -------
    numpy.ndarray of float64

    References
    ----------
    D. J. Spiegelhalter (2005), "Funnel plots for comparing institutional performance",
    Statistics in Medicine 24(8):1185–1202, appendix A.1.1.
    """
    from scipy import stats  # here, not at import: only funnel plots need SciPy (1.5 s to load)

    n = np.asarray(sizes, dtype="float64")
    r = stats.binom.ppf(probability, n, rate)
    at_r = stats.binom.cdf(r, n, rate)
    below_r = stats.binom.cdf(r - 1, n, rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = at_r - below_r
        alpha = np.where(step > 0, (at_r - probability) / step, 0.0)
        limit = (r - alpha) / n
    limit = np.clip(limit, 0.0, 1.0)
    if rate >= 1.0:  # degenerate: every trial succeeds, the limits are 1 (the formula gives 1 - alpha/n)
        limit = np.ones_like(limit)
    return np.where(n > 0, limit, np.nan).astype("float64")


def funnel_limits(overall_rate: float, sizes: ArrayLike) -> pd.DataFrame:
    """Funnel-plot control limits over a range of group sizes (for drawing the curves).

    Parameters
    ----------
    overall_rate : float
        The target proportion (usually the overall rate), 0–1.
    sizes : array-like of int
        The group sizes (numbers entered) at which to evaluate the limits.

    Returns
    -------
    pandas.DataFrame
        Columns ``entered`` (int64), ``lower_95``, ``upper_95`` (p = 0.025, 0.975),
        ``lower_998``, ``upper_998`` (p = 0.001, 0.999): exact binomial limits with
        interpolation (:func:`binomial_limit`, Spiegelhalter 2005).

    Raises
    ------
    InputError
        When ``overall_rate`` is not in 0–1 or a size is negative.
    """
    if overall_rate is None or not 0 <= float(overall_rate) <= 1:
        raise InputError(f"overall_rate must be a proportion between 0 and 1, not {overall_rate!r}.")
    n = np.atleast_1d(np.asarray(sizes, dtype="int64"))
    if np.any(n < 0):
        raise InputError("Group sizes must be zero or more.")
    rate = float(overall_rate)
    return pd.DataFrame(
        {
            "entered": n,
            "lower_95": binomial_limit(rate, n, 0.025),
            "upper_95": binomial_limit(rate, n, 0.975),
            "lower_998": binomial_limit(rate, n, 0.001),
            "upper_998": binomial_limit(rate, n, 0.999),
        }
    )


def compare_groups(
    participants: pd.DataFrame,
    milestones: pd.DataFrame,
    *,
    as_of: AsOf,
    by: str = "region",
    step: str = "work",
    window_days: int | None = None,
    date_from: AsOf | None = None,
    date_to: AsOf | None = None,
) -> pd.DataFrame:
    """Each group's rate against the overall rate with funnel-plot limits.

    The rate is ``participants / entered`` for the chosen ``step`` of the
    :func:`ete_metrics.metrics.funnel.funnel` (same population and counting rules). The overall
    rate is the total reaching the step over the total entered, across all groups. The
    limits for a group of size ``n`` are exact binomial limits around the overall rate
    with Spiegelhalter's (2005) interpolation (:func:`binomial_limit`).

    Parameters
    ----------
    participants, milestones : pandas.DataFrame
        In the import format.
    as_of : date-like
    by : str, default "region"
        One grouping key (as in :func:`ete_metrics.metrics.funnel.funnel`).
    step : {"training", "work", "sustained"}, default "work"
    window_days : int, optional
    date_from, date_to : date-like, optional
        Inclusive range of ``entry_date``.

    Returns
    -------
    pandas.DataFrame
        Columns ``[<by>, entered, participants, rate, overall_rate, lower_95, upper_95,
        lower_998, upper_998, position, outside_998]``, one row per group with someone
        entered, sorted by the group. ``position`` is ``"above"`` / ``"below"`` when the
        rate is outside the 95% limits, else ``"within"``; ``outside_998`` is True when
        it is outside the 99.8% limits.

    Raises
    ------
    InputError
        For an unknown step or grouping key.
    """
    if not isinstance(by, str):
        raise InputError("compare_groups takes one grouping column, e.g. by='region'.")
    validate_by(by)
    sustained = outcome_step(step).sustained
    table = funnel(
        participants,
        milestones,
        as_of=as_of,
        by=[by],
        window_days=window_days,
        date_from=date_from,
        date_to=date_to,
        include_sustained=sustained,
    )
    return compare_funnel(table, by=by, step=step)


def compare_funnel(table: pd.DataFrame, *, by: str, step: str = "work") -> pd.DataFrame:
    """:func:`compare_groups` from a funnel already computed by group.

    A page that shows a funnel by group and the groups' funnel plot computes the
    funnel once and compares from it: the result is the same as
    ``compare_groups(participants, milestones, by=by, step=step, ...)`` with the
    arguments that gave ``table``.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`ete_metrics.metrics.funnel.funnel` with ``by=[by]`` (for example
        :func:`ete_metrics.metrics.partners.delivery_partners`): ``[<by>, step, participants,
        ...]`` with the steps ``entered`` and ``step``.
    by : str
        The grouping column of ``table``.
    step : {"training", "work", "sustained"}, default "work"

    Returns
    -------
    pandas.DataFrame
        As :func:`compare_groups`.

    Raises
    ------
    InputError
        For an unknown step, or a ``table`` without the grouping column or the step
        (a step of sustained work is in a funnel only with ``include_sustained=True``).
    """
    sustained = outcome_step(step).sustained
    if table.empty:
        out = pd.DataFrame({by: pd.Series([], dtype=object)})
        for column in COMPARISON_COLUMNS:
            out[column] = pd.Series([], dtype=_DTYPES[column])
        return out
    if by not in table.columns:
        raise InputError(f"The funnel has no column {by!r}: compute it with by=[{by!r}].")
    wide = table.pivot(index=by, columns="step", values="participants")
    if step not in wide.columns or "entered" not in wide.columns:
        raise InputError(
            f"The funnel has no {step!r} step to compare"
            + (": compute it with include_sustained=True." if sustained else ".")
        )
    entered = wide["entered"].to_numpy(dtype="int64")
    reached = wide[step].to_numpy(dtype="int64")
    overall = float(reached.sum() / entered.sum())
    limits = funnel_limits(overall, entered)
    rate = reached / entered
    lower_95, upper_95 = limits["lower_95"].to_numpy(), limits["upper_95"].to_numpy()
    lower_998, upper_998 = limits["lower_998"].to_numpy(), limits["upper_998"].to_numpy()
    position = np.where(rate > upper_95, "above", np.where(rate < lower_95, "below", "within"))
    return pd.DataFrame(
        {
            by: wide.index.to_numpy(dtype=object),
            "entered": entered,
            "participants": reached,
            "rate": rate,
            "overall_rate": overall,
            "lower_95": lower_95,
            "upper_95": upper_95,
            "lower_998": lower_998,
            "upper_998": upper_998,
            "position": position.astype(object),
            "outside_998": (rate > upper_998) | (rate < lower_998),
        }
    )


_DTYPES = {
    "entered": "int64",
    "participants": "int64",
    "rate": "float64",
    "overall_rate": "float64",
    "lower_95": "float64",
    "upper_95": "float64",
    "lower_998": "float64",
    "upper_998": "float64",
    "position": "object",
    "outside_998": "bool",
}
