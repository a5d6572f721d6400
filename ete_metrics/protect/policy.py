"""The publication policy for stakeholders, written once, and the rates it publishes.

Counts follow the ONS / GSS *Disclosure control guidance for tables produced from
administrative sources* (2014), as :mod:`ete_metrics.protect.disclosure` applies
it. Rates are this project's rule: a rate computed from the exact counts undoes
the rounding (with the rounded counts beside it, the exact pair is unique for most
groups of 10-300 people), so every rate, interval, limit and gap a stakeholder
sees is computed from the *published* (rounded) counts, at the precision shown on
screen. :data:`POLICY` is the text the About page and the reports' definitions
show; :func:`published_rates` applies the rate rule to a protected view.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.counting.intervals import wilson_interval
from ete_metrics.metrics.comparison import binomial_limit
from ete_metrics.metrics.standardised import poisson_ratio_limit
from ete_metrics.protect.disclosure import SUPPRESSED, round_to_base
from ete_metrics.views import FIRST_STEP, PREVIOUS_STEP, View

__all__ = ["DECIMALS", "FRACTIONS", "POLICY", "published_rates", "step_relative"]

#: Decimals of a fraction as published: a percentage with one decimal (38.1% = 0.381).
DECIMALS = 3

#: Rate columns that are a plain fraction ``numerator / group size``.
FRACTIONS = frozenset({
    "rate", "rate_from_entry", "rate_from_previous", "cumulative_rate", "completion_rate",
    "work_rate", "sustained_rate", "raw_rate",
})
#: Funnel-plot limits around the overall rate, by cumulative probability.
_LIMITS = {"lower_95": 0.025, "upper_95": 0.975, "lower_998": 0.001, "upper_998": 0.999}
_INTERVAL = ("ci_low", "ci_high")
#: Observed / expected ratios, shown with two decimals (1.09).
_RATIOS = frozenset({"ratio", "ratio_low", "ratio_high"})

_WORDS = {5: "five", 10: "ten"}


def _words(number: int) -> str:
    """A threshold in words where it is small, so text never shows a bare count of 1-4."""
    return _WORDS.get(number, str(number))


#: The policy and its reasons, as people read it (About page, deck and workbook definitions).
POLICY: tuple[tuple[str, str], ...] = (
    ("Counts", f"Counts below {_words(config.SUPPRESS_BELOW)} (other than zero) are suppressed "
     f"({SUPPRESSED}) and every other count is rounded to the nearest {config.ROUND_TO}, so "
     "totals may not equal "
     "the sum of their parts (GSS guidance on tables from administrative sources, 2014). "
     "A zero is shown as 0: it says nothing about any one person."),
    ("Suppression across a page or pack", "Where a suppressed count could be worked out from "
     "the other figures published with it (by subtraction from a total, from a region's areas, "
     "or from the figures a month earlier), the smallest other counts that would give it away "
     f"are suppressed too ({SUPPRESSED}), on every table of the page, pack or download where "
     "they appear."),
    ("Rates", "Rates, intervals, limits and gaps are computed from the published (rounded) "
     "counts and shown as a percentage with one decimal, in files as on screen; a rate is not "
     f"shown where its published group size is below {_words(config.MIN_GROUP_FOR_RATE)} or one of "
     "its counts is suppressed. A rate from the exact counts would give the exact counts "
     "back; a rate from the published counts adds nothing to them, and matches them."),
)


def step_relative(frame: pd.DataFrame, values: pd.Series, by: list[str], where: str) -> pd.Series:
    """The value of the first / previous step of each row's group (rows in step order)."""
    if by:
        grouped = values.groupby([frame[c].astype(object).fillna("\x00") for c in by], sort=False)
        return grouped.transform("first") if where == FIRST_STEP else grouped.shift(1)
    return (
        pd.Series(values.iloc[0], index=values.index) if where == FIRST_STEP and len(values)
        else values.shift(1)
    )


def _rounded(values: np.ndarray, decimals: int = DECIMALS) -> np.ndarray:
    """Python's rounding of each value (NaN kept), the precision a reader sees."""
    return np.array([v if np.isnan(v) else round(float(v), decimals) for v in values], dtype=float)


def published_rates(
    protected: pd.DataFrame,
    source: pd.DataFrame,
    spec: View,
    *,
    step_by: list[str],
    min_group: int = config.MIN_GROUP_FOR_RATE,
) -> pd.DataFrame:
    """Every rate-like column of a protected view, recomputed from its published counts.

    Method (this project's rule, see :data:`POLICY`): a fraction is the published
    numerator over the published group size; its 95% interval is Wilson's (1927) on
    those; funnel-plot limits are exact binomial limits (Spiegelhalter 2005) around
    the overall rate from the published totals; a gap is the published rate minus the
    published overall rate; an observed / expected ratio uses the published counts.
    Every value is rounded to :data:`DECIMALS` (days to whole days, ratios to two
    decimals), the precision the screen shows. A value already
    blanked (``"[c]"``) stays blank; a fraction is also blanked where its published
    group size is below ``min_group``.

    Parameters
    ----------
    protected : pandas.DataFrame
        The view with counts protected and rates blanked (not modified).
    source : pandas.DataFrame
        The view's true frame, same rows (for the overall totals).
    spec : View
    step_by : list of str
        Columns identifying a long-form funnel's group (for the first / previous step).
    min_group : int, default ``config.MIN_GROUP_FOR_RATE``

    Returns
    -------
    pandas.DataFrame
    """
    out = protected.copy()
    counts = {c: _shown(out, c).to_numpy(dtype=float) for c in (*spec.counts, *spec.whole) if c in out.columns}
    pairs: dict[tuple[str | None, str], tuple[np.ndarray, np.ndarray]] = {}

    def sizes(size: str) -> np.ndarray | None:
        if size in (FIRST_STEP, PREVIOUS_STEP) and "participants" in counts:
            base = pd.Series(counts["participants"], index=out.index)
            return step_relative(out, base, step_by, size).to_numpy(dtype=float)
        return counts.get(size)

    def put(column: str, values: np.ndarray, blank: np.ndarray | None = None) -> None:
        shown = out[column].astype(object)
        hidden = np.fromiter((isinstance(v, str) and v == SUPPRESSED for v in shown),
                             dtype=bool, count=len(shown))
        missing = source[column].isna().to_numpy(dtype=bool) if column in source else hidden
        new = pd.Series(values, index=out.index, dtype=object).where(~np.isnan(values), np.nan)
        if blank is not None:
            new[blank & ~missing] = SUPPRESSED
        new[hidden] = SUPPRESSED
        new[missing & ~hidden] = np.nan
        out[column] = new

    fractions = [r for r in spec.rates if r in FRACTIONS and r in out.columns]
    for rate in fractions:
        numerator, size = spec.rates[rate]
        n = sizes(size)
        if numerator not in counts or n is None:
            continue
        x = counts[numerator]
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(n > 0, x / n, np.nan)
        put(rate, _rounded(value), blank=~(n >= min_group))
        pairs[(numerator, size)] = (x, n)
    overall = _overall(out, source, spec, counts)
    if overall is not None:
        out["overall_rate"] = _rounded(overall)
    for rate, (numerator, size) in spec.rates.items():
        if rate not in out.columns or rate in fractions:
            continue
        value = _other(rate, out, counts, pairs.get((numerator, size)), overall)
        put(rate, value)
    if "position" in out.columns and overall is not None and "rate" in out.columns:
        rate_shown, upper, lower = _shown(out, "rate"), _shown(out, "upper_95"), _shown(out, "lower_95")
        position = np.where(rate_shown > upper, "above", np.where(rate_shown < lower, "below", "within"))
        keep = out["position"].astype(object) != SUPPRESSED
        out.loc[keep, "position"] = position[keep.to_numpy()]
        if "outside_998" in out.columns:
            upper = _shown(out, "upper_998")
            lower = _shown(out, "lower_998")
            outside = pd.Series((rate_shown > upper) | (rate_shown < lower), index=out.index)
            keep = out["outside_998"].astype(object) != SUPPRESSED
            out.loc[keep, "outside_998"] = outside[keep].astype(bool)
    return out


def _shown(out: pd.DataFrame, column: str) -> pd.Series:
    """A published column as numbers (NaN where blank, suppressed or absent)."""
    if column not in out.columns:
        return pd.Series(np.nan, index=out.index)
    values = out[column].astype(object)
    return pd.to_numeric(values.where(values != SUPPRESSED), errors="coerce")


def _overall(out: pd.DataFrame, source: pd.DataFrame, spec: View,
             counts: dict[str, np.ndarray]) -> np.ndarray | None:
    """The overall rate from the published totals (rounded sums of the true counts)."""
    if "overall_rate" not in out.columns:
        return None
    main = next((r for r in ("rate", "raw_rate") if r in spec.rates), None)
    if main is None:
        return None
    numerator, size = spec.rates[main]
    if numerator not in source.columns or size not in source.columns:
        return None
    keys: list[Hashable] = [k for k in spec.keys if k in source.columns and k != "step"]
    x = pd.to_numeric(source[numerator], errors="coerce").fillna(0)
    n = pd.to_numeric(source[size], errors="coerce").fillna(0)
    if keys:
        grouping = [source[k].astype(object) for k in keys]
        total_x = x.groupby(grouping, sort=False).transform("sum")
        total_n = n.groupby(grouping, sort=False).transform("sum")
    else:
        total_x = pd.Series(x.sum(), index=source.index)
        total_n = pd.Series(n.sum(), index=source.index)
    shown_x = round_to_base(total_x.round().astype("int64")).to_numpy(dtype=float)
    shown_n = round_to_base(total_n.round().astype("int64")).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(shown_n > 0, shown_x / shown_n, np.nan)


def _other(rate: str, out: pd.DataFrame, counts: dict[str, np.ndarray],
           pair: tuple[np.ndarray, np.ndarray] | None, overall: np.ndarray | None) -> np.ndarray:
    """An interval, limit, gap or ratio from the published figures; else the value at the shown precision."""
    current = _shown(out, rate).to_numpy(dtype=float)
    if rate in _INTERVAL and pair is not None:
        x, n = pair
        ok = ~np.isnan(x) & ~np.isnan(n) & (n > 0) & (x <= n)
        low, high = np.full(len(x), np.nan), np.full(len(x), np.nan)
        if ok.any():
            low[ok], high[ok] = wilson_interval(x[ok].astype(int), n[ok].astype(int))
        return _rounded(low if rate == "ci_low" else high)
    if rate in _LIMITS and overall is not None and "entered" in counts and "rate" in out.columns:
        n = counts["entered"]
        values = np.full(len(n), np.nan)
        for i, (theta, size) in enumerate(zip(overall, n, strict=True)):
            if not np.isnan(theta) and not np.isnan(size) and size > 0:
                values[i] = float(binomial_limit(float(theta), [int(size)], _LIMITS[rate])[0])
        return _rounded(values)
    if rate in _LIMITS and "expected" in counts:
        expected = counts["expected"]
        values = np.full(len(expected), np.nan)
        ok = ~np.isnan(expected) & (expected > 0)
        if ok.any():
            values[ok] = poisson_ratio_limit(expected[ok], _LIMITS[rate])
        return _rounded(values)
    if rate == "gap" and overall is not None and "rate" in out.columns:
        return _rounded(_shown(out, "rate").to_numpy(dtype=float) - _rounded(overall))
    if rate == "ratio" and "observed" in counts and "expected" in counts:
        with np.errstate(divide="ignore", invalid="ignore"):
            return _rounded(np.where(counts["expected"] > 0, counts["observed"] / counts["expected"], np.nan), 2)
    if rate in _RATIOS:
        return _rounded(current, 2)
    if rate.endswith("days"):
        return _rounded(current, 0)
    return _rounded(current)
