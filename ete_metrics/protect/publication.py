"""Publication sets: every view published together, protected together.

A page, a report pack or a command-line call publishes several views of the
same people at once (the headline, by region, the areas of one region, now and
a month earlier...). A reader holds all of them, so disclosure control has to
hold across all of them. A :class:`Part` is one published table: the true
frame, its :class:`ete_metrics.views.View`, and what ties its cells to the
cells of the other parts (its moment, the filters it was drawn under, which
funnel step each count column is). :func:`publish` protects a list of parts
for an audience.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ete_metrics.protect.audience import INTERNAL, check_audience, protect_view
from ete_metrics.views import View, view_named

__all__ = ["NOW", "Part", "publish"]

#: The moment of a part published "as at" the publication's date.
NOW = "now"


@dataclass(frozen=True)
class Part:
    """One table of a publication.

    Attributes
    ----------
    frame : pandas.DataFrame
        The view as computed (true counts). Not modified.
    view : View or str
        How it is protected (:mod:`ete_metrics.views`).
    moment : str, default :data:`NOW`
        Parts with the same moment count the same people at the same date
        (``"a month earlier"`` for the comparison figures).
    within : mapping of str to str
        The filters the frame was computed under, e.g. ``{"region": "Wales"}`` for
        the areas of Wales: its cells are parts of that region's cells.
    measures : mapping of str to str
        The funnel step each count column counts, where the view does not name it
        in a ``step`` column, e.g. ``{"entered": "entered", "participants": "work"}``
        for a comparison of work. Columns not named here are the view's own.
    """

    frame: pd.DataFrame
    view: View | str
    moment: str = NOW
    within: Mapping[str, str] = field(default_factory=dict)
    measures: Mapping[str, str] = field(default_factory=dict)

    @property
    def spec(self) -> View:
        """The :class:`View` itself."""
        return view_named(self.view)


def publish(parts: Sequence[Part], audience: str) -> list[pd.DataFrame]:
    """Every part as ``audience`` sees it, in order.

    Parameters
    ----------
    parts : sequence of Part
        Everything published together (one page, one pack, one command).
    audience : {"internal", "stakeholder"}

    Returns
    -------
    list of pandas.DataFrame
        The internal audience gets each frame unchanged.
    """
    if check_audience(audience) == INTERNAL:
        return [part.frame for part in parts]
    return [protect_view(part.frame, part.spec) for part in parts]
