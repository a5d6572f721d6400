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
from typing import Any

#: The public names, once: each room and the names it hands to the face. The face
#: imports nothing up front: a name's room is imported on first use (``__getattr__``),
#: so ``python -m ete_metrics funnel`` does not pay for Plotly or the report libraries
#: it never touches. A name that is a module of its room (``db``) is that module.
#: Nothing type-checked imports through the face (the app and the CLI import each room
#: directly), so mypy needs no second, static list; a notebook gets the objects.
_ROOMS: dict[str, tuple[str, ...]] = {
    "ete_metrics.errors": (
        "ConfigError", "DatabaseError", "EteError", "ImportValidationError", "InputError", "Problem",
        "RealDataError",
    ),
    "ete_metrics.counting.filters": ("filter_participants", "milestones_for"),
    "ete_metrics.counting.scope": ("Scope",),
    "ete_metrics.counting.intervals": ("wilson_interval",),
    "ete_metrics.counting.survival": ("kaplan_meier",),
    "ete_metrics.data": ("db",),
    "ete_metrics.data.demo": ("build_demo_database", "DemoProgramme", "generate_demo"),
    "ete_metrics.data.importer": ("import_extract", "read_extract"),
    "ete_metrics.data.quality": ("data_quality",),
    "ete_metrics.metrics.activity": ("follow_up_list", "monthly_activity"),
    "ete_metrics.metrics.cohorts": ("cohort_curves", "cumulative_incidence"),
    "ete_metrics.metrics.comparison": ("compare_funnel", "compare_groups", "funnel_limits"),
    "ete_metrics.metrics.equality": ("equality",),
    "ete_metrics.metrics.funnel": ("funnel", "referral_funnel"),
    "ete_metrics.metrics.partners": ("delivery_partners", "employers", "prisons", "training_providers"),
    "ete_metrics.metrics.review": ("month_comparison", "rag_table"),
    "ete_metrics.metrics.targets": ("target_summary", "targets_vs_actual"),
    "ete_metrics.metrics.time_to_outcome": ("time_to_outcome",),
    "ete_metrics.protect.access": ("Access", "read_access_file", "restrict_frames"),
    "ete_metrics.protect.audience": ("present_view", "protect_view"),
    "ete_metrics.protect.disclosure": (
        "find_disclosive_counts", "numeric_view", "protect_crosstab", "protect_rates", "protect_table",
        "round_to_base", "STAKEHOLDER_NOTE", "SUPPRESSED",
    ),
    "ete_metrics.protect.safe_export": ("neutralise_frame",),
    "ete_metrics.present.narrative": ("narrative",),
    "ete_metrics.present.report": ("build_report", "report_content"),
}

#: Where each public name lives (name -> room), read by ``__getattr__``.
_PUBLIC: dict[str, str] = {name: room for room, names in _ROOMS.items() for name in names}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    """Import a public name from its room on first use (``ete_metrics.funnel``, ...)."""
    room = _PUBLIC.get(name)
    if room is None:
        raise AttributeError(f"module 'ete_metrics' has no attribute {name!r}")
    imported = importlib.import_module(room)
    try:
        value = getattr(imported, name)
    except AttributeError:  # a module of the room, not yet imported (``db``)
        value = importlib.import_module(f"{room}.{name}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
