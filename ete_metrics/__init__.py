"""ete_metrics: the numbers behind the ETE Outcomes dashboard.

A library an analyst can use from a notebook: the metrics take a :class:`Scope` (the
participants and milestones DataFrames in the import format, :mod:`ete_metrics.data.frames`,
an explicit ``as_of`` date, the entry range and the window) and return new tidy
DataFrames. They never mutate their
inputs or read the clock. Chart builders live in :mod:`ete_metrics.present.charts`; the
database in :mod:`ete_metrics.data.db`.

Examples
--------
>>> from datetime import date
>>> from ete_metrics import Scope, db, funnel
>>> engine = db.make_engine()  # doctest: +SKIP
>>> scope = Scope(db.load_participants(engine), db.load_milestones(engine),
...               as_of=date(2023, 8, 16))  # doctest: +SKIP
>>> funnel(scope, by=["region"])  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    "RealDataError",
    "Scope",
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
    "month_comparison",
    "narrative",
    "neutralise_frame",
    "numeric_view",
    "present_view",
    "prisons",
    "protect_crosstab",
    "protect_rates",
    "protect_table",
    "protect_view",
    "rag_table",
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

#: Where each public name lives. The face imports nothing up front: a name's room is
#: imported on first use, so ``python -m ete_metrics funnel`` does not pay for Plotly or
#: the report libraries it never touches.
_PUBLIC: dict[str, str] = {
    "Access": "ete_metrics.protect.access",
    "build_demo_database": "ete_metrics.data.demo",
    "build_report": "ete_metrics.present.report",
    "cohort_curves": "ete_metrics.metrics.cohorts",
    "compare_funnel": "ete_metrics.metrics.comparison",
    "compare_groups": "ete_metrics.metrics.comparison",
    "ConfigError": "ete_metrics.errors",
    "cumulative_incidence": "ete_metrics.metrics.cohorts",
    "data_quality": "ete_metrics.data.quality",
    "DatabaseError": "ete_metrics.errors",
    "db": "ete_metrics.data.db",
    "delivery_partners": "ete_metrics.metrics.partners",
    "DemoProgramme": "ete_metrics.data.demo",
    "employers": "ete_metrics.metrics.partners",
    "equality": "ete_metrics.metrics.equality",
    "EteError": "ete_metrics.errors",
    "filter_participants": "ete_metrics.counting.filters",
    "find_disclosive_counts": "ete_metrics.protect.disclosure",
    "follow_up_list": "ete_metrics.metrics.activity",
    "funnel": "ete_metrics.metrics.funnel",
    "funnel_limits": "ete_metrics.metrics.comparison",
    "generate_demo": "ete_metrics.data.demo",
    "import_extract": "ete_metrics.data.importer",
    "ImportValidationError": "ete_metrics.errors",
    "InputError": "ete_metrics.errors",
    "kaplan_meier": "ete_metrics.counting.survival",
    "milestones_for": "ete_metrics.counting.filters",
    "monthly_activity": "ete_metrics.metrics.activity",
    "neutralise_frame": "ete_metrics.protect.safe_export",
    "numeric_view": "ete_metrics.protect.disclosure",
    "present_view": "ete_metrics.protect.audience",
    "prisons": "ete_metrics.metrics.partners",
    "Problem": "ete_metrics.errors",
    "RealDataError": "ete_metrics.errors",
    "Scope": "ete_metrics.counting.scope",
    "protect_crosstab": "ete_metrics.protect.disclosure",
    "protect_rates": "ete_metrics.protect.disclosure",
    "protect_table": "ete_metrics.protect.disclosure",
    "protect_view": "ete_metrics.protect.audience",
    "month_comparison": "ete_metrics.metrics.review",
    "narrative": "ete_metrics.present.narrative",
    "rag_table": "ete_metrics.metrics.review",
    "read_access_file": "ete_metrics.protect.access",
    "read_extract": "ete_metrics.data.importer",
    "referral_funnel": "ete_metrics.metrics.funnel",
    "report_content": "ete_metrics.present.report",
    "restrict_frames": "ete_metrics.protect.access",
    "round_to_base": "ete_metrics.protect.disclosure",
    "STAKEHOLDER_NOTE": "ete_metrics.protect.disclosure",
    "SUPPRESSED": "ete_metrics.protect.disclosure",
    "target_summary": "ete_metrics.metrics.targets",
    "targets_vs_actual": "ete_metrics.metrics.targets",
    "time_to_outcome": "ete_metrics.metrics.time_to_outcome",
    "training_providers": "ete_metrics.metrics.partners",
    "wilson_interval": "ete_metrics.counting.intervals",
}

#: Public names that are modules themselves (``from ete_metrics import db``).
_MODULES = frozenset({"db"})

if TYPE_CHECKING:  # for type checkers and IDEs; at run time see __getattr__
    from ete_metrics.counting.filters import filter_participants, milestones_for
    from ete_metrics.counting.intervals import wilson_interval
    from ete_metrics.counting.scope import Scope
    from ete_metrics.counting.survival import kaplan_meier
    from ete_metrics.data import db as db
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
        RealDataError,
    )
    from ete_metrics.metrics.activity import follow_up_list, monthly_activity
    from ete_metrics.metrics.cohorts import cohort_curves, cumulative_incidence
    from ete_metrics.metrics.comparison import compare_funnel, compare_groups, funnel_limits
    from ete_metrics.metrics.equality import equality
    from ete_metrics.metrics.funnel import funnel, referral_funnel
    from ete_metrics.metrics.partners import (
        delivery_partners,
        employers,
        prisons,
        training_providers,
    )
    from ete_metrics.metrics.review import month_comparison, rag_table
    from ete_metrics.metrics.targets import target_summary, targets_vs_actual
    from ete_metrics.metrics.time_to_outcome import time_to_outcome
    from ete_metrics.present.narrative import narrative
    from ete_metrics.present.report import build_report, report_content
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


def __getattr__(name: str) -> Any:
    """Import a public name from its room on first use (``ete_metrics.funnel``, ...)."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'ete_metrics' has no attribute {name!r}")
    imported = importlib.import_module(module)
    value = imported if name in _MODULES else getattr(imported, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
