"""Equality monitoring: outcome rates by protected characteristic, against the overall rate."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ete_metrics.config import GROUPING_COLUMNS
from ete_metrics.counting.intervals import wilson_interval
from ete_metrics.counting.population import counted_milestones, validate_by
from ete_metrics.counting.scope import Scope
from ete_metrics.counting.survival import NOT_RECORDED
from ete_metrics.errors import InputError
from ete_metrics.steps import WORK, outcome_milestones, outcome_step

#: Columns of :func:`equality`.
EQUALITY_COLUMNS: tuple[str, ...] = (
    "characteristic",
    "group",
    "entered",
    "participants",
    "rate",
    "ci_low",
    "ci_high",
    "overall_rate",
    "gap",
)

def _empty_equality() -> pd.DataFrame:
    """An equality frame with no rows and the documented types."""
    text, counts = ("characteristic", "group"), ("entered", "participants")
    return pd.DataFrame(
        {
            column: pd.Series(dtype=object if column in text else "int64" if column in counts else "float64")
            for column in EQUALITY_COLUMNS
        }
    )


def _check_characteristics(characteristics: Iterable[str]) -> list[str]:
    """The characteristics as a list, each a participant column one may compare by."""
    keys = validate_by(list(characteristics))
    for key in keys:
        if key not in GROUPING_COLUMNS:
            raise InputError(
                f"Cannot compare by {key!r}: choose participant columns such as "
                f"{', '.join(GROUPING_COLUMNS)}."
            )
    return keys


def _characteristic_rates(population: pd.DataFrame, key: str, reached: np.ndarray, overall: float) -> pd.DataFrame:
    """One characteristic's rows: each group's entered, reached, rate, interval and gap."""
    values = population[key].astype(object).where(population[key].notna(), NOT_RECORDED)
    codes, names = pd.factorize(values, sort=True)
    entered = np.bincount(codes, minlength=len(names)).astype("int64")
    hits = np.bincount(codes, weights=reached, minlength=len(names)).astype("int64")
    low, high = wilson_interval(hits, entered)
    rate = hits / entered
    return pd.DataFrame(
        {
            "characteristic": key,
            "group": np.asarray(names, dtype=object),
            "entered": entered,
            "participants": hits,
            "rate": rate,
            "ci_low": np.asarray(low, dtype="float64"),
            "ci_high": np.asarray(high, dtype="float64"),
            "overall_rate": overall,
            "gap": rate - overall,
        }
    )


def equality(
    scope: Scope,
    *,
    characteristics: Iterable[str] = ("gender", "age_band", "ethnicity", "disability"),
    step: str = WORK.name,
) -> pd.DataFrame:
    """Rate of reaching a step for each group of each characteristic, and its gap to the overall rate.

    Parameters
    ----------
    scope : Scope
        The frames, ``as_of``, the entry range and the window
        (:class:`~ete_metrics.counting.scope.Scope`).
    characteristics : iterable of str
        Participant columns from :data:`config.GROUPING_COLUMNS`.
    step : {"training", "work", "sustained"}
        ``training``: a counted ``training_start``; ``work``: a counted ``job_start``
        (any order); ``sustained``: a counted ``job_sustained``; any other step of
        :func:`ete_metrics.steps.outcome_steps`: a counted milestone of its type.

    Returns
    -------
    pandas.DataFrame
        Columns ``[characteristic, group, entered, participants, rate, ci_low,
        ci_high, overall_rate, gap]``, characteristics in the order given and
        groups sorted within each; missing values form the group "Not recorded".

    Notes
    -----
    Definitions as :func:`ete_metrics.metrics.funnel.funnel`: ``entered`` is the group's
    entered population, ``participants`` those in it with at least one counted
    milestone of the step, ``rate = participants / entered``, ``ci_low``/``ci_high`` its
    95% Wilson score interval (Wilson 1927), ``overall_rate`` the rate over the whole
    population (the same for every row) and ``gap = rate - overall_rate`` (a fraction;
    negative means the group does worse than the programme as a whole). A gap is a
    description, not a test: check the interval and the group size before reading a
    difference into it.
    """
    kind = outcome_milestones()[outcome_step(step).name]
    keys = _check_characteristics(characteristics)
    stamp, window_days = scope.as_of, scope.window_days
    population = scope.population()
    if population.empty or not keys:
        return _empty_equality()
    counted = counted_milestones(
        population, scope.milestones, as_of=stamp, window_days=window_days, kinds=[kind]
    )
    reached = np.zeros(len(population), dtype=bool)
    reached[counted["row"].to_numpy()] = True
    overall = reached.sum() / len(population)
    parts = [_characteristic_rates(population, key, reached, overall) for key in keys]
    return pd.concat(parts, ignore_index=True)[list(EQUALITY_COLUMNS)]
