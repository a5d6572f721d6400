"""ete_metrics: the numbers behind the ETE Outcomes dashboard.

A library an analyst can use from a notebook: functions take participants and
milestones DataFrames (the import format, :mod:`ete_metrics.frames`) and an
explicit ``as_of`` date, and return new tidy DataFrames. They never mutate their
inputs or read the clock. Chart builders live in :mod:`ete_metrics.charts`; the
database in :mod:`ete_metrics.db`.

Examples
--------
>>> from datetime import date
>>> from ete_metrics import db, funnel
>>> engine = db.make_engine()  # doctest: +SKIP
>>> funnel(db.load_participants(engine), db.load_milestones(engine),
...        as_of=date(2023, 8, 16), by=["region"])  # doctest: +SKIP
"""

from __future__ import annotations

from ete_metrics import db
from ete_metrics.activity import follow_up_list, monthly_activity
from ete_metrics.cohorts import cohort_curves, cumulative_incidence
from ete_metrics.comparison import compare_groups, funnel_limits
from ete_metrics.demo import DemoProgramme, build_demo_database, generate_demo
from ete_metrics.disclosure import (
    STAKEHOLDER_NOTE,
    SUPPRESSED,
    find_disclosive_counts,
    numeric_view,
    protect_crosstab,
    protect_rates,
    protect_table,
    round_to_base,
)
from ete_metrics.equality import equality
from ete_metrics.errors import (
    ConfigError,
    DatabaseError,
    EteError,
    ImportValidationError,
    InputError,
    Problem,
)
from ete_metrics.filters import filter_participants, milestones_for
from ete_metrics.funnel import funnel, referral_funnel
from ete_metrics.importer import import_extract, read_extract
from ete_metrics.intervals import wilson_interval
from ete_metrics.partners import delivery_partners, employers, prisons, training_providers
from ete_metrics.quality import data_quality
from ete_metrics.survival import kaplan_meier
from ete_metrics.targets import target_summary, targets_vs_actual
from ete_metrics.time_to_outcome import time_to_outcome

__all__ = [
    "STAKEHOLDER_NOTE",
    "SUPPRESSED",
    "ConfigError",
    "DatabaseError",
    "DemoProgramme",
    "EteError",
    "ImportValidationError",
    "InputError",
    "Problem",
    "build_demo_database",
    "cohort_curves",
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
    "numeric_view",
    "prisons",
    "protect_crosstab",
    "protect_rates",
    "protect_table",
    "read_extract",
    "referral_funnel",
    "round_to_base",
    "target_summary",
    "targets_vs_actual",
    "time_to_outcome",
    "training_providers",
    "wilson_interval",
]
