"""Programme configuration: regions, measures, contract dates, thresholds and palette.

Everything here is a setting, not logic. Values can be overridden without code
changes through environment variables where noted, so an analyst can point the
library at another contract without editing modules.
"""

from __future__ import annotations

import os
from datetime import date

#: The contract regions, in canonical spelling. Override with ``ETE_REGIONS``
#: (a comma-separated list) for another contract.
DEFAULT_REGIONS: tuple[str, ...] = ("London", "North West", "West Midlands", "Wales")


def regions() -> tuple[str, ...]:
    """Return the configured contract regions in canonical spelling.

    Returns
    -------
    tuple of str
        ``ETE_REGIONS`` split on commas when set, otherwise :data:`DEFAULT_REGIONS`.
    """
    raw = os.environ.get("ETE_REGIONS", "").strip()
    if not raw:
        return DEFAULT_REGIONS
    return tuple(part.strip() for part in raw.split(",") if part.strip())


#: Milestone types recorded by caseworkers.
MILESTONES: tuple[str, ...] = (
    "training_start",
    "training_completed",
    "job_start",
    "job_sustained",
)

#: Measures that carry contract targets.
MEASURES: tuple[str, ...] = ("referred", "entered", "training", "work")

#: Programme pathways.
PATHWAYS: tuple[str, ...] = ("community", "custody")

#: Contract start and end (the day after the last contract day).
CONTRACT_START: date = date(2021, 6, 1)
CONTRACT_END: date = date(2024, 6, 1)

#: Date of the provider's published figures the demo is calibrated to.
PUBLISHED_AS_OF: date = date(2023, 8, 16)
PUBLISHED_ENTERED: int = 10_000
PUBLISHED_TRAINING: int = 3_800
PUBLISHED_WORK: int = 1_800

#: RAG thresholds on percent of target achieved (fractions).
RAG_GREEN_FROM: float = 1.00
RAG_AMBER_FROM: float = 0.86

#: The Government Analysis Function's accessible categorical palette.
PALETTE: tuple[str, ...] = (
    "#12436D",  # dark blue
    "#28A197",  # turquoise
    "#801650",  # dark pink
    "#F46A25",  # orange
    "#3D3D3D",  # dark grey
    "#A285D1",  # light purple
)

#: Disclosure control for stakeholder outputs.
SUPPRESS_BELOW: int = 5  # counts 1..SUPPRESS_BELOW-1 are suppressed
ROUND_TO: int = 5
MIN_GROUP_FOR_RATE: int = 10

#: Columns a participant can be grouped by, besides the entry cohorts.
GROUPING_COLUMNS: tuple[str, ...] = (
    "region",
    "area",
    "pathway",
    "delivery_partner",
    "prison",
    "gender",
    "age_band",
    "ethnicity",
    "disability",
)

#: Cohort keys derived from ``entry_date``.
COHORT_COLUMNS: tuple[str, ...] = ("entry_month", "entry_quarter", "entry_fy")

#: Default database when neither ``--db`` nor ``ETE_DATABASE_URL`` is given.
DEFAULT_DATABASE_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "ete.db"
)


def database_url(explicit: str | None = None) -> str:
    """Resolve the database URL.

    Parameters
    ----------
    explicit : str, optional
        A URL given on the command line (``--db``); wins when set.

    Returns
    -------
    str
        ``explicit``, else ``ETE_DATABASE_URL``, else the SQLite file ``data/ete.db``.
    """
    if explicit:
        return explicit
    env = os.environ.get("ETE_DATABASE_URL", "").strip()
    if env:
        return env
    return f"sqlite:///{DEFAULT_DATABASE_PATH}"
