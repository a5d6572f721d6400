"""A deterministic synthetic ETE programme for demonstrations and tests.

Every person and organisation here is fictional, the prisons included (they
are named like real establishments, ``HMP ...``, but none of them exists, so no
synthetic figure can be read as a claim about a real prison or provider).
Participant ids are pseudonymous
(``"P"`` + 7 digits drawn from a shuffled sequence, unrelated to entry order).

The generator is a vectorised stochastic model driven by one
:class:`numpy.random.Generator` seeded from ``seed``; it never reads the clock,
so the same arguments always give identical frames. At the default arguments
it is calibrated to the provider's published figures as at 16 Aug 2023
(:data:`ete_metrics.config.PUBLISHED_AS_OF`): a little over 10,000 entered, a
little over 3,800 into training and a little over 1,800 into work.

Model, per referral
-------------------
* region from fixed shares; referral day from a ramp-up curve
  ``1 - exp(-day / 75)`` with weekends down-weighted;
* area, pathway (custody about 27%), prison (custody only), delivery partner
  and demographics from fixed per-region categorical distributions;
* programme entry with probability about one third (region, partner and
  pathway multipliers), 1-6 weeks after referral (``7 + Gamma(2, 6)`` days);
* first training start with a probability set by region, partner and pathway,
  ``3 + Gamma(2, 20)`` days after entry (median about 5 weeks); a second
  training start for about 15% of trainees; a completion for about 75% of
  starts, ``7 + Gamma(3, 7)`` days after the start;
* first job start with a probability that depends on training (and on the
  partner's training-to-work strength), region and pathway, a log-normal lag
  from entry with median about 4.5 months; a sustained-job milestone at 13 or
  26 weeks for about half the job starts;
* an exit for most participants, some weeks after their last milestone, with
  a reason that follows their outcome;
* events falling after the extract date have not happened yet and are left
  out; then a few data-quality defects are planted at about 0.4% each.

Targets are monthly per region and measure over the whole contract: the
programme-wide monthly volumes (3-month centred mean), apportioned by the
planned regional shares, with a planned ramp-up a little faster than the
actual one, so early months run behind target.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ete_metrics import config
from ete_metrics.steps import ENTERED, MILESTONE_TYPES, REFERRED, TRAINING, WORK

from ete_metrics.data import frames
from ete_metrics.errors import InputError, RealDataError

if TYPE_CHECKING:
    import sqlalchemy as sa

DEFAULT_PARTICIPANTS: int = 45_000
DEFAULT_SEED: int = 20210601

#: The extract date of the demo programme (the last contract day).
EXTRACT_DATE: date = config.CONTRACT_END - timedelta(days=1)

#: Planned share of referrals per region.
REGION_SHARES: dict[str, float] = {
    "London": 0.32,
    "North West": 0.28,
    "West Midlands": 0.24,
    "Wales": 0.16,
}

#: Police and crime commissioner areas (London: borough groups) with shares.
AREAS: dict[str, dict[str, float]] = {
    "London": {
        "North London": 0.20,
        "South London": 0.24,
        "East London": 0.24,
        "West London": 0.18,
        "Central London": 0.14,
    },
    "North West": {
        "Greater Manchester": 0.40,
        "Merseyside": 0.26,
        "Lancashire": 0.18,
        "Cheshire": 0.10,
        "Cumbria": 0.06,
    },
    "West Midlands": {
        "West Midlands": 0.55,
        "West Mercia": 0.18,
        "Staffordshire": 0.17,
        "Warwickshire": 0.10,
    },
    "Wales": {
        "South Wales": 0.44,
        "North Wales": 0.22,
        "Gwent": 0.20,
        "Dyfed-Powys": 0.14,
    },
}

#: Share of referrals on the custody pathway (prison leavers), per region.
CUSTODY_SHARES: dict[str, float] = {
    "London": 0.26,
    "North West": 0.28,
    "West Midlands": 0.27,
    "Wales": 0.29,
}

#: Fictional prisons releasing custody-pathway participants, per region, with shares.
PRISONS: dict[str, dict[str, float]] = {
    "London": {
        "HMP Fleetbank": 0.24,
        "HMP Ravenscourt": 0.24,
        "HMP Southmere": 0.20,
        "HMP Eastbrook": 0.14,
        "HMP Northgate Green": 0.18,
    },
    "North West": {
        "HMP Merseyview": 0.24,
        "HMP Irwell Bank": 0.22,
        "HMP Pendle Moor": 0.16,
        "HMP Ribblesdale": 0.18,
        "HMP Wirral Point": 0.20,
    },
    "West Midlands": {
        "HMP Tamebridge": 0.34,
        "HMP Severn Fields": 0.28,
        "HMP Cannock Heath": 0.24,
        "HMP Arden Vale": 0.14,
    },
    "Wales": {
        "HMP Clwyd Moor": 0.30,
        "HMP Taff Vale": 0.28,
        "HMP Ogmore": 0.30,
        "HMP Tawe": 0.08,
        "HMP Wye Valley": 0.04,
    },
}

#: The fictional ex-offender employment social enterprise working in every region.
SOCIAL_ENTERPRISE: str = "Second Chance Works CIC"

#: Fictional delivery partners per region, with their share of the region's referrals.
DELIVERY_PARTNERS: dict[str, dict[str, float]] = {
    "London": {
        "Capital Pathways Trust": 0.40,
        "Thames Futures Partnership": 0.32,
        "Riverside Skills Network": 0.17,
        SOCIAL_ENTERPRISE: 0.11,
    },
    "North West": {
        "Mersey Bridge Employment": 0.48,
        "Pennine Futures Group": 0.40,
        SOCIAL_ENTERPRISE: 0.12,
    },
    "West Midlands": {
        "Midlands Work Forward": 0.38,
        "Ironbridge Futures Partnership": 0.34,
        "Tamworth Road Trust": 0.18,
        SOCIAL_ENTERPRISE: 0.10,
    },
    "Wales": {
        "Cymru Ymlaen Partnership": 0.50,
        "Valleys New Start Trust": 0.40,
        SOCIAL_ENTERPRISE: 0.10,
    },
}

#: Fictional training providers and the regions they serve.
TRAINING_PROVIDERS: dict[str, tuple[str, ...]] = {
    "Brightway Learning": ("London", "North West", "West Midlands", "Wales"),
    "Trackside Rail Academy": ("London", "North West", "West Midlands", "Wales"),
    "Forge Skills Academy": ("North West", "West Midlands"),
    "Keystone Construction Skills": ("London", "West Midlands"),
    "Safe Hands Forklift Training": ("North West", "West Midlands", "Wales"),
    "Open Kitchen Catering School": ("London", "Wales"),
    "Greenloop Training Centre": ("North West",),
    "Capital Digital Skills": ("London",),
    "Cambrian Skills Hub": ("Wales",),
    "Northern Lights Learning": ("North West",),
}

#: Fictional employers: name -> (sector, regions where they recruit).
EMPLOYERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Brickfield Construction Ltd": ("construction", ("North West", "West Midlands")),
    "Keystone Groundworks": ("construction", ("London",)),
    "Dragon Build Services": ("construction", ("Wales",)),
    "Ironbridge Civil Engineering": ("construction", ("West Midlands",)),
    "Northway Logistics": ("logistics", ("North West", "West Midlands")),
    "Swift Parcel Hub": ("logistics", ("London", "West Midlands")),
    "Severn Freight Services": ("logistics", ("Wales", "West Midlands")),
    "Crossdock Warehousing": ("warehousing", ("North West",)),
    "Midshires Distribution Centre": ("warehousing", ("West Midlands",)),
    "Eastgate Fulfilment": ("warehousing", ("London",)),
    "Cambrian Storage & Distribution": ("warehousing", ("Wales",)),
    "Harbourside Hotels Group": ("hospitality", ("London", "Wales")),
    "Lantern Inn Pubs": ("hospitality", ("North West", "West Midlands")),
    "Capital Events Staffing": ("hospitality", ("London",)),
    "Second Helpings Catering": ("catering", ("London",)),
    "Valley Fresh Catering": ("catering", ("Wales",)),
    "Red Rose Contract Catering": ("catering", ("North West",)),
    "Greenloop Recycling": ("recycling", ("North West", "West Midlands")),
    "Circular Materials Wales": ("recycling", ("Wales",)),
    "Capital Reuse Centre": ("recycling", ("London",)),
    "Brightside Retail": ("retail", ("London", "North West", "West Midlands", "Wales")),
    "Corner Market Stores": ("retail", ("North West", "London")),
    "Trackside Rail Services": ("rail", ("London", "North West", "West Midlands", "Wales")),
    "Signal Line Maintenance": ("rail", ("North West", "West Midlands")),
    "Metro Facilities Services": ("facilities", ("London", "North West")),
}

GENDERS: dict[str, float] = {"Male": 0.85, "Female": 0.14, "Other / not stated": 0.01}
AGE_BANDS: dict[str, float] = {"18-24": 0.21, "25-34": 0.36, "35-49": 0.32, "50+": 0.11}
DISABILITY: dict[str, float] = {"Yes": 0.27, "No": 0.63, "Not stated": 0.10}
#: ONS 5 ethnic groups plus Not stated, per region (London more diverse).
ETHNICITY: dict[str, dict[str, float]] = {
    "London": {"White": 0.50, "Black": 0.24, "Asian": 0.13, "Mixed": 0.07, "Other": 0.04,
               "Not stated": 0.02},
    "North West": {"White": 0.84, "Black": 0.04, "Asian": 0.06, "Mixed": 0.03, "Other": 0.01,
                   "Not stated": 0.02},
    "West Midlands": {"White": 0.68, "Black": 0.10, "Asian": 0.14, "Mixed": 0.05,
                      "Other": 0.01, "Not stated": 0.02},
    "Wales": {"White": 0.91, "Black": 0.02, "Asian": 0.02, "Mixed": 0.02, "Other": 0.01,
              "Not stated": 0.02},
}

EXIT_REASONS: tuple[str, ...] = (
    "Completed programme",
    "Entered sustained employment",
    "Disengaged",
    "Recalled to custody",
    "Moved out of area",
    "Deceased",
)

# ---------------------------------------------------------------- model rates
_RAMP_DAYS = 75.0  # referral ramp-up time constant (days)
_WEEKEND_WEIGHT = 0.12  # relative referral weight of a Saturday/Sunday
_ENTRY_RATE = 0.342  # base referral -> entry probability
_TRAINING_RATE = 0.422  # base entered -> training probability
_SECOND_TRAINING_RATE = 0.15
_TRAINING_COMPLETION_RATE = 0.76
_WORK_RATE_TRAINED = 0.31  # base entered-and-trained -> work probability
_WORK_RATE_UNTRAINED = 0.191  # base entered-not-trained -> work probability
_SECOND_JOB_RATE = 0.08
_SUSTAINED_RATE = 0.52
_CASEWORKERS_PER_PARTNER = 4  # each partner's caseworkers share its referrals
_EXIT_RATE = 0.85
_DEFECT_RATE = 0.004

# Multipliers on the base rates: (entry, training, work).
_REGION_EFFECTS: dict[str, tuple[float, float, float]] = {
    "London": (0.97, 0.95, 1.05),
    "North West": (1.02, 1.00, 1.12),
    "West Midlands": (1.00, 1.04, 0.62),  # work rate clearly lower
    "Wales": (1.02, 1.14, 1.08),
}
# Per partner: (entry, training, training-to-work, work-without-training).
_PARTNER_EFFECTS: dict[str, tuple[float, float, float, float]] = {
    "Capital Pathways Trust": (1.00, 1.00, 1.00, 1.00),
    "Thames Futures Partnership": (1.02, 1.10, 0.85, 0.95),
    "Riverside Skills Network": (0.95, 0.85, 1.00, 1.00),
    "Mersey Bridge Employment": (1.00, 1.00, 1.55, 1.00),  # strong training-to-work
    "Pennine Futures Group": (1.00, 1.00, 0.80, 0.95),
    "Midlands Work Forward": (1.00, 1.05, 1.00, 1.00),
    "Ironbridge Futures Partnership": (1.00, 0.95, 0.95, 1.00),
    "Tamworth Road Trust": (0.95, 0.90, 1.00, 0.95),
    "Cymru Ymlaen Partnership": (1.00, 1.00, 1.05, 1.00),
    "Valleys New Start Trust": (1.00, 1.00, 0.90, 0.95),
    SOCIAL_ENTERPRISE: (1.05, 0.85, 1.45, 1.65),  # strong on work
}
# Per pathway: (entry, training, work).
_PATHWAY_EFFECTS: dict[str, tuple[float, float, float]] = {
    "community": (1.00, 1.00, 1.00),
    "custody": (0.90, 0.86, 0.72),
}


@dataclass(frozen=True)
class DemoProgramme:
    """A synthetic programme extract in the :mod:`ete_metrics.data.frames` formats.

    Attributes
    ----------
    participants : pandas.DataFrame
        One row per referral, columns :data:`ete_metrics.data.frames.PARTICIPANT_COLUMNS`.
    milestones : pandas.DataFrame
        Columns :data:`ete_metrics.data.frames.MILESTONE_COLUMNS`.
    targets : pandas.DataFrame
        Monthly targets per region and measure, :data:`ete_metrics.data.frames.TARGET_COLUMNS`.
    extract_date : datetime.date
        The date the extract was taken; nothing in it is dated later.
    """

    participants: pd.DataFrame
    milestones: pd.DataFrame
    targets: pd.DataFrame
    extract_date: date


# ---------------------------------------------------------------- helpers
_START = np.datetime64(config.CONTRACT_START.isoformat(), "D")
_EXTRACT_DAY = (EXTRACT_DATE - config.CONTRACT_START).days
_START_WEEKDAY = config.CONTRACT_START.weekday()  # Monday = 0


def _pick(rng: np.random.Generator, group: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Draw one category per row from the row's group distribution (vectorised).

    ``probs`` has one row per group; the result indexes its columns.
    """
    cumulative = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(group))
    picked = np.empty(len(group), dtype=np.int64)
    for g in range(probs.shape[0]):  # a loop over groups, not rows
        rows = group == g
        picked[rows] = np.searchsorted(cumulative[g], u[rows], side="right")
    return np.minimum(picked, probs.shape[1] - 1)


def _matrix(rows: list[str], spec: dict[str, dict[str, float]]) -> tuple[list[str], np.ndarray]:
    """Return (column labels, probability matrix) for a per-region spec."""
    labels: list[str] = []
    for region in rows:
        for label in spec[region]:
            if label not in labels:
                labels.append(label)
    matrix = np.zeros((len(rows), len(labels)))
    for i, region in enumerate(rows):
        for label, share in spec[region].items():
            matrix[i, labels.index(label)] = share
    return labels, matrix


def _weekday_forward(days: np.ndarray) -> np.ndarray:
    """Move Saturdays and Sundays to the following Monday (NaN stays NaN)."""
    weekday = np.mod(days + _START_WEEKDAY, 7)
    return days + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))


def _censor(days: np.ndarray) -> np.ndarray:
    """Events after the extract date have not happened yet: NaN."""
    return np.where(days <= _EXTRACT_DAY, days, np.nan)


def _dates(days: np.ndarray) -> np.ndarray:
    """Contract-day offsets (float, NaN for missing) to ``datetime64[ns]`` with NaT."""
    missing = np.isnan(days)
    whole = np.where(missing, 0, days).astype("int64").astype("timedelta64[D]")
    out = (_START + whole).astype("datetime64[ns]")
    out[missing] = np.datetime64("NaT", "ns")
    return out


def _text(labels: list[str] | tuple[str, ...], codes: np.ndarray,
          missing: np.ndarray | None = None) -> pd.Series:
    """Category codes to an ``object`` Series of labels (``None`` where missing)."""
    values = np.array(list(labels), dtype=object)[codes]
    if missing is not None:
        values[missing] = None
    return pd.Series(values, dtype=object)


def _month_index(days: np.ndarray) -> np.ndarray:
    """Contract month (0 = June 2021) of each contract-day offset."""
    months = (_START + days.astype("int64").astype("timedelta64[D]")).astype("datetime64[M]")
    return (months - _START.astype("datetime64[M]")).astype("int64")


# ---------------------------------------------------------------- generator
def generate_demo(n_participants: int = DEFAULT_PARTICIPANTS,
                  seed: int = DEFAULT_SEED) -> DemoProgramme:
    """Generate the deterministic synthetic ETE programme.

    Parameters
    ----------
    n_participants : int, default 45,000
        Number of referrals (participants rows), 1 to 9,000,000.
    seed : int, default 20210601
        Seed of the :class:`numpy.random.Generator`; the same arguments always
        give identical frames.

    Returns
    -------
    DemoProgramme
        Participants, milestones and targets in the :mod:`ete_metrics.data.frames`
        formats, extracted on :data:`EXTRACT_DATE`.

    Raises
    ------
    InputError
        When ``n_participants`` is not a whole number from 1 to 9,000,000.

    Notes
    -----
    Method: a vectorised stochastic simulation (see the module docstring for
    the model). At the default arguments, counted as at 16 Aug 2023 (entered on
    or before that date; training/work = a training_start/job_start between
    entry and that date), the programme shows a little over 10,000 entered,
    3,800 into training and 1,800 into work, the provider's published figures.
    """
    if isinstance(n_participants, bool) or not isinstance(n_participants, (int, np.integer)):
        raise InputError(f"n_participants must be a whole number, not {n_participants!r}.")
    n = int(n_participants)
    if not 1 <= n <= 9_000_000:
        raise InputError(f"n_participants must be between 1 and 9,000,000, not {n:,}.")
    rng = np.random.default_rng(seed)
    region_names = list(REGION_SHARES)
    if tuple(region_names) != tuple(config.DEFAULT_REGIONS):  # pragma: no cover - guard
        raise InputError("The demo programme is defined for the default four regions.")

    # --- referrals -------------------------------------------------------
    region = _pick(rng, np.zeros(n, dtype=np.int64),
                   np.array([list(REGION_SHARES.values())]))
    day_axis = np.arange(_EXTRACT_DAY + 1, dtype=np.float64)
    weekday = np.mod(day_axis + _START_WEEKDAY, 7)
    weights = (1.0 - np.exp(-(day_axis + 1.0) / _RAMP_DAYS)) * np.where(
        weekday >= 5, _WEEKEND_WEIGHT, 1.0
    )
    referral = rng.choice(len(day_axis), size=n, p=weights / weights.sum()).astype(np.float64)

    area_labels, area_matrix = _matrix(region_names, AREAS)
    area = _pick(rng, region, area_matrix)
    custody = rng.random(n) < np.array([CUSTODY_SHARES[r] for r in region_names])[region]
    prison_labels, prison_matrix = _matrix(region_names, PRISONS)
    prison = _pick(rng, region, prison_matrix)
    partner_labels, partner_matrix = _matrix(region_names, DELIVERY_PARTNERS)
    partner = _pick(rng, region, partner_matrix)
    one = np.zeros(n, dtype=np.int64)
    gender = _pick(rng, one, np.array([list(GENDERS.values())]))
    age_band = _pick(rng, one, np.array([list(AGE_BANDS.values())]))
    disability = _pick(rng, one, np.array([list(DISABILITY.values())]))
    ethnicity_labels, ethnicity_matrix = _matrix(region_names, ETHNICITY)
    ethnicity = _pick(rng, region, ethnicity_matrix)

    region_fx = np.array([_REGION_EFFECTS[r] for r in region_names])[region]
    partner_fx = np.array([_PARTNER_EFFECTS[p] for p in partner_labels])[partner]
    pathway_fx = np.array([_PATHWAY_EFFECTS[p] for p in config.PATHWAYS])[custody.astype(int)]

    # --- entry -----------------------------------------------------------
    p_entry = _ENTRY_RATE * region_fx[:, 0] * partner_fx[:, 0] * pathway_fx[:, 0]
    converts = rng.random(n) < p_entry
    entry_lag = 7.0 + np.floor(rng.gamma(2.0, 6.0, n))
    entry = np.where(converts, _censor(_weekday_forward(referral + entry_lag)), np.nan)
    entered = ~np.isnan(entry)

    # --- training --------------------------------------------------------
    p_training = np.minimum(
        0.95, _TRAINING_RATE * region_fx[:, 1] * partner_fx[:, 1] * pathway_fx[:, 1]
    )
    trains = entered & (rng.random(n) < p_training)
    training_1 = np.where(
        trains, _weekday_forward(entry + 3.0 + np.floor(rng.gamma(2.0, 20.0, n))), np.nan
    )
    second = trains & (rng.random(n) < _SECOND_TRAINING_RATE)
    training_2 = np.where(
        second, _weekday_forward(training_1 + 28.0 + np.floor(rng.gamma(2.0, 30.0, n))), np.nan
    )
    completes_1 = rng.random(n) < _TRAINING_COMPLETION_RATE
    completes_2 = rng.random(n) < _TRAINING_COMPLETION_RATE
    completion_1 = np.where(completes_1, training_1 + 7.0 + np.floor(rng.gamma(3.0, 7.0, n)),
                            np.nan)
    completion_2 = np.where(completes_2, training_2 + 7.0 + np.floor(rng.gamma(3.0, 7.0, n)),
                            np.nan)
    provider_names = list(TRAINING_PROVIDERS)
    provider_matrix = np.array(
        [[1.0 if r in TRAINING_PROVIDERS[p] else 0.0 for p in provider_names]
         for r in region_names]
    )
    provider_1 = _pick(rng, region, provider_matrix)
    provider_2 = _pick(rng, region, provider_matrix)

    # --- work ------------------------------------------------------------
    p_work = np.where(
        trains,
        _WORK_RATE_TRAINED * partner_fx[:, 2],
        _WORK_RATE_UNTRAINED * partner_fx[:, 3],
    ) * region_fx[:, 2] * pathway_fx[:, 2]
    works = entered & (rng.random(n) < np.minimum(0.95, p_work))
    work_lag = np.floor(np.exp(rng.normal(np.log(135.0), 0.55, n)))
    after_training = training_1 + 14.0 + np.floor(rng.gamma(2.0, 15.0, n))
    job_1 = np.where(works, _weekday_forward(np.fmax(entry + work_lag, after_training)), np.nan)
    second_job = works & (rng.random(n) < _SECOND_JOB_RATE)
    job_2 = np.where(second_job, _weekday_forward(job_1 + 60.0 + np.floor(rng.gamma(2.0, 45.0, n))),
                     np.nan)
    sustains = rng.random(n) < _SUSTAINED_RATE
    sustained_weeks = np.where(rng.random(n) < 0.7, 91.0, 182.0)
    sustained = np.where(sustains, job_1 + sustained_weeks, np.nan)
    employer_names = list(EMPLOYERS)
    employer_matrix = np.array(
        [[1.0 if r in EMPLOYERS[e][1] else 0.0 for e in employer_names] for r in region_names]
    )
    employer_1 = _pick(rng, region, employer_matrix)
    employer_2 = _pick(rng, region, employer_matrix)

    # Not yet happened at the extract date (cascading: no completion without start).
    training_1 = _censor(training_1)
    training_2 = _censor(training_2)
    completion_1 = np.where(np.isnan(training_1), np.nan, _censor(completion_1))
    completion_2 = np.where(np.isnan(training_2), np.nan, _censor(completion_2))
    job_1 = _censor(job_1)
    job_2 = np.where(np.isnan(job_1), np.nan, _censor(job_2))
    sustained = np.where(np.isnan(job_1), np.nan, _censor(sustained))

    # --- exits -----------------------------------------------------------
    last_event = entry
    for column in (training_1, training_2, completion_1, completion_2, job_1, job_2, sustained):
        last_event = np.fmax(last_event, column)
    exits = entered & (rng.random(n) < _EXIT_RATE)
    exit_day = np.where(exits, _censor(last_event + 14.0 + np.floor(rng.gamma(2.0, 50.0, n))),
                        np.nan)
    has_exit = ~np.isnan(exit_day)
    reason_probs = np.array([
        # completed, sustained employment, disengaged, recalled, moved, deceased
        [0.40, 0.00, 0.42, 0.07, 0.10, 0.01],  # community, no sustained job
        [0.32, 0.00, 0.42, 0.16, 0.09, 0.01],  # custody, no sustained job
        [0.12, 0.86, 0.00, 0.00, 0.02, 0.00],  # sustained job
        [0.12, 0.86, 0.00, 0.00, 0.02, 0.00],
    ])
    reason_group = custody.astype(np.int64) + 2 * (~np.isnan(sustained)).astype(np.int64)
    exit_reason = _pick(rng, reason_group, reason_probs)

    # --- data-quality defects -------------------------------------------
    def _defect_rows(pool: np.ndarray, base: int) -> np.ndarray:
        """Choose about _DEFECT_RATE * base rows of ``pool`` (at least one when possible)."""
        if len(pool) == 0:
            return pool
        k = min(len(pool), max(1, round(_DEFECT_RATE * base)))
        return np.sort(rng.choice(pool, size=k, replace=False))

    n_entered = int(entered.sum())
    # A referral recorded after entry.
    late_referral = _defect_rows(np.flatnonzero(entered & (entry <= _EXTRACT_DAY - 30)), n_entered)
    referral = referral.copy()
    referral[late_referral] = entry[late_referral] + rng.integers(1, 29, len(late_referral))
    # An exit recorded before entry.
    early_exit = _defect_rows(np.flatnonzero(has_exit), int(has_exit.sum()))
    exit_day[early_exit] = entry[early_exit] - rng.integers(1, 31, len(early_exit))
    # Orphan milestones: job_sustained without job_start, training_completed without start.
    orphan_sustained = _defect_rows(
        np.flatnonzero(entered & np.isnan(job_1) & (entry <= _EXTRACT_DAY - 100)), n_entered
    )
    orphan_completed = _defect_rows(
        np.flatnonzero(entered & np.isnan(training_1) & (entry <= _EXTRACT_DAY - 60)), n_entered
    )

    # --- milestones frame ------------------------------------------------
    types = {name: i for i, name in enumerate(MILESTONE_TYPES)}
    partner_names = provider_names + employer_names
    n_providers = len(provider_names)
    parts = [
        (training_1, types["training_start"], provider_1),
        (training_2, types["training_start"], provider_2),
        (completion_1, types["training_completed"], provider_1),
        (completion_2, types["training_completed"], provider_2),
        (job_1, types["job_start"], employer_1 + n_providers),
        (job_2, types["job_start"], employer_2 + n_providers),
        (sustained, types["job_sustained"], employer_1 + n_providers),
    ]
    rows_pid: list[np.ndarray] = []
    rows_type: list[np.ndarray] = []
    rows_day: list[np.ndarray] = []
    rows_partner: list[np.ndarray] = []
    for days, kind, who in parts:
        present = np.flatnonzero(~np.isnan(days))
        rows_pid.append(present)
        rows_type.append(np.full(len(present), kind))
        rows_day.append(days[present])
        rows_partner.append(who[present])
    for pool, kind, low, high, who in (
        (orphan_sustained, types["job_sustained"], 30, 100, employer_1 + n_providers),
        (orphan_completed, types["training_completed"], 10, 60, provider_1),
    ):
        rows_pid.append(pool)
        rows_type.append(np.full(len(pool), kind))
        rows_day.append(entry[pool] + rng.integers(low, high, len(pool)))
        rows_partner.append(who[pool])
    m_pid = np.concatenate(rows_pid)
    m_type = np.concatenate(rows_type)
    m_day = np.concatenate(rows_day)
    m_partner = np.concatenate(rows_partner)
    # A milestone dated before entry.
    before_entry = _defect_rows(np.arange(len(m_pid)), len(m_pid))
    m_day[before_entry] = entry[m_pid[before_entry]] - rng.integers(1, 46, len(before_entry))

    # --- ids, frames -----------------------------------------------------
    id_numbers = rng.choice(9_000_000, size=n, replace=False) + 1_000_000
    ids = np.char.add("P", id_numbers.astype("U7")).astype(object)

    # Each referral's caseworker, one of its partner's few, as a pseudonym (64 hex
    # digits, like the importer's): derived from the id, so no random draw changes.
    caseworker_labels = [
        hashlib.sha256(f"demo caseworker {k} of {label}".encode()).hexdigest()
        for label in partner_labels
        for k in range(_CASEWORKERS_PER_PARTNER)
    ]
    caseworker = partner * _CASEWORKERS_PER_PARTNER + id_numbers % _CASEWORKERS_PER_PARTNER

    # Participants in referral order (ids break ties: fixed width, so numeric
    # order is string order); the ids themselves are unrelated to that order.
    order = np.lexsort((id_numbers, referral))
    participants = pd.DataFrame({
        "participant_id": pd.Series(ids[order], dtype=object),
        "region": _text(region_names, region[order]),
        "area": _text(area_labels, area[order]),
        "referral_date": _dates(referral[order]),
        "entry_date": _dates(entry[order]),
        "pathway": _text(config.PATHWAYS, custody[order].astype(np.int64)),
        "prison": _text(prison_labels, prison[order], missing=~custody[order]),
        "delivery_partner": _text(partner_labels, partner[order]),
        "gender": _text(list(GENDERS), gender[order]),
        "age_band": _text(list(AGE_BANDS), age_band[order]),
        "ethnicity": _text(ethnicity_labels, ethnicity[order]),
        "disability": _text(list(DISABILITY), disability[order]),
        "exit_date": _dates(exit_day[order]),
        "exit_reason": _text(EXIT_REASONS, exit_reason[order], missing=np.isnan(exit_day[order])),
        "caseworker": _text(caseworker_labels, caseworker[order]),
    })
    milestone_order = np.lexsort((m_type, m_day, id_numbers[m_pid]))
    milestones = pd.DataFrame({
        "participant_id": pd.Series(ids[m_pid[milestone_order]], dtype=object),
        "milestone": _text(MILESTONE_TYPES, m_type[milestone_order]),
        "date": _dates(m_day[milestone_order]),
        "partner": _text(partner_names, m_partner[milestone_order]),
    })

    targets = _targets(n, referral, entry, training_1, job_1, region_names)
    return DemoProgramme(
        participants=frames.conform_participants(participants),
        milestones=frames.conform_milestones(milestones),
        targets=frames.conform_targets(targets),
        extract_date=EXTRACT_DATE,
    )


def apportion(weights: np.ndarray, total: int) -> np.ndarray:
    """Whole numbers proportional to ``weights`` that add up to ``total`` exactly.

    The largest-remainder (Hamilton) method: each share's whole part, then one more
    to the shares with the largest fractional parts (ties to the earlier share)
    until the total is reached.

    Parameters
    ----------
    weights : numpy.ndarray
        Non-negative weights, not all zero (unless ``total`` is 0).
    total : int
        Non-negative total.

    Returns
    -------
    numpy.ndarray of int64
        Same length as ``weights``, summing to ``total``.

    Examples
    --------
    >>> apportion(np.array([1.0, 1.0, 1.0]), 10).tolist()
    [4, 3, 3]
    """
    weights = np.asarray(weights, dtype="float64")
    if total == 0 or weights.sum() == 0:
        return np.zeros(len(weights), dtype="int64")
    exact = weights / weights.sum() * total
    whole = np.floor(exact).astype("int64")
    short = int(total - whole.sum())
    # stable sort on the negated remainders: the largest first, ties in order
    whole[np.argsort(-(exact - whole), kind="stable")[:short]] += 1
    return whole


def _targets(n: int, referral: np.ndarray, entry: np.ndarray, training: np.ndarray,
             work: np.ndarray, region_names: list[str]) -> pd.DataFrame:
    """Monthly targets per region and measure for every contract month.

    The programme-wide monthly volume of each measure (3-month centred mean),
    lifted in the first months by a planned ramp-up faster than the actual one.
    The contract total of a measure is ``n`` for referrals (the contract's published
    total: 45,000 at the default size) and the planned volume's sum, rounded, for the
    others; it is apportioned exactly (:func:`apportion`) to the regions by
    :data:`REGION_SHARES`, and each region's total to its months by the planned
    volume, so the targets add up to the contract totals with no rounding drift.
    """
    n_months = (
        (config.CONTRACT_END.year - config.CONTRACT_START.year) * 12
        + config.CONTRACT_END.month - config.CONTRACT_START.month
    )
    month = np.arange(n_months)
    lift = 1.0 + 0.35 * np.exp(-month / 3.0)  # planned ramp-up ahead of the actual
    rows: list[pd.DataFrame] = []
    period = (_START.astype("datetime64[M]") + month).astype("datetime64[ns]")
    shares = np.array([REGION_SHARES[name] for name in region_names])
    for measure, days in ((REFERRED.name, referral), (ENTERED.name, entry),
                          (TRAINING.name, training), (WORK.name, work)):
        valid = days[~np.isnan(days)]
        volume = np.bincount(_month_index(valid), minlength=n_months)[:n_months].astype(float)
        smooth = pd.Series(volume).rolling(3, center=True, min_periods=1).mean().to_numpy()
        planned = smooth * lift
        total = n if measure == REFERRED.name else int(np.round(planned.sum()))
        for region_name, region_total in zip(region_names, apportion(shares, total), strict=True):
            rows.append(pd.DataFrame({
                "region": pd.Series([region_name] * n_months, dtype=object),
                "period_start": period,
                "measure": pd.Series([measure] * n_months, dtype=object),
                "target": apportion(planned, int(region_total)),
            }))
    return pd.concat(rows, ignore_index=True)


def build_demo_database(engine: sa.Engine, *, n_participants: int = DEFAULT_PARTICIPANTS,
                        seed: int = DEFAULT_SEED, replace_imported_data: bool = False) -> int:
    """Create the schema and load the demo programme into ``engine``'s database.

    The demo replaces only nothing or a demo: a database holding real data (imported, or
    of unknown origin: :attr:`ete_metrics.data.db.Holdings.real`) is refused unless
    ``replace_imported_data``. It is checked before anything is written, and again inside
    the write's transaction. The demo's import row records its origin
    (:data:`ete_metrics.data.db.DEMO_ORIGIN`), so the next build knows it for the demo.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The database to write to; an empty database, or one holding the demo, which is replaced.
    n_participants : int, default 45,000
        Number of referrals, passed to :func:`generate_demo`.
    seed : int, default 20210601
        Seed, passed to :func:`generate_demo`.
    replace_imported_data : bool, default False
        Replace real data too: every participant, milestone and target stored is deleted.

    Returns
    -------
    int
        The id of the demo's row in the import history.

    Raises
    ------
    RealDataError
        The database holds real data and ``replace_imported_data`` is False; nothing was
        changed (not even the schema).
    InputError
        When ``n_participants`` is invalid.
    DatabaseError
        When the database cannot be read or written (raised by :mod:`ete_metrics.data.db`).
    """
    from ete_metrics.data.db import DEMO_ORIGIN, create_schema, database_holdings, save_extract

    if not replace_imported_data:
        holdings = database_holdings(engine)  # before anything is made or written
        if holdings.real:
            raise RealDataError(holdings.refusal())
    programme = generate_demo(n_participants, seed)
    # The library never reads the clock: the demo is "imported" at midnight
    # after its extract date. The file fields say where the rows came from.
    source = f"demo programme (seed {seed}, {n_participants:,} referrals)"
    record: dict[str, Any] = {
        "imported_at": datetime.combine(programme.extract_date + timedelta(days=1), time()),
        "participants_file": f"{source}: participants",
        "milestones_file": f"{source}: milestones",
        "targets_file": f"{source}: targets",
        "extract_date": programme.extract_date,
        "origin": DEMO_ORIGIN,
    }
    create_schema(engine)
    return save_extract(
        engine,
        programme.participants,
        programme.milestones,
        programme.targets,
        replace_all=True,
        record=record,
        warnings=[],
        refuse_real=not replace_imported_data,
    )
