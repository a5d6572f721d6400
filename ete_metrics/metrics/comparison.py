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

from collections.abc import Iterable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ete_metrics.counting.population import validate_by
from ete_metrics.counting.scope import Scope
from ete_metrics.errors import InputError
from ete_metrics.metrics.distributions import binomial_ppf
from ete_metrics.metrics.funnel import funnel
from ete_metrics.steps import ENTERED, WORK, outcome_step

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
       (:func:`ete_metrics.metrics.distributions.binomial_ppf`, exact, in NumPy);
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
    n = np.asarray(sizes, dtype="float64")
    valid = np.isfinite(n) & (n > 0)
    r, at_r, below_r = binomial_ppf(probability, np.where(valid, n, 0.0), rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = at_r - below_r
        alpha = np.where(step > 0, (at_r - probability) / step, 0.0)
        limit = (r - alpha) / n
    limit = np.clip(limit, 0.0, 1.0)
    if rate >= 1.0:  # degenerate: every trial succeeds, the limits are 1 (the formula gives 1 - alpha/n)
        limit = np.ones_like(limit)
    return np.where(valid, limit, np.nan).astype("float64")


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


def compare_groups(scope: Scope, *, by: str = "region", step: str = WORK.name) -> pd.DataFrame:
    """Each group's rate against the overall rate with funnel-plot limits.

    The rate is ``participants / entered`` for the chosen ``step`` of the
    :func:`ete_metrics.metrics.funnel.funnel` (same population and counting rules). The overall
    rate is the total reaching the step over the total entered, across all groups. The
    limits for a group of size ``n`` are exact binomial limits around the overall rate
    with Spiegelhalter's (2005) interpolation (:func:`binomial_limit`).

    Parameters
    ----------
    scope : Scope
        The frames, ``as_of``, the entry range and the window
        (:class:`~ete_metrics.counting.scope.Scope`).
    by : str, default "region"
        One grouping key (as in :func:`ete_metrics.metrics.funnel.funnel`).
    step : {"training", "work", "sustained"}, default "work"

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
    table = funnel(scope, by=[by], include_sustained=sustained)
    return compare_funnel(table, by=by, step=step)


def compare_funnel(table: pd.DataFrame, *, by: str, step: str = WORK.name) -> pd.DataFrame:
    """:func:`compare_groups` from a funnel already computed by group.

    A page that shows a funnel by group and the groups' funnel plot computes the
    funnel once and compares from it: the result is the same as
    ``compare_groups(scope, by=by, step=step, ...)`` with the
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


#: The label of the programme's aggregate beside a region (or regions) it includes.
PROGRAMME_LABEL = "Programme (all regions)"

#: Columns of :func:`programme_benchmark`.
BENCHMARK_COLUMNS: tuple[str, ...] = (
    "step", "entered", "participants", "rate", "ci_low", "ci_high", "programme_entered",
    "programme_participants", "programme_rate", "gap", "position",
)

#: Columns :func:`compare_within_regions` adds to :func:`compare_funnel`'s.
REGION_COLUMNS: tuple[str, ...] = ("region", "region_entered", "region_participants", "region_rate",
                                   "region_position")


def _position(rate: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return np.where(rate > upper, "above", np.where(rate < lower, "below", "within")).astype(object)


def programme_benchmark(scoped: pd.DataFrame, programme: pd.DataFrame) -> pd.DataFrame:
    """A region's (or a scope's) rates beside the programme's, step by step.

    A regional lead sees only their region's records; the programme's rates are an
    aggregate of every region they may compare with. ``programme`` is only read for its
    totals per step: no other region's figures appear in the result.

    Parameters
    ----------
    scoped : pandas.DataFrame
        :func:`ete_metrics.metrics.funnel.funnel` (no ``by``) of the scope's people.
    programme : pandas.DataFrame
        The same funnel (same ``as_of``, window and filters other than region) of every
        region's people.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BENCHMARK_COLUMNS`, one row per step of ``scoped`` after
        ``entered``: the scope's ``entered``, ``participants``, ``rate`` (= participants /
        entered) and its 95% Wilson interval (``ci_low``, ``ci_high``, from the funnel);
        ``programme_entered`` and ``programme_participants``, the programme's people entered
        and at that step; ``programme_rate`` = the second over the first; ``gap``
        = rate - programme_rate; ``position`` is ``"above"`` / ``"below"`` when the rate is
        outside the 95% funnel-plot limits around the programme rate for a group of the
        scope's size (:func:`funnel_limits`), else ``"within"``. Empty when nobody entered.
    """
    people = scoped.set_index("step")["participants"]
    whole = programme.set_index("step")["participants"]
    entered = int(people.get(ENTERED.name, 0))
    programme_entered = int(whole.get(ENTERED.name, 0))
    steps = [str(s) for s in scoped["step"] if s != ENTERED.name]
    if not entered or not programme_entered or not steps:
        return pd.DataFrame({c: pd.Series([], dtype=_BENCHMARK_DTYPES[c]) for c in BENCHMARK_COLUMNS})
    reached = np.array([int(people[s]) for s in steps], dtype="int64")
    programme_reached = np.array([int(whole.get(s, 0)) for s in steps], dtype="int64")
    programme_rate = programme_reached / programme_entered
    rate = reached / entered
    lower = np.array([float(funnel_limits(p, [entered])["lower_95"].iloc[0]) for p in programme_rate])
    upper = np.array([float(funnel_limits(p, [entered])["upper_95"].iloc[0]) for p in programme_rate])
    intervals = scoped.set_index("step").loc[steps]
    return pd.DataFrame({
        "step": pd.Series(steps, dtype=object),
        "entered": np.full(len(steps), entered, dtype="int64"),
        "participants": reached,
        "rate": rate,
        "ci_low": intervals["ci_low"].to_numpy(dtype="float64"),
        "ci_high": intervals["ci_high"].to_numpy(dtype="float64"),
        "programme_entered": np.full(len(steps), programme_entered, dtype="int64"),
        "programme_participants": programme_reached,
        "programme_rate": programme_rate,
        "gap": rate - programme_rate,
        "position": _position(rate, lower, upper),
    })


def compare_within_regions(table: pd.DataFrame, *, by: str = "delivery_partner",
                           step: str = WORK.name, programme: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each group (a delivery partner) against its own region's rate as well as the programme's.

    A partner working in a region where few people reach work should not be blamed for
    its region: this adds the region the partner works in, that region's rate, and where
    the partner falls against the 95% limits around its region's rate.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`ete_metrics.metrics.funnel.funnel` with ``by=[by, "region"]``.
    by : str, default "delivery_partner"
    step : {"training", "work", "sustained"}, default "work"
    programme : pandas.DataFrame, optional
        The programme's funnel (:func:`ete_metrics.metrics.funnel.funnel`, no ``by``, every
        region's people) when ``table`` holds only part of it (a regional lead's regions):
        adds ``programme_rate`` (its participants / entered at ``step``) and
        ``programme_position`` (the group's rate against the 95% limits around it for the
        group's size), with the programme's ``programme_entered`` and
        ``programme_participants`` it is worked out from. Only its totals are read.

    Returns
    -------
    pandas.DataFrame
        :func:`compare_funnel` of the groups (pooled over regions: the ``overall_rate``
        and limits of the groups shown), then :data:`REGION_COLUMNS`: ``region`` is the region
        where most of the group's people entered (ties: the first in name order);
        ``region_entered`` and ``region_participants`` that region's people entered and at
        the step (everyone in it, every group); ``region_rate`` the second over the first; and
        ``region_position`` the group's rate against the 95% limits around
        ``region_rate`` for the group's size (``"above"``, ``"within"``, ``"below"``).
    """
    if table.empty:
        out = compare_funnel(table, by=by, step=step)
        for column, dtype in zip(REGION_COLUMNS, ("object", "int64", "int64", "float64", "object"),
                                 strict=True):
            out[column] = pd.Series([], dtype=dtype)
        return out
    for column in (by, "region"):
        if column not in table.columns:
            raise InputError(f"The funnel has no column {column!r}: compute it with by=[{by!r}, 'region'].")
    pooled = pd.DataFrame(table.groupby([by, "step"], sort=True, as_index=False)["participants"].sum())
    compared = compare_funnel(pooled, by=by, step=step)
    wide = table.pivot_table(index=[by, "region"], columns="step", values="participants",
                             aggfunc="sum", fill_value=0)
    if step not in wide.columns:
        raise InputError(f"The funnel has no {step!r} step to compare.")
    entered = wide["entered"]
    main = entered.reset_index().sort_values([by, "entered", "region"], ascending=[True, False, True],
                                             kind="stable").drop_duplicates(by).set_index(by)["region"]
    regions = wide.groupby(level="region")[["entered", step]].sum()
    region_rate = (regions[step] / regions["entered"]).where(regions["entered"] > 0)
    out = compared.copy()
    out["region"] = out[by].map(main).astype(object)
    out["region_entered"] = out["region"].map(regions["entered"]).astype("int64")
    out["region_participants"] = out["region"].map(regions[step]).astype("int64")
    out["region_rate"] = out["region"].map(region_rate).astype("float64")
    out["region_position"] = _position_around(out["rate"].to_numpy(), out["region_rate"], out["entered"])
    if programme is not None:
        _add_programme(out, programme, step)
    return out


def _position_around(rate: np.ndarray, thetas: Iterable[float], sizes: Iterable[int]) -> np.ndarray:
    """Each row's ``rate`` against the 95% funnel limits around its own ``theta`` for its
    size (:func:`funnel_limits`): ``"above"``, ``"within"``, ``"below"``; no limits (so
    no position) where ``theta`` is missing or the size 0."""
    lower = np.full(len(rate), np.nan)
    upper = np.full(len(rate), np.nan)
    for i, (theta, size) in enumerate(zip(thetas, sizes, strict=True)):
        if pd.notna(theta) and size > 0:
            limits = funnel_limits(float(theta), [int(size)])
            lower[i], upper[i] = limits["lower_95"].iloc[0], limits["upper_95"].iloc[0]
    return _position(rate, lower, upper)


def _add_programme(out: pd.DataFrame, programme: pd.DataFrame, step: str) -> None:
    """Add the programme's totals, rate and each group's position against it to ``out``
    (:func:`compare_within_regions`; changed in place)."""
    totals = programme.groupby("step")["participants"].sum()
    reached, entered_all = totals.get(step, 0), totals.get("entered", 0)
    rate = float(reached / entered_all) if entered_all else float("nan")
    out["programme_entered"] = int(entered_all)
    out["programme_participants"] = int(reached)
    out["programme_rate"] = rate
    out["programme_position"] = _position_around(
        out["rate"].to_numpy(), [rate] * len(out), out["entered"]
    )


_BENCHMARK_DTYPES = {
    "step": "object", "entered": "int64", "participants": "int64", "rate": "float64",
    "ci_low": "float64", "ci_high": "float64", "programme_entered": "int64",
    "programme_participants": "int64", "programme_rate": "float64", "gap": "float64",
    "position": "object",
}
