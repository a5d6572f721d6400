"""Case-mix-adjusted comparison: indirect standardisation (observed / expected).

A region or partner that works with people who are, on the whole, less likely to reach
an outcome (more prison leavers, more people who entered only recently) looks worse on
its raw rate for that alone. Indirect standardisation asks instead: *how many of this
group's people would have reached the outcome if each had the programme-wide rate of
people like them?*

Method
------
1. Everyone in the population (the funnel's: entered on or before the as-at date, within
   the entry range and conversion window) is put in a **stratum**: one combination of the
   chosen characteristics (:data:`ADJUSTERS`; default :data:`DEFAULT_ADJUST`, pathway and
   time since entry). A missing value is a category of its own ("Not recorded").
2. The **programme-wide rate** of each stratum is the share of its people, across all
   groups, who reached the outcome.
3. A group's **expected** count ``E`` is the sum over its people of their stratum's rate;
   its **observed** count ``O`` is how many reached the outcome. The standardised ratio is
   ``O / E`` (1 = as expected for its case mix; 1.2 = 20% more than expected).
4. The 95% interval of the ratio is exact Poisson: ``O`` is treated as Poisson with
   ``E`` fixed, so the limits are ``chi2.ppf(0.025, 2 O) / 2 / E`` and
   ``chi2.ppf(0.975, 2 (O + 1)) / 2 / E`` (the lower limit is 0 when ``O = 0``); this is
   the exact method that Byar's approximation approximates (Breslow and Day 1987, vol. II,
   ch. 2; the method of the public health indicator guides for standardised ratios,
   e.g. APHO 2008 "Technical briefing 3: commonly used public health statistics and
   their confidence intervals").
5. The funnel plot shows each ratio against its expected count with control limits
   around 1 (Spiegelhalter 2005, appendix A.1.2): the exact Poisson quantiles of
   ``Poisson(E)`` with the same interpolation as the binomial funnel plot, divided by
   ``E`` (:func:`poisson_ratio_limit`).

What adjustment can and cannot do: it removes the part of a difference that is explained
by the recorded characteristics chosen; it does not remove differences in unrecorded
need (health, housing, offence history), nor differences in how the characteristics are
recorded. A ratio near 1 says "as expected given these characteristics", not "as good".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ete_metrics.counting.population import validate_by
from ete_metrics.counting.scope import Scope
from ete_metrics.errors import InputError
from ete_metrics.metrics.comparison import LIMIT_COLUMNS, compare_groups
from ete_metrics.metrics.distributions import gamma_ppf, poisson_ppf
from ete_metrics.metrics.funnel import NOT_RECORDED, step_flags
from ete_metrics.steps import WORK, outcome_step

#: Characteristics a comparison can be adjusted for.
ADJUSTERS: tuple[str, ...] = ("pathway", "age_band", "gender", "time_since_entry")
#: The default adjustment: pathway and time since entry.
DEFAULT_ADJUST: tuple[str, ...] = ("pathway", "time_since_entry")

#: Bands of time since entry (days from entry to the as-at date): lower bounds and labels.
TIME_BANDS: tuple[tuple[int, str], ...] = (
    (0, "under 3 months"),
    (91, "3 to 5 months"),
    (182, "6 to 11 months"),
    (365, "12 to 23 months"),
    (730, "2 years or more"),
)

#: Columns of :func:`standardised_ratios` after the grouping key.
STANDARDISED_COLUMNS: tuple[str, ...] = (
    "entered",
    "observed",
    "expected",
    "ratio",
    "ratio_low",
    "ratio_high",
    "raw_rate",
    "adjusted_rate",
    *LIMIT_COLUMNS,
)

#: The columns ``compare --adjust-for`` adds to the comparison.
ADDED_COLUMNS: tuple[str, ...] = ("observed", "expected", "ratio", "ratio_low", "ratio_high")


def check_adjust_for(adjust_for: Sequence[str] | str | None) -> list[str]:
    """Check the characteristics to adjust for and return them as a list.

    Parameters
    ----------
    adjust_for : sequence of str, str or None
        Names from :data:`ADJUSTERS`; ``None`` gives :data:`DEFAULT_ADJUST`; an empty
        sequence adjusts for nothing (expected = the overall rate times the group size).

    Returns
    -------
    list of str

    Raises
    ------
    InputError
        For an unknown or repeated name.
    """
    if adjust_for is None:
        return list(DEFAULT_ADJUST)
    names = [adjust_for] if isinstance(adjust_for, str) else list(adjust_for)
    for name in names:
        if name not in ADJUSTERS:
            raise InputError(f"Cannot adjust for {name!r}: choose from {', '.join(ADJUSTERS)}.")
    if len(set(names)) != len(names):
        raise InputError(f"Characteristics to adjust for repeat: {names}.")
    return names


def time_band_labels(days: ArrayLike) -> np.ndarray:
    """Label days since entry with :data:`TIME_BANDS`.

    Parameters
    ----------
    days : array-like of int
        Days from entry to the as-at date (0 or more).

    Returns
    -------
    numpy.ndarray of object
    """
    values = np.asarray(days, dtype="int64")
    bounds = np.array([b for b, _ in TIME_BANDS], dtype="int64")
    labels = np.array([label for _, label in TIME_BANDS], dtype=object)
    return labels[np.searchsorted(bounds, values, side="right") - 1]


def poisson_interval(observed: ArrayLike, expected: ArrayLike, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson interval for a ratio ``observed / expected``.

    Lower ``chi2.ppf(a/2, 2 O) / (2 E)``, upper ``chi2.ppf(1 - a/2, 2 (O + 1)) / (2 E)``
    with ``a = 1 - level``; the lower limit is 0 when ``O = 0``. ``NaN`` where
    ``E`` is 0.

    Parameters
    ----------
    observed : array-like of int
    expected : array-like of float
    level : float, default 0.95

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper limits of the ratio.

    References
    ----------
    N. E. Breslow and N. E. Day (1987), Statistical Methods in Cancer Research, vol. II,
    IARC, section 2.3 (the exact limits Byar's approximation approximates).
    """
    o = np.asarray(observed, dtype="float64")
    e = np.asarray(expected, dtype="float64")
    tail = (1.0 - level) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        # chi2.ppf(p, 2 k) / 2 is the gamma quantile of shape k
        low = np.where(o > 0, gamma_ppf(tail, np.maximum(o, 1.0)), 0.0) / e
        high = gamma_ppf(1.0 - tail, o + 1.0) / e
    bad = ~(e > 0)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def poisson_ratio_limit(expected: ArrayLike, probability: float) -> np.ndarray:
    """One funnel-plot control limit for a standardised ratio (Spiegelhalter 2005, A.1.2).

    For ``O ~ Poisson(E)``: ``r_p`` is the smallest ``r`` with ``P(O <= r) >= p``;
    ``alpha = (P(O <= r_p) - p) / (P(O <= r_p) - P(O <= r_p - 1))``; the limit on the ratio
    scale is ``(r_p - alpha) / E`` (at least 0).

    Parameters
    ----------
    expected : array-like of float
        Expected counts ``E`` (``NaN`` where ``E`` is 0).
    probability : float
        The cumulative probability (0.025 / 0.975 for 95%, 0.001 / 0.999 for 99.8%).

    Returns
    -------
    numpy.ndarray of float64
    """
    e = np.asarray(expected, dtype="float64")
    safe = np.where(e > 0, e, 1.0)
    r, at_r, below_r = poisson_ppf(probability, safe)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = at_r - below_r
        alpha = np.where(step > 0, (at_r - probability) / step, 0.0)
        limit = np.maximum((r - alpha) / safe, 0.0)
    return np.where(e > 0, limit, np.nan).astype("float64")


def ratio_limits(expected: ArrayLike) -> pd.DataFrame:
    """Funnel-plot limits of a standardised ratio over a range of expected counts (for drawing).

    Parameters
    ----------
    expected : array-like of float
        Expected counts at which to evaluate the limits.

    Returns
    -------
    pandas.DataFrame
        ``expected``, ``lower_95``, ``upper_95`` (p = 0.025, 0.975), ``lower_998``,
        ``upper_998`` (p = 0.001, 0.999), from :func:`poisson_ratio_limit`.
    """
    e = np.atleast_1d(np.asarray(expected, dtype="float64"))
    out = pd.DataFrame({"expected": e})
    for name, p in (("lower_95", 0.025), ("upper_95", 0.975), ("lower_998", 0.001), ("upper_998", 0.999)):
        out[name] = poisson_ratio_limit(e, p)
    return out


def indirect_standardise(people: pd.DataFrame, *, by: str, strata: Sequence[str], outcome: str) -> pd.DataFrame:
    """Observed and expected counts per group by indirect standardisation.

    Parameters
    ----------
    people : pandas.DataFrame
        One row per person: the group column ``by``, the stratum columns and a boolean
        ``outcome`` column. Missing stratum values form a stratum of their own. Not
        modified.
    by : str
        The group column.
    strata : sequence of str
        The stratum columns (none: one stratum, the whole population).
    outcome : str
        The boolean column: whether the person reached the outcome.

    Returns
    -------
    pandas.DataFrame
        ``[<by>, entered, observed, expected, ratio, ratio_low, ratio_high]``, one row per
        group, sorted by the group. ``expected`` is the sum over the group's people of
        their stratum's rate across everyone; ``ratio = observed / expected`` (``NaN``
        when expected is 0) with its exact Poisson 95% interval (:func:`poisson_interval`).
    """
    missing = [c for c in [by, *strata, outcome] if c not in people.columns]
    if missing:
        raise InputError(f"The people frame has no column(s) {missing}.")
    reached = people[outcome].to_numpy(dtype=bool)
    stratum = np.zeros(len(people), dtype=np.int64)
    for column in strata:
        codes, uniques = pd.factorize(people[column], use_na_sentinel=False)
        stratum = stratum * (len(uniques) + 1) + codes
    _, stratum = np.unique(stratum, return_inverse=True)
    stratum = stratum.reshape(-1)
    size = np.bincount(stratum)
    hits = np.bincount(stratum, weights=reached)
    with np.errstate(divide="ignore", invalid="ignore"):
        stratum_rate = np.where(size > 0, hits / np.maximum(size, 1), 0.0)
    group_codes, groups = pd.factorize(people[by].astype(object).where(people[by].notna(), NOT_RECORDED), sort=True)
    n_groups = len(groups)
    entered = np.bincount(group_codes, minlength=n_groups).astype("int64")
    observed = np.bincount(group_codes, weights=reached, minlength=n_groups).round().astype("int64")
    expected = np.bincount(group_codes, weights=stratum_rate[stratum], minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / np.where(expected > 0, expected, 1.0), np.nan)
    low, high = poisson_interval(observed, expected)
    return pd.DataFrame(
        {
            by: np.asarray(groups, dtype=object),
            "entered": entered,
            "observed": observed,
            "expected": expected,
            "ratio": ratio,
            "ratio_low": low,
            "ratio_high": high,
        }
    )


def _people(scope: Scope, *, by: str, step: str, adjust: list[str]) -> pd.DataFrame:
    """The funnel population, one row per person: group, strata and outcome."""
    participants = scope.participants
    counts = step_flags(scope, by=[by], include_sustained=outcome_step(step).sustained)
    positions = counts.positions
    people = pd.DataFrame({by: counts.groups[by].to_numpy(dtype=object)[counts.codes]})
    for column in adjust:
        if column == "time_since_entry":
            entry = participants["entry_date"].to_numpy(dtype="datetime64[ns]")[positions]
            days = (scope.as_of.to_datetime64() - entry) // np.timedelta64(1, "D")
            people[column] = time_band_labels(days)
        else:
            if column not in participants.columns:
                raise InputError(f"Cannot adjust for {column!r}: the participants have no such column.")
            people[column] = participants[column].to_numpy(dtype=object)[positions]
    people["_reached"] = counts.flags[step]
    return people


def standardised_ratios(
    scope: Scope,
    *,
    by: str = "region",
    step: str = WORK.name,
    adjust_for: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Each group's observed / expected ratio, adjusted for case mix (module docstring).

    Parameters
    ----------
    scope : Scope
        The frames (not modified), ``as_of``, the entry range and the window
        (:class:`~ete_metrics.counting.scope.Scope`).
    by : str, default "region"
        One grouping column (``region``, ``area``, ``delivery_partner``, ``prison``, ...).
    step : {"training", "work", "sustained"}, default "work"
    adjust_for : sequence of str, optional
        From :data:`ADJUSTERS`; default :data:`DEFAULT_ADJUST`.

    Returns
    -------
    pandas.DataFrame
        ``[<by>, *STANDARDISED_COLUMNS]``: ``entered``, ``observed`` (reached the step),
        ``expected``, ``ratio`` with its exact 95% interval ``ratio_low``/``ratio_high``,
        ``raw_rate`` (observed / entered), ``adjusted_rate`` (ratio x overall rate),
        ``overall_rate``, the funnel-plot limits of the ratio at its expected count
        (``lower_95`` ... ``upper_998``), ``position`` (``"above"``/``"below"`` the 95%
        limits, else ``"within"``) and ``outside_998``. Groups with nobody entered are
        absent; sorted by the group.

    Raises
    ------
    InputError
        Unknown step, grouping column or characteristic.
    """
    if not isinstance(by, str):
        raise InputError("Give one grouping column, e.g. by='region'.")
    validate_by(by)
    outcome_step(step)  # an InputError names the steps
    adjust = check_adjust_for(adjust_for)
    people = _people(scope, by=by, step=step, adjust=adjust)
    out = indirect_standardise(people, by=by, strata=adjust, outcome="_reached")
    total = int(out["entered"].sum())
    overall = float(out["observed"].sum() / total) if total else np.nan
    expected = out["expected"].to_numpy(dtype="float64")
    ratio = out["ratio"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["raw_rate"] = out["observed"] / out["entered"]
    out["adjusted_rate"] = ratio * overall
    out["overall_rate"] = overall
    limits = ratio_limits(expected)
    for name in ("lower_95", "upper_95", "lower_998", "upper_998"):
        out[name] = limits[name].to_numpy()
    out["position"] = np.where(
        ratio > out["upper_95"], "above", np.where(ratio < out["lower_95"], "below", "within")
    ).astype(object)
    out["outside_998"] = (ratio > out["upper_998"]) | (ratio < out["lower_998"])
    return out.reset_index(drop=True)


def compare_adjusted(
    scope: Scope,
    *,
    by: str = "region",
    step: str = WORK.name,
    adjust_for: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The raw comparison with the adjusted one beside it (``compare --adjust-for``).

    Parameters
    ----------
    As :func:`standardised_ratios`.

    Returns
    -------
    pandas.DataFrame
        :func:`ete_metrics.metrics.comparison.compare_groups` (raw rates against
        funnel-plot limits) with :data:`ADDED_COLUMNS` (``observed``, ``expected``,
        ``ratio``, ``ratio_low``, ``ratio_high``) from :func:`standardised_ratios`.
    """
    raw = compare_groups(scope, by=by, step=step)
    adjusted = standardised_ratios(scope, by=by, step=step, adjust_for=adjust_for)
    out = raw.copy()
    keyed = adjusted.set_index(by)
    labels = raw[by].astype(object)
    for column in ADDED_COLUMNS:
        out[column] = keyed[column].reindex(labels).to_numpy()
    return out
