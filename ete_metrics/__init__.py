"""ete_metrics: the numbers behind the ETE Outcomes dashboard.

A library an analyst can use from a notebook: functions take participants and
milestones DataFrames and an explicit ``as_of`` date, and return new tidy
DataFrames. The public API is re-exported here.
"""

from __future__ import annotations

__all__: list[str] = []
