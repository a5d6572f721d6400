"""Prison leavers: a job start within 6 weeks and 6 months of release, beside the national figure.

Releases are the custody referrals' release dates (``pathway`` is ``steps.CUSTODY_PATHWAY``),
each (participant, release date) once, of referrals received on or before the as-at date. For
each measure of ``steps.PRISON_LEAVER_WINDOWS`` (MI016: 42 days, MI017: 182 days) a release
counts when it is at least that many calendar days before the as-at date, and has a job start
when the participant has a job start (the milestone of ``steps.JOB_STEP``) dated on or after
the release date and at most that many days after it. The national figure is HMPPS's share of
prison leavers in employment 6 weeks (MI016) and 6 months (MI017) after release, kept as data
(:func:`ete_metrics.data.frames.read_national_figures`): the latest period of each measure.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ete_metrics import steps
from ete_metrics.counting.population import AsOf
from ete_metrics.data.frames import conform_national
from ete_metrics.metrics.engagement import job_start_between, received, validate_engagement_by

#: The columns of :func:`prison_leavers` after the grouping keys.
PRISON_LEAVER_COLUMNS: tuple[str, ...] = (
    "measure",
    "window_days",
    "released",
    "job_start_within",
    "share",
    "national_value",
    "national_period",
    "national_source",
)


def latest_national(national: pd.DataFrame | None) -> pd.DataFrame:
    """The latest figure of each measure (``period_end``; the later row on a tie), by ``measure``."""
    columns = ["measure", "national_value", "national_period", "national_source"]
    if national is None or national.empty:
        return pd.DataFrame(columns=columns)
    figures = conform_national(national)
    figures["_row"] = np.arange(len(figures))
    figures = figures.sort_values(
        ["measure", "period_end", "_row"], na_position="first", kind="stable"
    )
    latest = figures.groupby("measure", sort=False).tail(1)
    return pd.DataFrame(
        {
            "measure": latest["measure"].astype(object).to_numpy(),
            "national_value": latest["value"].astype("float64").to_numpy(),
            "national_period": latest["period"].astype(object).to_numpy(),
            "national_source": latest["source"].astype(object).to_numpy(),
        }
    )


def prison_leavers(
    engagement: pd.DataFrame,
    as_of: AsOf,
    *,
    milestones: pd.DataFrame | None = None,
    by: str | Iterable[str] | None = None,
    national: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Releases with a job start within 42 and 182 days, beside the latest national figures.

    Parameters
    ----------
    engagement : pandas.DataFrame
        One row per referral (:func:`ete_metrics.data.frames.conform_engagement`). Not modified.
    as_of : date-like
        The as-at date.
    milestones : pandas.DataFrame, optional
        The milestones frame, for the job starts. Not modified.
    by : str or list of str, optional
        Keys of :data:`ete_metrics.metrics.engagement.ENGAGEMENT_GROUPING` (a release takes
        the keys of its earliest referral).
    national : pandas.DataFrame, optional
        National figures (:data:`ete_metrics.data.frames.NATIONAL_COLUMNS`); none or empty:
        the national columns are missing.

    Returns
    -------
    pandas.DataFrame
        Per group with a release by ``as_of`` (one group without ``by``), one row per
        measure (MI016 then MI017), the keys then :data:`PRISON_LEAVER_COLUMNS`:
        ``window_days``; ``released``, releases at least that many days before ``as_of``;
        ``job_start_within``, those with a job start within the window; ``share`` = with a
        job start / released (NaN when none); the latest national ``value``, its
        ``period`` and ``source`` (missing when the table has none for the measure).
    """
    keys = validate_engagement_by(by)
    frame, stamp = received(engagement, as_of)
    custody = frame.loc[
        (frame["pathway"].astype(object) == steps.CUSTODY_PATHWAY).to_numpy()
        & frame["release_date"].notna().to_numpy()
        & (frame["release_date"] <= stamp).to_numpy()
    ]
    releases = (
        custody.sort_values("referral_date", kind="stable")
        .drop_duplicates(["participant_id", "release_date"])
        .reset_index(drop=True)
    )
    parts = []
    days_before = (stamp - releases["release_date"]).dt.days.to_numpy()
    for measure, window in steps.PRISON_LEAVER_WINDOWS.items():
        eligible = days_before >= window
        late = releases["release_date"] + pd.Timedelta(days=window)
        within = eligible & job_start_between(releases, milestones, releases["release_date"], late)
        data = pd.DataFrame(
            {"released": eligible.astype("int64"), "job_start_within": within.astype("int64")}
        )
        if keys:
            for key in keys:
                data[key] = releases[key].astype(object).to_numpy()
            rows = data.groupby(keys, dropna=False, sort=True).sum().reset_index()
        else:
            rows = data.sum().to_frame().T.reset_index(drop=True)
        rows["measure"] = measure
        rows["window_days"] = window
        parts.append(rows)
    out = pd.concat(parts, ignore_index=True)
    out["_measure"] = out["measure"].map({m: i for i, m in enumerate(steps.PRISON_LEAVER_WINDOWS)})
    out = out.sort_values([*keys, "_measure"], na_position="last", kind="stable")
    top = out["job_start_within"].to_numpy(dtype="float64")
    bottom = out["released"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share"] = np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan)
    out = out.merge(latest_national(national), on="measure", how="left")
    out["national_value"] = out["national_value"].astype("float64")
    for column in ("released", "job_start_within", "window_days"):
        out[column] = out[column].astype("int64")
    return out[[*keys, *PRISON_LEAVER_COLUMNS]].reset_index(drop=True)
