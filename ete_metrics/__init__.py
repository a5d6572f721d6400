"""ete_metrics: the numbers behind the ETE Outcomes dashboard.

A library an analyst can use from a notebook: functions take participants and
milestones DataFrames (the import format, :mod:`ete_metrics.data.frames`) and an
explicit ``as_of`` date, and return new tidy DataFrames. They never mutate their
inputs or read the clock. Chart builders live in :mod:`ete_metrics.present.charts`; the
database in :mod:`ete_metrics.data.db`.

Examples
--------
>>> from datetime import date
>>> from ete_metrics import db, funnel
>>> engine = db.make_engine()  # doctest: +SKIP
>>> funnel(db.load_participants(engine), db.load_milestones(engine),
...        as_of=date(2023, 8, 16), by=["region"])  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ete_metrics.counting.filters import filter_participants, milestones_for
from ete_metrics.counting.intervals import wilson_interval
from ete_metrics.counting.survival import kaplan_meier
from ete_metrics.data import db
from ete_metrics.data.demo import DemoProgramme, build_demo_database, generate_demo
from ete_metrics.data.importer import import_extract, read_extract
from ete_metrics.data.quality import data_quality
from ete_metrics.errors import (
    ConfigError,
    DatabaseError,
    EteError,
    ImportValidationError,
    InputError,
    Problem,
)
from ete_metrics.metrics.activity import follow_up_list, monthly_activity
from ete_metrics.metrics.cohorts import cohort_curves, cumulative_incidence
from ete_metrics.metrics.comparison import compare_funnel, compare_groups, funnel_limits
from ete_metrics.metrics.equality import equality
from ete_metrics.metrics.funnel import funnel, referral_funnel
from ete_metrics.metrics.partners import delivery_partners, employers, prisons, training_providers
from ete_metrics.metrics.targets import target_summary, targets_vs_actual
from ete_metrics.metrics.time_to_outcome import time_to_outcome
from ete_metrics.protect.access import Access, read_access_file, restrict_frames
from ete_metrics.protect.audience import present_view, protect_view
from ete_metrics.protect.disclosure import (
    STAKEHOLDER_NOTE,
    SUPPRESSED,
    find_disclosive_counts,
    numeric_view,
    protect_crosstab,
    protect_rates,
    protect_table,
    round_to_base,
)
from ete_metrics.protect.safe_export import neutralise_frame

__all__ = [
    "STAKEHOLDER_NOTE",
    "SUPPRESSED",
    "Access",
    "ConfigError",
    "DatabaseError",
    "DemoProgramme",
    "EteError",
    "ImportValidationError",
    "InputError",
    "Problem",
    "build_demo_database",
    "build_report",
    "cohort_curves",
    "compare_funnel",
    "compare_groups",
    "cumulative_incidence",
    "data_quality",
    "db",
    "delivery_partners",
    "employers",
    "equality",
    "filter_participants",
    "find_disclosive_counts",
    "follow_up_list",
    "funnel",
    "funnel_limits",
    "generate_demo",
    "import_extract",
    "kaplan_meier",
    "milestones_for",
    "monthly_activity",
    "neutralise_frame",
    "numeric_view",
    "present_view",
    "prisons",
    "protect_crosstab",
    "protect_rates",
    "protect_table",
    "protect_view",
    "read_access_file",
    "read_extract",
    "referral_funnel",
    "restrict_frames",
    "report_content",
    "round_to_base",
    "target_summary",
    "targets_vs_actual",
    "time_to_outcome",
    "training_providers",
    "wilson_interval",
]

if TYPE_CHECKING:  # for type checkers; at run time see __getattr__ below
    from ete_metrics.present.report import build_report, report_content

#: Report builders, imported on first use: they bring in Plotly, python-pptx and
#: reportlab, which plain metric work does not need.
_LAZY = {"build_report": "ete_metrics.present.report", "report_content": "ete_metrics.present.report"}


def __getattr__(name: str) -> object:
    """Import the report API (:func:`build_report`, :func:`report_content`) on first use."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ete_metrics' has no attribute {name!r}")
