"""The invariance test's machinery: every stakeholder surface of a programme, cell by cell.

Issue 25 item 2. A stakeholder learns nothing the published counts do not tell if, for two
programmes whose published counts are all the same, every stakeholder surface is the same,
value for value. This module

- lists the surfaces from the registries, not by hand: every view of
  :data:`ete_metrics.views.VIEWS` a stakeholder may get (:func:`view_surfaces`, by scope),
  every publication set of :data:`ete_metrics.views.PUBLICATIONS` protected together
  (:func:`publication_surfaces`), the pooled totals the pooled rates are published from,
  every metric command of the CLI's parser run as a stakeholder of an access file
  (:func:`cli_surfaces`), every sheet of the stakeholder workbook (:func:`workbook_surfaces`);
  the pages (``app_pages/``) and the deck and PDF are read in ``tests/test_invariance_pages.py``;
- splits each surface's cells into *counts* (a column every view declares a count of people,
  by name or heading) and everything else (:func:`split`);
- searches with hypothesis (every choice of a change is a hypothesis draw) for small
  perturbations of a programme (a milestone
  more or less, a date moved, a person more or less) that leave every published count of
  every surface unchanged (:func:`find_perturbations`); on those, every other cell must be
  unchanged too (:func:`moved`).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as hst
from hypothesis.errors import NoSuchExample

from ete_metrics import views
from ete_metrics.counting.scope import Scope
from ete_metrics.steps import TRAINING, WORK
from ete_metrics.views import PUBLICATIONS, VIEWS

AS_OF = "2023-08-16"
#: The day the programme is counted a month earlier (the differencing an intruder would do).
MONTH_EARLIER = "2023-07-16"
#: The small synthetic programme the perturbations are made to (referrals).
SIZE = 1_200
STAKEHOLDER = "partner@example.org"
ACCESS_FILE = f'[users."{STAKEHOLDER}"]\nrole = "stakeholder"\n'

Programme = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
#: A surface: a table of cells as text (its columns named as the surface names them).
Surfaces = dict[str, pd.DataFrame]


# --------------------------------------------------------------------------- counts


def _count_columns() -> frozenset[str]:
    """Every column some view declares a count of people (by name and by heading)."""
    names: set[str] = set()
    republished = getattr(views, "Republished", None)
    for view in VIEWS.values():
        own = [*view.counts, *getattr(view, "scoped", {})]
        for column, rule in getattr(view, "columns", {}).items():
            if republished is not None and isinstance(rule, republished):
                source = VIEWS[rule.view].rule(rule.column)
                if isinstance(source, views.Count):
                    own.append(column)
        for column in own:
            if any(c in column for c in "*?["):
                continue
            names.update({column, views.heading(column), view.heading(column)})
    return frozenset(names)


COUNTS = _count_columns()


def is_count(column: str) -> bool:
    """A column of counts of people (``"People #2"``: the second column headed so)."""
    return str(column).split(" #")[0] in COUNTS


def unique(headings: list[str]) -> list[str]:
    """Headings made unique: a repeated one gets `` #2``, `` #3``..."""
    seen: dict[str, int] = {}
    out = []
    for h in headings:
        seen[h] = seen.get(h, 0) + 1
        out.append(h if seen[h] == 1 else f"{h} #{seen[h]}")
    return out


# --------------------------------------------------------------------------- the programme


def programme(size: int = SIZE) -> Programme:
    from ete_metrics.data.demo import generate_demo

    demo = generate_demo(n_participants=size)
    return demo.participants, demo.milestones, demo.targets


def scopes(p: pd.DataFrame) -> list[str | None]:
    """All regions, then the smallest region (the most small groups)."""
    sizes = p["region"].value_counts()
    return [None, str(sizes.sort_values(kind="stable").index[0])]


def _in_scope(prog: Programme, region: str | None) -> Programme:
    p, m, t = prog
    if region is None:
        return prog
    people = p.loc[p["region"] == region]
    return people, m.loc[m["participant_id"].isin(people["participant_id"])], t.loc[t["region"] == region]


@functools.cache
def _base_engagement(size: int = SIZE) -> pd.DataFrame:
    """The demo's engagement of the base programme, drawn once."""
    from ete_metrics.data.demo import EXTRACT_DATE, DemoProgramme, generate_engagement

    p, m, t = programme(size)
    return generate_engagement(DemoProgramme(p, m, t, EXTRACT_DATE))


def engagement_of(prog: Programme) -> pd.DataFrame:
    """The engagement of a programme: each referral's row of the base programme's engagement,
    following the person (a person dropped takes their row away, a person copied gets a copy
    under the new id), so a change of one person changes that person's row alone."""
    p = prog[0]
    base = _base_engagement().set_index("participant_id", drop=False)
    ids = p["participant_id"].astype(str)
    known = ids[ids.isin(base.index)]
    rows = base.loc[known.tolist()].reset_index(drop=True)
    copies = p.loc[~ids.isin(base.index)]
    if len(copies):  # a copied person: the row of the person they were copied from
        sources = base.iloc[np.arange(len(copies)) % max(len(base), 1)].copy()
        sources["participant_id"] = copies["participant_id"].astype(str).to_numpy()
        sources["referral_id"] = "R" + sources["participant_id"].str.slice(1)
        rows = pd.concat([rows, sources.reset_index(drop=True)], ignore_index=True)
    people = p.set_index(p["participant_id"].astype(str))
    for column in ("region", "delivery_partner", "pathway", "referral_date"):
        rows[column] = people.loc[rows["participant_id"], column].to_numpy()
    return rows


# --------------------------------------------------------------------------- views


Producer = Callable[[], pd.DataFrame]


def producers(prog: Programme, as_of: str = AS_OF) -> dict[str, Producer | list[Producer] | None]:
    """How each registered view's frame is made from a programme (as ``tests/test_views.py``;
    a list: several tables of the view); None for a view laid out from published tables or
    made of an import's rows."""
    from ete_metrics.data.quality import data_quality
    from ete_metrics.metrics.activity import follow_up_list, monthly_activity
    from ete_metrics.metrics.cohorts import cohort_curves, cumulative_incidence
    from ete_metrics.metrics.comparison import compare_within_regions, programme_benchmark
    from ete_metrics.metrics.engagement import engagement_summary
    from ete_metrics.metrics.equality import equality
    from ete_metrics.metrics.exits import exits
    from ete_metrics.metrics.forecast import forecast_to_end, probability_of_reaching
    from ete_metrics.metrics.funnel import funnel, referral_funnel
    from ete_metrics.metrics.partners import employers, training_providers
    from ete_metrics.metrics.review import month_comparison, rag_table
    from ete_metrics.metrics.standardised import compare_adjusted, standardised_ratios
    from ete_metrics.metrics.targets import target_summary, targets_vs_actual
    from ete_metrics.metrics.time_to_outcome import time_to_outcome

    p, m, t = prog
    first = sorted(p["region"].dropna().unique())[0]
    part = p.loc[p["region"] == first]

    def monthly() -> pd.DataFrame:
        return targets_vs_actual(Scope(p, m, as_of=as_of), t, period="month")

    def forecast() -> pd.DataFrame:
        return forecast_to_end(Scope(p, m, as_of=as_of))

    return {
        "funnel": lambda: funnel(Scope(p, m, as_of=as_of), by=["region", "delivery_partner"]),
        "referral_funnel": lambda: referral_funnel(Scope(p, m, as_of=as_of), by="region"),
        "activity": lambda: monthly_activity(Scope(p, m, as_of=as_of)),
        "targets": monthly,
        "target_summary": lambda: target_summary(Scope(p, m, as_of=as_of), t),
        "rag_table": lambda: rag_table(target_summary(Scope(p, m, as_of=as_of), t)),
        "month_comparison": lambda: month_comparison(monthly(), t, as_of=as_of),
        "compare": lambda: compare_adjusted(Scope(p, m, as_of=as_of), by="region"),
        # every partner against its region and the programme, for each step compared, and
        # a region's partners alone (a regional lead's page shown to a stakeholder)
        "partner_regions": [
            *(lambda step=step: compare_within_regions(  # type: ignore[misc]
                funnel(Scope(p, m, as_of=as_of), by=["delivery_partner", "region"]), step=step,
                programme=funnel(Scope(p, m, as_of=as_of))) for step in (WORK.name, TRAINING.name)),
            lambda: compare_within_regions(funnel(Scope(part, m, as_of=as_of), by=["delivery_partner", "region"]),
                                           programme=funnel(Scope(p, m, as_of=as_of)))],
        "benchmark": lambda: programme_benchmark(funnel(Scope(part, m, as_of=as_of)), funnel(Scope(p, m, as_of=as_of))),
        "standardised": lambda: standardised_ratios(Scope(p, m, as_of=as_of), by="region"),
        "forecast": forecast,
        "target_probability": lambda: probability_of_reaching(forecast(), t),
        "equality": lambda: equality(Scope(p, m, as_of=as_of)),
        "cohort_curves": lambda: cohort_curves(Scope(p, m, as_of=as_of), cohort="entry_quarter"),
        "incidence": lambda: cumulative_incidence(Scope(p, m, as_of=as_of)),
        "time_to_outcome": lambda: time_to_outcome(Scope(p, m, as_of=as_of), by="region"),
        "training_providers": lambda: training_providers(Scope(p, m, as_of=as_of)),
        "employers": lambda: employers(Scope(p, m, as_of=as_of)),
        "data_quality": lambda: data_quality(p, m, as_of=as_of),
        "follow_up": lambda: follow_up_list(Scope(p, m, as_of=as_of), days=90),
        "engagement_summary": [
            lambda: engagement_summary(engagement_of(prog), as_of, by="region"),
            lambda: engagement_summary(engagement_of(prog), as_of, by=["pathway", "delivery_partner"]),
        ],
        "exits": lambda: exits(engagement_of(prog), as_of, milestones=m, by="region"),
        "headline": None, "partner_steps": None, "cohort_heatmap": None, "cohort_summary": None,
        "import_history": None, "import_checks": None,
    }


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame's cells as the text a reader (or a file) gets, index dropped."""
    out = frame.reset_index(drop=True).copy()
    out.columns = [str(c) for c in out.columns]
    return out.astype(object).map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else (
        repr(float(v)) if isinstance(v, (float, np.floating)) else str(v)))


def _variants(make: Producer | list[Producer] | None) -> list[Producer]:
    return [] if make is None else make if isinstance(make, list) else [make]


def _stakeholder_views(made: Mapping[str, Producer | list[Producer] | None]) -> Iterator[tuple[str, Any, pd.DataFrame]]:
    for name, make in made.items():
        view = VIEWS[name]
        if view.internal_only or getattr(view, "composite", False):
            continue
        variants = _variants(make)
        for k, variant in enumerate(variants, start=1):
            yield name if len(variants) == 1 else f"{name} #{k}", view, variant()


def view_surfaces(prog: Programme, as_of: str = AS_OF, label: str = "") -> Iterator[tuple[str, pd.DataFrame]]:
    """Every view a stakeholder may get, protected on its own (``protect_view``), for every
    scope (all regions, each region), and the totals its pooled rates are published from."""
    from ete_metrics.protect.audience import protect_view

    for region in scopes(prog[0]):
        scoped = _in_scope(prog, region)
        where = f"view{label}[{region or 'all regions'}]"
        for name, view, frame in _stakeholder_views(producers(scoped, as_of)):
            yield f"{where} {name}", _text(protect_view(frame, view))
            pooled = _pooled(frame, view)
            if pooled is not None:
                yield f"{where} {name} pooled totals", pooled


def _pooled(frame: pd.DataFrame, view: Any) -> pd.DataFrame | None:
    """The published totals of the view's pooled rates (counts), where it has any."""
    try:
        from ete_metrics.protect.policy import pooled_totals
    except ImportError:  # the code before issue 25 had no pooled totals
        return None
    rules = {c: r for c, r in getattr(view, "columns", {}).items() if isinstance(r, views.Pooled)}
    if not rules:
        return None
    rows = []
    for column, rule in rules.items():
        for of, totals in zip(("numerator", "denominator"), pooled_totals(frame, rule), strict=True):
            rows += [{"rate": column, "total of": of, "row": str(i), "participants": v}
                     for i, v in enumerate(totals)]
    return _text(pd.DataFrame(rows))


def publication_surfaces(prog: Programme, as_of: str = AS_OF) -> Iterator[tuple[str, pd.DataFrame]]:
    """Every publication set, its tables made by the views' producers and protected
    together (``parts_of`` + ``publish``), for the chosen step work, within the first region
    and the custody pathway where a table is drawn within one."""
    from ete_metrics.protect.publication import parts_of, publish

    made = producers(prog, as_of)
    within = {"region": sorted(prog[0]["region"].dropna().unique())[0], "pathway": "custody"}
    for name, tables in PUBLICATIONS.items():
        frames = {}
        for table, published in tables.items():
            make = _variants(made.get(published.view.name))
            if make and not published.view.internal_only:
                frames[table] = make[0]()
        parts = parts_of(name, frames, step=WORK.name, within=within)
        for table, shown in zip(parts, publish(list(parts.values()), "stakeholder"), strict=True):
            yield f"publication {name}/{table}", _text(shown)


# --------------------------------------------------------------------------- the CLI


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    from ete_metrics.cli import build_parser

    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def cli_commands() -> list[list[str]]:
    """Every metric command a stakeholder may run (those taking ``--as-user`` and ``--format
    csv``), as it is and with each choice of each option and each switch on its own."""
    commands: list[list[str]] = []
    for command, parser in _subcommands().items():
        actions = {a.dest: a for a in parser._actions}
        if "as_user" not in actions or "csv" not in (getattr(actions.get("format"), "choices", None) or ()):
            continue
        variants: list[list[str]] = [[]]
        for action in parser._actions:
            if not action.option_strings or action.dest in ("format", "audience", "help", "as_user"):
                continue
            flag = action.option_strings[-1]
            if isinstance(action, argparse._StoreTrueAction):
                variants.append([flag])
            elif action.choices:
                variants += [[flag, str(choice)] for choice in action.choices if choice != action.default]
        commands += [[command, *v] for v in variants]
    return commands


@contextlib.contextmanager
def _access_file() -> Iterator[None]:
    previous = os.environ.get("ETE_ACCESS_FILE")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "access.toml"
        path.write_text(ACCESS_FILE, encoding="utf-8")
        os.environ["ETE_ACCESS_FILE"] = str(path)
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("ETE_ACCESS_FILE", None)
            else:
                os.environ["ETE_ACCESS_FILE"] = previous


def save(prog: Programme, folder: Path) -> str:
    """The programme in a new SQLite database in ``folder``; its URL."""
    from cli_support import save_frames

    folder.mkdir(parents=True, exist_ok=True)
    return save_frames(f"sqlite:///{folder / 'ete.db'}", *prog)


def cli_surfaces(url: str, as_of: str = AS_OF) -> Iterator[tuple[str, pd.DataFrame]]:
    """Every metric command's CSV as a stakeholder of the access file sees it (a refusal is
    its message)."""
    from ete_metrics.cli import main

    with _access_file():
        for command in cli_commands():
            argv = [*command, "--db", url, "--as-user", STAKEHOLDER, "--format", "csv", "--as-of", as_of]
            printed, said = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(said):
                code = main(argv)
            name = f"cli {' '.join(command)}"
            if code != 0 or not printed.getvalue().strip():
                yield name, pd.DataFrame({"exit": [str(code)], "message": [said.getvalue().strip()]})
            else:
                yield name, pd.read_csv(io.StringIO(printed.getvalue()), dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------- the workbook


def workbook_cells(data: bytes, name: str) -> Surfaces:
    """Every sheet of a workbook, its first row the headings."""
    from openpyxl import load_workbook

    out: Surfaces = {}
    book = load_workbook(io.BytesIO(data), read_only=True)
    for sheet in book.worksheets:
        rows = [["" if v is None else repr(v) if isinstance(v, float) else str(v) for v in row]
                for row in sheet.iter_rows(values_only=True)]
        if not rows:
            continue
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        heads = unique([h or f"column {j + 1}" for j, h in enumerate(rows[0])])
        out[f"{name}/{sheet.title}"] = pd.DataFrame(rows[1:], columns=heads)
    return out


def workbook_surfaces(prog: Programme, as_of: str = AS_OF) -> Iterator[tuple[str, pd.DataFrame]]:
    """The stakeholder workbook (the report pack's cells) for all regions and each region."""
    from ete_metrics.present.report.content import report_content
    from ete_metrics.present.report.xlsx import build_xlsx

    for region in scopes(prog[0]):
        content = report_content(*prog, as_of=as_of, audience="stakeholder", charts=False,
                                 regions=None if region is None else [region])
        yield from workbook_cells(build_xlsx(content), f"workbook[{region or 'all regions'}]").items()


# --------------------------------------------------------------------------- comparing


@dataclass(frozen=True)
class Move:
    """A cell that differs between the two programmes."""

    surface: str
    cell: str
    before: str
    after: str
    count: bool

    def __str__(self) -> str:
        kind = "count" if self.count else "value"
        return f"{self.surface}: {kind} {self.cell}: {self.before!r} -> {self.after!r}"


def _cells(frame: pd.DataFrame) -> dict[tuple[int, str], str]:
    return {(i, str(c)): str(v) for c in frame.columns for i, v in enumerate(frame[c].tolist())}


def _number(text: str) -> bool:
    try:
        float(text.replace(",", "").rstrip("%"))
    except ValueError:
        return text in ("", "[c]")
    return True


def _label(frame: pd.DataFrame, row: int) -> str:
    """A row by its number and its first few labels (words, not figures)."""
    keys = [str(v) for v in frame.iloc[row].tolist()[:4] if not _number(str(v))][:3]
    return f"row {row} ({', '.join(keys)})"


def moved(before: Surfaces, after: Surfaces) -> list[Move]:
    """Every cell of every surface that differs (a surface or row that appears or goes is
    a count that moved: it says how many groups there are)."""
    out: list[Move] = []
    for surface in sorted(set(before) | set(after)):
        a, b = before.get(surface), after.get(surface)
        if a is None or b is None:
            out.append(Move(surface, "the surface itself", "present" if a is not None else "absent",
                            "present" if b is not None else "absent", True))
            continue
        if list(a.columns) != list(b.columns) or len(a) != len(b):
            out.append(Move(surface, "its shape", f"{len(a)} rows {list(a.columns)}",
                            f"{len(b)} rows {list(b.columns)}", True))
            continue
        ca, cb = _cells(a), _cells(b)
        for (row, column), value in ca.items():
            if cb[(row, column)] != value:
                out.append(Move(surface, f"{_label(a, row)} column {column!r}", value, cb[(row, column)],
                                is_count(column)))
    return out


def summary(moves: list[Move]) -> str:
    """The moves by kind of surface (scopes and sheets' scopes folded) and column, with counts."""
    import collections
    import re

    kinds = collections.Counter(
        (re.sub(r"\[[^\]]*\]", "[...]", m.surface), m.cell.split(" column ")[-1]) for m in moves)
    return "\n".join(f"  {n:4d} x {surface}, column {column}" for (surface, column), n in sorted(kinds.items()))


# --------------------------------------------------------------------------- perturbations


@dataclass(frozen=True)
class Perturbation:
    """A few changes to a programme, in words, and the changed programme."""

    words: tuple[str, ...]
    programme: Programme
    #: Its fast surfaces, once the search has made them.
    surfaces: Surfaces | None = None

    def __str__(self) -> str:
        return "; ".join(self.words)


def _entered(p: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    return p.loc[p["entry_date"].notna() & (p["entry_date"] <= as_of)]


#: The outcomes' milestones a change adds, drops or moves.
STARTS = ("job_start", "training_start")


def _counted(prog: Programme, as_of: pd.Timestamp) -> pd.DataFrame:
    """Milestones that count: of people entered, between entry and the as-at date."""
    p, m, _ = prog
    entry = m["participant_id"].map(p.set_index("participant_id")["entry_date"])
    return m.loc[entry.notna() & (m["date"] >= entry) & (m["date"] <= as_of)]


#: The kinds of change and how often each is made: a start passed from one person to
#: another keeps the programme's totals, so it is the one most often kept.
KINDS = ("pass start", "move milestone", "add start", "drop start", "drop person", "copy person")
WEIGHTS = (0.6, 0.25, 0.05, 0.05, 0.025, 0.025)

#: The funnel step each start counts for.
_STEP_OF = {"job_start": WORK.name, "training_start": TRAINING.name}


def _slack(truth: Mapping[tuple[str, ...], float], people: pd.DataFrame, step: str, delta: int) -> pd.DataFrame:
    """The people whose every group's count of ``step`` (by each grouping key, now) is shown
    the same after ``delta`` more: worth trying (the screen and the surfaces decide)."""
    from ete_metrics import config
    from ete_metrics.counting.population import add_cohorts

    keep = np.ones(len(people), dtype=bool)
    whole = truth.get((f"funnel {AS_OF}", "participants", step))
    if whole is not None and _shown_class(whole) != _shown_class(whole + delta):
        return people.iloc[:0]
    labelled = add_cohorts(people)
    for key in (*config.GROUPING_COLUMNS, *config.COHORT_COLUMNS):
        if key not in labelled.columns:
            continue
        values = labelled[key].astype(str).tolist()
        for i, value in enumerate(values):
            x = truth.get((f"funnel {AS_OF} {key}", "participants", value, step))
            if x is not None and _shown_class(x) != _shown_class(x + delta):
                keep[i] = False
    return people.loc[keep]


def one_change(prog: Programme, rng: np.random.Generator, as_of: str = AS_OF,
               truth: Mapping[tuple[str, ...], float] | None = None) -> tuple[str, Programme]:
    """One small change that counts: a job or training start more or fewer (dated in the
    last month, for people whose groups' counts have room), a counted milestone moved some
    days (within entry and the as-at date), a person entered more or fewer."""
    p, m, t = prog
    cutoff = pd.Timestamp(as_of)
    truth = truth or {}
    kind = rng.choice(KINDS, p=WEIGHTS)
    counted = _counted(prog, cutoff)
    starts = counted.loc[counted["milestone"].isin(STARTS)]
    entered = _entered(p, cutoff)
    if kind == "drop start" and len(starts):
        milestone = str(rng.choice(STARTS))
        mine = starts.loc[(starts["milestone"] == milestone) & (starts["date"] > pd.Timestamp(MONTH_EARLIER))]
        who = _slack(truth, entered.loc[entered["participant_id"].isin(mine["participant_id"])],
                     _STEP_OF[milestone], -1)
        mine = mine.loc[mine["participant_id"].isin(who["participant_id"])]
        if not len(mine):
            mine = starts
        row = mine.index[rng.integers(len(mine))]
        return f"drop {m.at[row, 'milestone']} of {m.at[row, 'participant_id']}", (p, m.drop(index=row), t)
    if kind == "pass start" and len(starts):
        return _pass_start(prog, rng, truth, starts, entered)
    if kind == "move milestone" and len(counted):
        row = counted.index[rng.integers(len(counted))]
        person = p.loc[p["participant_id"] == m.at[row, "participant_id"]].iloc[0]
        days = int(rng.choice([-1, 1])) * int(rng.integers(1, 12))
        new = min(max(m.at[row, "date"] + pd.Timedelta(days=days), person["entry_date"]), cutoff)
        changed = m.copy()
        changed.at[row, "date"] = new
        return (f"move {m.at[row, 'milestone']} of {m.at[row, 'participant_id']} "
                f"from {m.at[row, 'date'].date()} to {new.date()}", (p, changed, t))
    if kind == "drop person":
        who = entered["participant_id"].iloc[rng.integers(len(entered))]
        return f"drop {who}", (p.loc[p["participant_id"] != who], m.loc[m["participant_id"] != who], t)
    if kind == "copy person":
        row = entered.iloc[[rng.integers(len(entered))]].copy()
        old = row["participant_id"].iloc[0]
        new_id = f"P{9000000 + int(rng.integers(999999)):07d}"
        row["participant_id"] = new_id
        copied = m.loc[m["participant_id"] == old].copy()
        copied["participant_id"] = new_id
        return (f"copy {old} as {new_id}",
                (pd.concat([p, row], ignore_index=True), pd.concat([m, copied], ignore_index=True), t))
    milestone = str(rng.choice(STARTS))
    without = entered.loc[~entered["participant_id"].isin(
        counted.loc[counted["milestone"] == milestone, "participant_id"])]
    roomy = _slack(truth, without, _STEP_OF[milestone], +1)
    if len(roomy):
        without = roomy
    person = without.iloc[rng.integers(len(without))]
    first = max(person["entry_date"], pd.Timestamp(MONTH_EARLIER) + pd.Timedelta(days=1))
    span = max(0, int((cutoff - first).days))
    when = min(first + pd.Timedelta(days=int(rng.integers(span + 1))), cutoff)
    partners = m.loc[m["milestone"] == milestone, "partner"].dropna()
    row = pd.DataFrame({"participant_id": [person["participant_id"]], "milestone": [milestone],
                        "date": [when], "partner": [partners.iloc[0] if len(partners) else None]})
    added = pd.concat([m, row.astype(m.dtypes.to_dict())], ignore_index=True)
    return f"add {milestone} of {person['participant_id']} on {when.date()}", (p, added, t)


def _pass_start(prog: Programme, rng: np.random.Generator, truth: Mapping[tuple[str, ...], float],
                starts: pd.DataFrame, entered: pd.DataFrame) -> tuple[str, Programme]:
    """A start passed from one person to another entered by then (same date): the
    programme's totals stay, the groups where the two differ move by one each way."""
    from ete_metrics import config
    from ete_metrics.counting.population import add_cohorts

    p, m, t = prog
    row = starts.index[rng.integers(len(starts))]
    milestone, when, giver = m.at[row, "milestone"], m.at[row, "date"], m.at[row, "participant_id"]
    step = _STEP_OF[str(milestone)]
    have = set(starts.loc[starts["milestone"] == milestone, "participant_id"])
    takers = add_cohorts(entered.loc[~entered["participant_id"].isin(have) & (entered["entry_date"] <= when)])
    source = add_cohorts(p.loc[p["participant_id"] == giver]).iloc[0]
    keep = np.ones(len(takers), dtype=bool)
    moments = (AS_OF, MONTH_EARLIER) if when <= pd.Timestamp(MONTH_EARLIER) else (AS_OF,)
    for moment in moments:
        for key in (*config.GROUPING_COLUMNS, *config.COHORT_COLUMNS):
            if key not in takers.columns:
                continue
            mine = str(source[key])
            x = truth.get((f"funnel {moment} {key}", "participants", mine, step))
            values = takers[key].astype(str).to_numpy()
            differ = values != mine
            if x is not None and _shown_class(x) != _shown_class(x - 1):
                keep &= ~differ
            for value in set(values[differ]):
                y = truth.get((f"funnel {moment} {key}", "participants", value, step))
                if y is not None and _shown_class(y) != _shown_class(y + 1):
                    keep &= values != value
    if not keep.any():
        return f"pass nothing ({milestone} of {giver} has no taker)", prog
    taker = takers.loc[keep, "participant_id"].iloc[rng.integers(int(keep.sum()))]
    changed = m.copy()
    changed.at[row, "participant_id"] = taker
    return f"pass {milestone} of {giver} on {when.date()} to {taker}", (p, changed, t)


def perturb(prog: Programme, rng: np.random.Generator,
            truth: Mapping[tuple[str, ...], float] | None = None) -> Perturbation:
    words: list[str] = []
    for _ in range(1):
        said, prog = one_change(prog, rng, truth=truth)
        words.append(said)
    return Perturbation(tuple(words), prog)


# --------------------------------------------------------------------------- the screen


def true_counts(prog: Programme) -> dict[tuple[str, ...], float]:
    """The true counts most surfaces publish (the funnel by each grouping key, now and a
    month earlier, the targets' cumulative actuals, the time to outcome's counts), by cell:
    a cheap screen before the surfaces are made."""
    from ete_metrics import config
    from ete_metrics.metrics.funnel import funnel
    from ete_metrics.metrics.targets import targets_vs_actual
    from ete_metrics.metrics.time_to_outcome import time_to_outcome

    p, m, t = prog
    out: dict[tuple[str, ...], float] = {}

    def put(name: str, frame: pd.DataFrame, keys: list[str], columns: list[str]) -> None:
        for record in frame[[*keys, *columns]].itertuples(index=False):
            for c, value in zip(columns, record[len(keys):], strict=True):
                out[(name, c, *map(str, record[:len(keys)]))] = float(value) if pd.notna(value) else -1.0

    for as_of in (AS_OF, MONTH_EARLIER):
        put(f"funnel {as_of}", funnel(Scope(p, m, as_of=as_of)), ["step"], ["participants"])
        for key in (*config.GROUPING_COLUMNS, *config.COHORT_COLUMNS):
            if key in p.columns or key in config.COHORT_COLUMNS:
                put(f"funnel {as_of} {key}", funnel(Scope(p, m, as_of=as_of), by=key), [key, "step"], ["participants"])
    monthly = targets_vs_actual(Scope(p, m, as_of=AS_OF), t, period="month")
    put("targets", monthly, ["region", "period_start", "measure"], ["actual", "cumulative_actual"])
    spans = time_to_outcome(Scope(p, m, as_of=AS_OF), by="region")
    put("time", spans, ["region", "outcome"], [c for c in spans.columns if c.startswith(("followed", "within"))])
    return out


def _shown_class(value: float) -> float:
    """What a stakeholder sees of a true count: 0, suppressed (-2) or rounded to 5."""
    if value <= 0:
        return value
    return -2.0 if value < 5 else float(5 * np.floor(value / 5 + 0.5))


def passes_screen(before: dict[tuple[str, ...], float], after: dict[tuple[str, ...], float]) -> bool:
    """Whether the change alters true counts (it is worth trying) and every one would be
    shown as before (it may keep every published count)."""
    if set(before) != set(after) or before == after:
        return False
    return all(_shown_class(before[k]) == _shown_class(after[k]) for k in before)


#: The fast surfaces in the order they are checked (cheapest first, so most candidates are
#: turned down early): each yields (surface, cells).
FAST: tuple[tuple[str, Callable[[Programme], Iterator[tuple[str, pd.DataFrame]]]], ...] = (
    ("views", view_surfaces),
    ("views a month earlier", lambda prog: view_surfaces(prog, MONTH_EARLIER, " a month earlier")),
    ("publication sets", publication_surfaces),
    ("workbook", workbook_surfaces),
    ("command line", lambda prog: cli_surfaces(save(prog, Path(tempfile.mkdtemp(prefix="invariance-"))))),
)


def fast_surfaces(prog: Programme) -> Surfaces:
    """Every fast surface of a programme, by name."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {name: cells for _, make in FAST for name, cells in make(prog)}


def counts_moved(before: Surfaces, after: Surfaces) -> bool:
    return any(move.count for move in moved(before, after))


def _same_counts(base: Surfaces, prog: Programme) -> Surfaces | None:
    """Every fast surface of ``prog`` if every published count of every one is as in
    ``base``; None at the first count that moves."""
    out: Surfaces = {}
    for _, make in FAST:
        for name, cells in make(prog):
            if name not in base or counts_moved({name: base[name]}, {name: cells}):
                return None
            out[name] = cells
    return out if set(out) == set(base) else None


@dataclass
class Search:
    """What the search tried and kept."""

    screened: int
    tried: int
    kept: list[Perturbation]
    seconds: float

    def __str__(self) -> str:
        return (f"{self.screened} perturbations made, {self.tried} through the screen of true counts, "
                f"{len(self.kept)} kept (every published count the same) in {self.seconds:.0f} s")


class Choices:
    """A change's choices drawn by hypothesis, through the two calls :func:`one_change` makes of
    a NumPy generator (``integers`` and ``choice``): hypothesis searches the space of changes."""

    def __init__(self, draw: Callable[[Any], Any]) -> None:
        self._draw = draw

    def integers(self, low: int, high: int | None = None) -> int:
        """A whole number from ``low`` up to ``high`` (excluded), or from 0 up to ``low``."""
        low, high = (0, low) if high is None else (low, high)
        return int(self._draw(hst.integers(int(low), int(high) - 1)))

    def choice(self, options: Any, p: Any = None) -> Any:
        """One of ``options``, weighted by ``p`` where it is given."""
        options = list(options)
        if p is None:
            return options[self.integers(len(options))]
        point = self.integers(1000) / 1000
        return options[min(int(np.searchsorted(np.cumsum(p), point, side="right")), len(options) - 1)]


class _OutOfTimeError(Exception):
    """The search's budget of seconds is spent."""


def find_perturbations(base: Programme, surfaces: Surfaces, *, want: int, budget: float,
                       tries: int = 3000) -> Search:
    """Perturbations of ``base`` that leave every published count of every fast surface
    (``surfaces``, of ``base``) as it is, found by hypothesis (``find`` over the changes,
    each choice a draw); stops at ``want`` kept, ``tries`` made or ``budget`` seconds."""
    start = time.monotonic()
    kept: list[Perturbation] = []
    made = {"screened": 0, "tried": 0}
    truth = true_counts(base)
    # each change's verdict, so hypothesis's replay of the one it found gets the same answer;
    # a change kept by an earlier find is not kept again
    verdicts: dict[tuple[str, ...], bool] = {}
    earlier: set[tuple[str, ...]] = set()

    @hst.composite
    def perturbations(draw: Callable[[Any], Any]) -> Perturbation:
        return perturb(base, Choices(draw), truth)  # type: ignore[arg-type]

    def keeps_every_count(candidate: Perturbation) -> bool:
        if candidate.words in earlier:
            return False
        if candidate.words in verdicts:
            return verdicts[candidate.words]
        if time.monotonic() - start > budget or made["screened"] >= tries:
            raise _OutOfTimeError
        made["screened"] += 1
        verdicts[candidate.words] = False
        if not passes_screen(truth, true_counts(candidate.programme)):
            return False
        made["tried"] += 1
        shown = _same_counts(surfaces, candidate.programme)
        if shown is None:
            return False
        kept.append(replace(candidate, surfaces=shown))
        verdicts[candidate.words] = True
        return True

    search = settings(max_examples=tries, phases=[Phase.generate], database=None, deadline=None,
                      report_multiple_bugs=False, derandomize=True,
                      suppress_health_check=list(HealthCheck))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        while len(kept) < want:
            try:
                found = find(perturbations(), keeps_every_count, settings=search)
            except (NoSuchExample, _OutOfTimeError):
                break
            earlier.add(found.words)
    return Search(made["screened"], made["tried"], kept, time.monotonic() - start)


@functools.lru_cache(maxsize=1)
def searched() -> tuple[Programme, Surfaces, Search]:
    """The base programme, its fast surfaces and the perturbations kept (once a session)."""
    base = programme()
    surfaces = fast_surfaces(base)
    return base, surfaces, find_perturbations(base, surfaces, want=WANT, budget=BUDGET)


#: How many perturbations to keep, and the seconds the search may take.
WANT = 3
BUDGET = 360.0
