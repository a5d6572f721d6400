"""A user's pack: the one builder of ``python -m ete_metrics report`` and ``deliver``.

:func:`user_pack` loads what the user may see (their regions), and builds the report
for their audience in the formats asked for, setting part of the programme (a lead's
regions) against the programme's aggregate as the pages do. ``report --as-user EMAIL``
and a delivery to EMAIL both call it, so an emailed pack is the file ``report`` writes
for that user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from ete_metrics.protect.access import Access

if TYPE_CHECKING:
    from ete_metrics.present.report import ReportContent
    from ete_metrics.present.report.images import ChartBrowser
    from ete_metrics.progress import Progress

__all__ = ["UserPack", "user_pack"]


@dataclass(frozen=True)
class UserPack:
    """A user's report in one or more formats.

    Attributes
    ----------
    access : Access
        Whose pack.
    audience : str
        The audience it was built for.
    regions : tuple of str or None
        Its regions filter (None: every region the user may see).
    as_of : date
        The date its figures are as at.
    content : ReportContent
        Its figures and words (``summary``: the Overview's sentences on what changed).
    files : dict of str to bytes
        Each format's file, by format.
    """

    access: Access
    audience: str
    regions: tuple[str, ...] | None
    as_of: date
    content: ReportContent
    files: dict[str, bytes]


def user_pack(
    engine: Engine,
    access: Access,
    *,
    formats: Sequence[str],
    audience: str,
    regions: Sequence[str] | None = None,
    as_of: date | None = None,
    progress: Progress | None = None,
    browser: ChartBrowser | None = None,
) -> UserPack:
    """Build ``access``'s report from the database, in each of ``formats``.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    access : Access
        The user: only their regions' data are loaded.
    formats : sequence of str
        ``pdf``, ``pptx``, ``xlsx``, each once.
    audience : str
        The audience (a stakeholder's is ``stakeholder`` already: :meth:`Access.audience`).
    regions : sequence of str, optional
        The regions filter, already checked against the access
        (:meth:`Access.check_regions`); None or empty for all the user may see.
    as_of : date, optional
        Default: the data's cut-off.
    progress : Progress, optional
    browser : ChartBrowser, optional
        A browser started earlier for the charts (pptx, pdf).

    Returns
    -------
    UserPack

    Raises
    ------
    InputError
        The database holds nothing to report on (for the user), or bad input to a metric.
    DatabaseError, ConfigError
        As for the loads and :func:`ete_metrics.present.report.build_report`.
    """
    from ete_metrics.data.db import (
        data_cutoff,
        database_holdings,
        load_milestones,
        load_participants,
        load_targets,
    )
    from ete_metrics.errors import InputError
    from ete_metrics.present.report import build_report_pack
    from ete_metrics.present.report.content import part_of_programme, programme_funnel

    participants = load_participants(engine, regions=access.regions)
    milestones = load_milestones(engine, regions=access.regions)
    targets = load_targets(engine, regions=access.regions)
    as_of = as_of or data_cutoff(engine)
    if participants.empty or as_of is None:
        raise InputError(f"Nothing to report. {database_holdings(engine).no_participants()}")
    programme = None
    if access.regions is not None and part_of_programme(regions or access.regions):
        # a lead's data hold their regions: the programme's aggregate (every region's
        # people, totals per step only) is what their regions are set against
        programme = programme_funnel(
            load_participants(engine), load_milestones(engine), as_of=as_of
        )
    pack = build_report_pack(
        participants,
        milestones,
        targets,
        formats=tuple(formats),
        as_of=as_of,
        audience=audience,
        regions=tuple(regions) if regions else None,
        progress=progress,
        browser=browser,
        programme=programme,
    )
    return UserPack(
        access=access,
        audience=audience,
        regions=tuple(regions) if regions else None,
        as_of=as_of,
        content=pack.content,
        files=pack.files,
    )
