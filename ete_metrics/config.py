"""Programme configuration: regions, measures, contract dates, thresholds and palette.

Everything here is a setting, not logic. Values can be overridden without code
changes through environment variables where noted, so an analyst can point the
library at another contract without editing modules.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from ete_metrics.errors import ConfigError

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


# ---------------------------------------------------------------------------
# Import limits (shared by the command line and the dashboard's upload)
# ---------------------------------------------------------------------------

#: Largest extract file accepted, in MB (MiB). Override with ``ETE_MAX_UPLOAD_MB``; the
#: dashboard's ``server.maxUploadSize`` in ``.streamlit/config.toml`` should match.
DEFAULT_MAX_UPLOAD_MB: int = 50

#: Most data rows accepted in one extract file (blank lines are not rows).
#: Override with ``ETE_MAX_ROWS``.
DEFAULT_MAX_ROWS: int = 1_000_000

#: Most text in one cell of a known column; longer values are rejected (no field of the
#: extract format needs more, and a 10 MB "participant id" would end up in every message).
MAX_CELL_CHARS: int = 1_000

#: Longest pseudonymous ``participant_id`` (the database column is ``String(64)``).
MAX_ID_CHARS: int = 64

#: Most columns in an extract file (the format has about a dozen).
MAX_COLUMNS: int = 500

#: An ``.xlsx`` file is a zip archive: its unpacked parts may total at most this many
#: times :func:`max_upload_mb` (a guard against zip bombs).
XLSX_MAX_EXPANSION: int = 20
#: ...and never more than this many MB, whatever the size limit: a whole sheet of
#: 1,048,575 rows of the participants columns unpacks to about 650 MB (measured:
#: 623 bytes a row), so a bigger archive is not an extract (the command line's 2 GB
#: file limit would otherwise allow 40 GB of unpacking, minutes of work).
XLSX_MAX_UNPACKED_MB: int = 1_024


def _positive_int_setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip().replace("_", "").replace(",", "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigError(
            f"{name} is {os.environ.get(name)!r}; set it to a whole number above 0 "
            f"(the default is {default:,}) or unset it."
        )
    return value


#: Limits of an import run by an operator on the server (``python -m ete_metrics
#: import``): a whole contract's extract (a million participants, one and a half
#: million milestones, about 70 MB) must fit. The dashboard's uploads keep the
#: defaults above. Set for the duration of a call with :func:`command_line_limits`.
COMMAND_LINE_MAX_UPLOAD_MB: int = 2_048
COMMAND_LINE_MAX_ROWS: int = 20_000_000

_LIMITS: ContextVar[tuple[int, int] | None] = ContextVar("ete_import_limits", default=None)


@contextmanager
def command_line_limits() -> Iterator[None]:
    """Apply the command line's import limits inside a ``with`` block.

    ``ETE_MAX_UPLOAD_MB`` / ``ETE_MAX_ROWS`` still win when set; otherwise
    :data:`COMMAND_LINE_MAX_UPLOAD_MB` and :data:`COMMAND_LINE_MAX_ROWS` replace the
    upload defaults.

    Yields
    ------
    None
    """
    token = _LIMITS.set((COMMAND_LINE_MAX_UPLOAD_MB, COMMAND_LINE_MAX_ROWS))
    try:
        yield
    finally:
        _LIMITS.reset(token)


def max_upload_mb() -> int:
    """Return the largest extract file accepted, in MB (1 MB = 1,048,576 bytes).

    Returns
    -------
    int
        ``ETE_MAX_UPLOAD_MB`` when set, else :data:`DEFAULT_MAX_UPLOAD_MB`
        (:data:`COMMAND_LINE_MAX_UPLOAD_MB` inside :func:`command_line_limits`).

    Raises
    ------
    ConfigError
        ``ETE_MAX_UPLOAD_MB`` is not a whole number above 0.
    """
    limits = _LIMITS.get()
    default = DEFAULT_MAX_UPLOAD_MB if limits is None else limits[0]
    return _positive_int_setting("ETE_MAX_UPLOAD_MB", default)


def max_rows() -> int:
    """Return the most data rows accepted in one extract file.

    Returns
    -------
    int
        ``ETE_MAX_ROWS`` when set, else :data:`DEFAULT_MAX_ROWS`
        (:data:`COMMAND_LINE_MAX_ROWS` inside :func:`command_line_limits`).

    Raises
    ------
    ConfigError
        ``ETE_MAX_ROWS`` is not a whole number above 0.
    """
    limits = _LIMITS.get()
    default = DEFAULT_MAX_ROWS if limits is None else limits[1]
    return _positive_int_setting("ETE_MAX_ROWS", default)
