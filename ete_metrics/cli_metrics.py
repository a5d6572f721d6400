"""Metric subcommands of ``python -m ete_metrics``.

``funnel``, ``compare``, ``targets``, ``forecast``, ``cohorts`` (cohort curves, or with ``--incidence``
the Kaplan–Meier cumulative incidence), ``time-to-outcome`` and ``partners`` each read
the database given by ``--db`` (default ``ETE_DATABASE_URL``, else ``data/ete.db``), compute one metric as at ``--as-of`` (default: the latest date in
the data) and print it with ``--format table`` (readable: UK dates, thousands
separators, percentages to one decimal place), ``csv`` (plain CSV on stdout and nothing
else, ISO dates, rates as fractions) or ``json`` (a list of records, ISO dates).
Problems the user can fix raise :class:`ete_metrics.errors.EteError`, which the CLI
prints as a message.

Every subcommand takes ``--audience internal|stakeholder`` (default internal). With
``stakeholder`` the output is protected by :func:`ete_metrics.protect.audience.protect_view`
(counts 1-4 suppressed as ``[c]`` with secondary suppression, other counts rounded to
the nearest 5, rates blank for groups under 10, no participant-level columns). The
table format prints :data:`~ete_metrics.protect.disclosure.STAKEHOLDER_NOTE` under the title;
CSV and JSON stay machine-readable and the note goes to standard error. CSV text cells
are neutralised against spreadsheet formula injection
(:func:`ete_metrics.protect.safe_export.neutralise_frame`).

The commands run as the local operator, who sees everything. ``--as-user EMAIL``
runs one as that user of the access file (:mod:`ete_metrics.protect.access`): only their
regions are read from the database, and a stakeholder always gets the stakeholder
audience. An ``--as-user`` that is empty, blank or not in the access file is refused:
nothing is read, printed or written.

What a command prints is an export: before it is printed it is recorded in the
audit trail (``audit_events``: who, when, the command and its options, the SHA-256
of the exact text printed), like a dashboard download or a report file. When it
cannot be recorded nothing is printed and the command fails with the reason.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ete_metrics import views
from ete_metrics.errors import InputError
from ete_metrics.metrics.standardised import ADJUSTERS
from ete_metrics.present.formatting import is_missing
from ete_metrics.protect.access import Access
from ete_metrics.protect.audience import AUDIENCES, INTERNAL, check_stakeholder_scope, present_view
from ete_metrics.protect.disclosure import STAKEHOLDER_NOTE
from ete_metrics.protect.safe_export import neutralise_frame
from ete_metrics.steps import TRAINING, WORK, label, outcome_steps, sustained_steps
from ete_metrics.views import View

if TYPE_CHECKING:
    from ete_metrics.counting.scope import Scope

FORMATS = ("table", "csv", "json")


@dataclass
class _Data:
    participants: pd.DataFrame
    milestones: pd.DataFrame
    targets: pd.DataFrame | None
    as_of: date
    access: Access


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2023-08-16"
        ) from None


def _whole_number(value: str, what: str = "a whole number") -> int:
    """Parse a command-line whole number, allowing ``,`` and ``_`` separators."""
    try:
        return int(value.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not {what}") from None


def _days(value: str) -> int:
    number = _whole_number(value, "a whole number of days")
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be zero or more")
    return number


def _common(parser: argparse.ArgumentParser, *, dates: bool = True) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="SQLAlchemy database URL (default: ETE_DATABASE_URL, else sqlite data/ete.db)",
    )
    parser.add_argument(
        "--as-of",
        type=_iso_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date the figures are as at (default: the latest date in the data)",
    )
    if dates:
        parser.add_argument("--from", dest="date_from", type=_iso_date, default=None,
                            metavar="YYYY-MM-DD", help="first entry date to include")
        parser.add_argument("--to", dest="date_to", type=_iso_date, default=None,
                            metavar="YYYY-MM-DD", help="last entry date to include")
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="output format (default: table)")
    parser.add_argument("--audience", choices=AUDIENCES, default=INTERNAL,
                        help="stakeholder: counts rounded to 5, counts below 5 suppressed ([c]), "
                        "no rates for groups under 10 (default: internal)")
    add_as_user(parser)


def add_as_user(parser: argparse.ArgumentParser) -> None:
    """Add ``--as-user EMAIL`` (limit the command to what that user may see)."""
    parser.add_argument(
        "--as-user", dest="as_user", default=None, metavar="EMAIL",
        help="run as this user of the access file (ETE_ACCESS_FILE, default access.toml): "
        "only their regions, and the stakeholder audience for stakeholders",
    )


def user_access(args: argparse.Namespace) -> Access:
    """The access a command runs with: ``--as-user``'s, else the local operator's (everything).

    Only a command run without ``--as-user`` runs as the local operator. An ``--as-user``
    that is given is resolved by the access file whatever it holds: empty or blank (a
    script passing an unset variable), not an email address, or not in the file, it is
    refused (:func:`ete_metrics.protect.access.access_for`) before anything is read.
    A stakeholder's ``args.audience`` is set to ``stakeholder`` whatever was asked, and a
    stakeholder publication covers the whole programme or one region
    (:func:`ete_metrics.protect.audience.check_stakeholder_scope`).
    """
    from ete_metrics.protect.access import access_for, local_access

    email = getattr(args, "as_user", None)
    access = local_access() if email is None else access_for(email)
    if hasattr(args, "audience"):
        args.audience = access.audience(args.audience)
        if args.audience != INTERNAL:  # the whole programme or one region, never a pair's totals
            check_stakeholder_scope(getattr(args, "region", None) or access.regions)
    return access


def _load(
    args: argparse.Namespace, *, targets: bool = False, columns: Sequence[str] | None = None
) -> _Data:
    """Read what a command needs: participants (all columns, or only ``columns``), milestones,
    targets when asked, and ``--as-of`` (default: the latest date in the data)."""
    from ete_metrics.data.db import (
        data_cutoff,
        load_milestones,
        load_participants,
        load_targets,
        make_engine,
    )

    access = user_access(args)
    regions = access.regions  # only what --as-user may see
    engine = make_engine(args.db)
    try:
        participants = load_participants(engine, regions=regions, columns=columns)
        milestones = load_milestones(engine, regions=regions)
        target_frame = load_targets(engine, regions=regions) if targets else None
        as_of = args.as_of
        if as_of is None:
            as_of = data_cutoff(engine)
            if as_of is None:
                raise InputError(
                    "The database holds no data yet, so there is no date to report as at: "
                    "import an extract first (python -m ete_metrics import ...) or give --as-of."
                )
    finally:
        engine.dispose()
    return _Data(participants, milestones, target_frame, as_of, access)


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return None if is_missing(value) else value


def emit(
    frame: pd.DataFrame,
    fmt: str,
    view: View | None = None,
    *,
    title: str = "",
    out: Any = None,
    note: str | None = None,
) -> None:
    """Print a metric frame as a table, CSV or JSON records.

    Parameters
    ----------
    frame : pandas.DataFrame
        A metric's output (not modified).
    fmt : {"table", "csv", "json"}
        ``csv``: the frame as CSV only (ISO dates, rates as fractions). ``json``: a list of
        records (ISO dates, missing values null). ``table``: an optional title line, then the
        frame with UK dates, thousands separators and percentages (one decimal place).
    view : View, optional
        The published view the frame is (:mod:`ete_metrics.views`): its columns' roles
        (counts, percentages, dates...) and headings, as on screen and in the reports.
    title : str
        A heading for the table (not printed for csv or json).
    out : file-like, optional
        Where to print (default ``sys.stdout``).
    note : str, optional
        A note on the figures (the stakeholder note): printed under the title of a table,
        to standard error for csv and json (which stay machine-readable).
    """
    stream = out if out is not None else sys.stdout
    if note and fmt != "table":
        sys.stderr.write(note + "\n")
    date_columns = [c for c in (view.dates if view is not None else ()) if c in frame.columns]
    if fmt == "csv":
        copy = neutralise_frame(frame)
        for column in date_columns:
            copy[column] = pd.to_datetime(copy[column]).dt.strftime("%Y-%m-%d")
        copy.to_csv(stream, index=False, lineterminator="\n")
        return
    if fmt == "json":
        records = [
            {str(k): _json_value(v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")
        ]
        stream.write(json.dumps(records, indent=2) + "\n")
        return
    from ete_metrics.present.tables import display_table

    if title:
        stream.write(title + "\n")
    if note:
        stream.write(note + "\n")
    if frame.empty:
        stream.write("No participants match: nothing to show.\n")
        return
    shown = display_table(frame, view)
    stream.write(shown.to_string(index=False) + "\n")


#: Options left out of an export's audit record: where the data is (a URL may hold a
#: password), the handler, and what is recorded separately (the user, the command).
_NOT_AUDITED = frozenset({"db", "func", "as_user", "command"})


def _emit(args: argparse.Namespace, data: _Data, frame: pd.DataFrame, view: View, title: str) -> None:
    """Protect ``frame`` for ``--audience`` as the published ``view``, record it, then print it.

    The text is built first, recorded in the audit trail (:func:`_record`) and only
    then written to standard output, so nothing leaves unrecorded.
    """
    note = STAKEHOLDER_NOTE if args.audience != INTERNAL else None
    buffer = io.StringIO()
    # a table carries the note in its text; for csv and json it goes to standard error,
    # after the output is recorded like the rest
    emit(present_view(frame, view, args.audience), args.format, view, title=title, out=buffer,
         note=note if args.format == "table" else None)
    text = buffer.getvalue()
    _record(args, data, text)
    if note and args.format != "table":
        sys.stderr.write(note + "\n")
    sys.stdout.write(text)


def _record(args: argparse.Namespace, data: _Data, text: str) -> None:
    """Record a command's output as an export (who, when, command, options, SHA-256)."""
    from datetime import UTC, datetime

    from ete_metrics.data.audit import export_filters, record_export
    from ete_metrics.data.db import make_engine
    from ete_metrics.errors import DatabaseError, EteError

    options = {k: v for k, v in sorted(vars(args).items()) if k not in _NOT_AUDITED}
    options["as_of"] = data.as_of
    engine = make_engine(args.db)
    try:
        record_export(
            engine, occurred_at=datetime.now(UTC), access=data.access,
            file_name=f"{args.command} {args.format} on standard output",
            content=text.encode("utf-8"), source="command line",
            filters=export_filters(data.access, command=args.command, **options),
        )
    except EteError as exc:
        raise DatabaseError(
            f"Nothing was printed: the output could not be recorded in the audit trail. {exc}"
        ) from None
    finally:
        engine.dispose()


def _scope(args: argparse.Namespace, data: _Data, *, window: bool = False, dates: bool = True) -> Scope:
    """The scope of a command: the loaded frames, the cut-off, and the command's
    ``--from``/``--to`` (``dates``) and ``--window`` (``window``) when it has them."""
    from ete_metrics.counting.scope import Scope

    return Scope(
        data.participants,
        data.milestones,
        as_of=data.as_of,
        date_from=args.date_from if dates else None,
        date_to=args.date_to if dates else None,
        window_days=args.window_days if window else None,
    )


def _uk(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _cmd_funnel(args: argparse.Namespace) -> int:
    from ete_metrics.data.frames import PARTICIPANT_COLUMNS
    from ete_metrics.metrics.funnel import funnel, referral_funnel

    # only the columns the funnel reads: the anchor dates and the grouping columns
    by = [key for key in args.by or () if key in PARTICIPANT_COLUMNS]
    data = _load(args, columns=["referral_date", "entry_date", *by])
    scope = _scope(args, data, window=True)
    if args.referral:
        frame = referral_funnel(scope, by=args.by or (), ordered=args.ordered)
    else:
        frame = funnel(scope, by=args.by or (), ordered=args.ordered, include_sustained=args.sustained)
    _emit(args, data, frame, views.FUNNEL,
          title=f"{'Referral funnel' if args.referral else 'Funnel'} as at {_uk(data.as_of)}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from ete_metrics.metrics.comparison import compare_groups

    data = _load(args)
    scope = _scope(args, data, window=True)
    title = f"{label(args.step)} by {args.by} against funnel-plot limits, as at {_uk(data.as_of)}"
    if args.adjust_for:
        from ete_metrics.metrics.standardised import compare_adjusted

        frame = compare_adjusted(scope, by=args.by, step=args.step, adjust_for=args.adjust_for)
        title += f"; observed/expected adjusted for {', '.join(args.adjust_for)}"
    else:
        frame = compare_groups(scope, by=args.by, step=args.step)
    _emit(args, data, frame, views.COMPARE, title=title)
    return 0


def _cmd_targets(args: argparse.Namespace) -> int:
    from ete_metrics.metrics.targets import target_summary, targets_vs_actual

    data = _load(args, targets=True)
    assert data.targets is not None
    regions = user_access(args).check_regions(args.region)  # a region outside --as-user: refused
    if args.summary:
        frame = target_summary(
            _scope(args, data, dates=False),
            data.targets,
            regions=regions,
        )
        _emit(args, data, frame, views.TARGET_SUMMARY,
             title=f"Targets to date as at {_uk(data.as_of)}")
    else:
        frame = targets_vs_actual(
            _scope(args, data, dates=False),
            data.targets,
            period=args.period,
            regions=regions,
        )
        _emit(args, data, frame, views.TARGETS,
             title=f"Targets by {args.period} as at {_uk(data.as_of)}")
    return 0


def _cmd_forecast(args: argparse.Namespace) -> int:
    from ete_metrics.metrics.forecast import forecast_to_end

    data = _load(args)
    regions = user_access(args).check_regions(args.region)  # a region outside --as-user: refused
    frame = forecast_to_end(_scope(args, data, dates=False), regions=regions)
    _emit(args, data, frame, views.FORECAST,
         title=f"Forecast of cumulative training and job starts to the contract's end, from the data "
               f"as at {_uk(data.as_of)} (80% and 95% prediction intervals)")
    return 0


def _cmd_cohorts(args: argparse.Namespace) -> int:
    from ete_metrics.metrics.cohorts import cohort_curves, cumulative_incidence

    data = _load(args)
    if args.incidence:
        frame = cumulative_incidence(_scope(args, data), outcome=args.outcome, by=args.by or ())
        _emit(args, data, frame, views.INCIDENCE,
              title=f"Cumulative incidence of {args.outcome} by days since entry "
              f"(1 - Kaplan–Meier, 95% interval), as at {_uk(data.as_of)}")
        return 0
    if args.by:
        raise InputError("--by applies to --incidence; cohort curves are grouped by --cohort.")
    frame = cohort_curves(_scope(args, data), cohort=args.cohort, outcome=args.outcome)
    _emit(args, data, frame, views.COHORT_CURVES,
         title=f"Into {args.outcome} by months since entry, as at {_uk(data.as_of)}")
    return 0


def _cmd_time_to_outcome(args: argparse.Namespace) -> int:
    from ete_metrics.metrics.time_to_outcome import TIME_TO_OUTCOME_BY_HORIZON, time_to_outcome

    data = _load(args)
    frame = time_to_outcome(_scope(args, data), by=args.by or ())
    if args.audience == INTERNAL:  # the Kaplan-Meier days and shares
        frame = frame.drop(columns=list(TIME_TO_OUTCOME_BY_HORIZON))
        title = f"Days from entry to training and work (Kaplan–Meier), as at {_uk(data.as_of)}"
    else:  # those follow from each person's days: the shares of people followed long enough
        title = f"Training and work within 3, 6 and 12 months of entry, as at {_uk(data.as_of)}"
    _emit(args, data, frame, views.TIME_TO_OUTCOME, title=title)
    return 0


def _cmd_partners(args: argparse.Namespace) -> int:
    from ete_metrics.metrics import partners

    data = _load(args)
    if args.kind in ("delivery", "prisons"):
        function: Callable[..., pd.DataFrame] = (
            partners.delivery_partners if args.kind == "delivery" else partners.prisons
        )
        frame = function(_scope(args, data, window=True))
        _emit(args, data, frame, views.FUNNEL,
              title=f"{'Delivery partners' if args.kind == 'delivery' else 'Prisons'} as at {_uk(data.as_of)}")
        return 0
    if args.window_days is not None:
        raise InputError(f"--window-days applies to --kind delivery or prisons, not {args.kind}.")
    if args.kind == "training":
        frame = partners.training_providers(_scope(args, data))
        _emit(args, data, frame, views.TRAINING_PROVIDERS,
             title=f"Training providers as at {_uk(data.as_of)}")
    else:
        frame = partners.employers(_scope(args, data))
        _emit(args, data, frame, views.EMPLOYERS,
             title=f"Employers as at {_uk(data.as_of)}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the metric subcommands to the CLI's subparsers.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From ``ArgumentParser.add_subparsers``. Each command sets ``func`` (taking the
        parsed arguments, returning the exit code).
    """
    _add_step_commands(subparsers)
    _add_contract_commands(subparsers)
    _add_time_commands(subparsers)
    _add_partner_commands(subparsers)


def _add_step_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The commands of who reaches each step: ``funnel`` and ``compare`` (groups against
    funnel-plot limits)."""
    p = subparsers.add_parser(
        "funnel", help="entered -> training -> work, optionally by group",
        description="Participants entered, into training and into work as at a date.",
    )
    _common(p)
    p.add_argument("--by", nargs="+", default=None, metavar="COL",
                   help="group by these columns (region, pathway, entry_quarter, entry_fy, ...)")
    p.add_argument("--window-days", type=_days, default=None, metavar="N",
                   help="count outcomes within N days of entry, for participants entered N+ days ago")
    p.add_argument("--ordered", action="store_true", help="count work only on or after training")
    p.add_argument("--referral", action="store_true",
                   help="start from referrals (referred -> entered -> training -> work); "
                   "--from/--to then apply to the referral date")
    p.add_argument("--sustained", action="store_true",
                   help="add the sustained-work steps: " + ", ".join(map(label, sustained_steps())))
    p.set_defaults(func=_cmd_funnel)

    p = subparsers.add_parser("compare", help="compare groups against funnel-plot limits")
    _common(p)
    p.add_argument("--by", default="region", metavar="COL", help="grouping column (default region)")
    p.add_argument("--step", choices=outcome_steps(), default=WORK.name,
                   help="the outcome to compare (default work)")
    p.add_argument("--window-days", type=_days, default=None, metavar="N", help="conversion window")
    p.add_argument("--adjust-for", nargs="+", default=None, metavar="COL", choices=ADJUSTERS,
                   help="add observed, expected and the observed/expected ratio with its exact 95%%"
                        " interval, adjusted for these characteristics by indirect standardisation"
                        f" ({', '.join(ADJUSTERS)}; the page's default is pathway time_since_entry)")
    p.set_defaults(func=_cmd_compare)


def _add_contract_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The commands set against the contract: ``targets`` (with RAG) and ``forecast``."""
    p = subparsers.add_parser("targets", help="contract targets against actuals, with RAG")
    _common(p, dates=False)
    p.add_argument("--period", choices=("month", "quarter"), default="month",
                   help="month or calendar quarter (default month)")
    p.add_argument("--summary", action="store_true",
                   help="one row per region and measure, with the run-rate projection")
    p.add_argument("--region", action="append", default=None, metavar="NAME",
                   help="restrict to a region (repeatable)")
    p.set_defaults(func=_cmd_targets)

    p = subparsers.add_parser(
        "forecast", help="forecast cumulative training and job starts per region to the contract's end",
        description="Forecast each region's cumulative training starts and job starts month by month to "
                    "the contract's end, with 80%% and 95%% prediction intervals, from the data as at "
                    "--as-of (for example --as-of 2023-08-16 for a review in August 2023; default the "
                    "latest date in the data).",
    )
    _common(p, dates=False)
    p.add_argument("--region", nargs="+", action="extend", default=None, metavar="NAME",
                   help="only these regions (default all)")
    p.set_defaults(func=_cmd_forecast)


def _add_time_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The commands of how long it takes: ``cohorts`` and ``time-to-outcome``."""
    p = subparsers.add_parser("cohorts", help="cumulative rate by months since entry, per cohort")
    _common(p)
    p.add_argument("--cohort", choices=("entry_month", "entry_quarter"), default="entry_quarter")
    p.add_argument("--outcome", choices=(TRAINING.name, WORK.name), default=WORK.name)
    p.add_argument("--incidence", action="store_true",
                   help="the Kaplan-Meier cumulative incidence by days since entry across all "
                   "cohorts, with its 95%% interval, instead of the cohort curves")
    p.add_argument("--by", nargs="+", default=None, metavar="COL",
                   help="with --incidence: group by these columns (region, pathway, ...)")
    p.set_defaults(func=_cmd_cohorts)

    p = subparsers.add_parser("time-to-outcome", help="median days from entry to training and work")
    _common(p)
    p.add_argument("--by", nargs="+", default=None, metavar="COL", help="group by these columns")
    p.set_defaults(func=_cmd_time_to_outcome)


def _add_partner_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The command of who delivers: ``partners``."""
    p = subparsers.add_parser("partners", help="delivery partners, training providers, employers, prisons")
    _common(p)
    p.add_argument("--kind", choices=("delivery", "training", "employers", "prisons"),
                   default="delivery", help="which partners (default delivery)")
    p.add_argument("--window-days", type=_days, default=None, metavar="N",
                   help="conversion window (delivery and prisons only)")
    p.set_defaults(func=_cmd_partners)
