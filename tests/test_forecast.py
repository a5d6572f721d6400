"""Forecast to contract end: a programme small enough to work the forecast out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from ete_metrics.counting.scope import Scope
from ete_metrics.data.frames import conform_milestones, conform_participants, conform_targets
from ete_metrics.errors import InputError
from ete_metrics.metrics.forecast import FORECAST_COLUMNS, forecast_to_end, probability_of_reaching
from ete_metrics.steps import TRAINING, WORK


def _programme() -> tuple[pd.DataFrame, pd.DataFrame]:
    # London, two people entering on the 1st of each month Aug 2023 .. Jan 2024: the first
    # starts training the next day, the second never does (no job starts at all).
    people, events = [], []
    for month in range(6):
        entry = pd.Timestamp("2023-08-01") + pd.DateOffset(months=month)
        for k in range(2):
            pid = f"P{month}{k}"
            people.append((pid, "London", entry - pd.Timedelta(days=7), entry))
            if k == 0:
                events.append((pid, "training_start", entry + pd.Timedelta(days=1), "College"))
    participants = conform_participants(pd.DataFrame(
        people, columns=["participant_id", "region", "referral_date", "entry_date"]))
    milestones = conform_milestones(pd.DataFrame(events, columns=["participant_id", "milestone", "date", "partner"]))
    return participants, milestones


def test_forecast_by_hand() -> None:
    # As at 29 Feb 2024. Hazard of a first training start: month 0 since entry 6 events of
    # 12 at risk = 0.5, later months 0 (and 0 beyond). Nobody waiting will start.
    # Entries: 12 in the six months Aug-Jan -> 2 a month, month-to-month variance 0, so
    # Poisson's 2 is used. An entrant at mid-month (16 Mar, 16 Apr, 16 May: 16, 47 and 77
    # days ahead) has started training with chance 1 - 0.5^(t / 30.4375) t days after entry,
    # 0.5 after a whole month. At the end of May (92 days ahead): Mar 0.5, Apr 0.5,
    # May q = 1 - 0.5^(15 / 30.4375); forecast 6 + 2 (1 + q).
    # Variance: per month 2 p (1 - p) + 2 p^2 = 2 p, plus (sum p)^2 x 2 / 6 for the entry
    # level estimated from 6 months: 2 S + S^2 / 3 with S = 1 + q.
    participants, milestones = _programme()
    out = forecast_to_end(Scope(participants, milestones, as_of="2024-02-29"), regions=["London"])
    assert list(out.columns) == list(FORECAST_COLUMNS)
    training = out.loc[out["measure"] == TRAINING.name].set_index("month")
    assert training.index.strftime("%Y-%m").tolist() == ["2024-02", "2024-03", "2024-04", "2024-05"]
    assert (training["actual_to_date"] == 6).all()
    q = 1 - 0.5 ** (15 / 30.4375)
    assert training.loc["2024-02-01", "forecast"] == pytest.approx(6.0)
    # end of March: the March entrants have had 15 days: 6 + 2 q
    assert training.loc["2024-03-01", "forecast"] == pytest.approx(6 + 2 * (1 - 0.5 ** (15 / 30.4375)))
    # end of April: March 0.5, April 1 - 0.5^(14 / 30.4375)
    assert training.loc["2024-04-01", "forecast"] == pytest.approx(6 + 2 * (0.5 + 1 - 0.5 ** (14 / 30.4375)))
    may = training.loc["2024-05-01"]
    s = 1 + q
    sd = math.sqrt(2 * s + s**2 / 3)
    assert may["forecast"] == pytest.approx(6 + 2 * s)
    assert may["sd"] == pytest.approx(sd)
    assert may["high_95"] == pytest.approx(6 + 2 * s + 1.959964 * sd, abs=1e-5)
    assert may["low_80"] == pytest.approx(max(6 + 2 * s - 1.281552 * sd, 6.0), abs=1e-5)
    # never below what has already happened
    assert (training["low_95"] >= 6).all()
    work = out.loc[out["measure"] == WORK.name]
    assert (work["forecast"] == 0).all() and (work["high_95"] == 0).all()


def test_probability_of_reaching_a_target() -> None:
    # contract target 10 training starts: P(N >= 10) = 1 - Phi((9.5 - mean) / sd)
    participants, milestones = _programme()
    out = forecast_to_end(Scope(participants, milestones, as_of="2024-02-29"), regions=["London"])
    targets = conform_targets(pd.DataFrame([("London", "2023-08-01", TRAINING.name, 4),
                                            ("London", "2023-09-01", TRAINING.name, 6)],
                                           columns=["region", "period_start", "measure", "target"]))
    chance = probability_of_reaching(out, targets).set_index("measure")
    may = out.loc[(out["measure"] == TRAINING.name)].iloc[-1]
    assert chance.loc[TRAINING.name, "contract_target"] == 10
    assert chance.loc[TRAINING.name, "probability"] == pytest.approx(
        stats.norm.sf((9.5 - may["forecast"]) / may["sd"]))
    assert math.isnan(chance.loc[WORK.name, "probability"])


def test_inputs_unchanged_and_as_of_checked() -> None:
    participants, milestones = _programme()
    before = participants.copy(), milestones.copy()
    forecast_to_end(Scope(participants, milestones, as_of="2024-02-29"))
    pd.testing.assert_frame_equal(participants, before[0])
    pd.testing.assert_frame_equal(milestones, before[1])
    with pytest.raises(InputError, match="before the contract start"):
        forecast_to_end(Scope(participants, milestones, as_of="2021-01-01"))
    assert forecast_to_end(Scope(participants, milestones, as_of="2024-06-01")).empty
