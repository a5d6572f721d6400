"""The command line: ``python -m ete_metrics <command>``.

Commands
--------
``import``
    Validate an extract and load it (see ``data/README.md``).
``demo``
    Build a synthetic demonstration database: an empty database, or one holding the demo;
    a database holding real data is refused (``--replace-imported-data`` to replace it).
``init-db``
    Create the schema (idempotent).
``report``
    Write a deck, review pack or workbook (``--as-user``: the pack that user gets).
``deliver``
    Email each subscriber's pack when it is due (:mod:`ete_metrics.delivery`).
Metric commands are added by :func:`ete_metrics.cli_metrics.register`.

Imports, report files and what the metric commands print are recorded in the audit
trail (``audit_events``) as the local operator (``"local"``), or as ``--as-user
EMAIL`` for output limited to what that user of the access file may see.

Exit codes: 0 success, 2 bad input or a problem the user can fix (the message
says what), 1 an unexpected failure (a one-line apology, never a traceback), 3 when
``deliver`` could not build or send a pack (recorded, tried again at the next run), 141
when the reader of the output closed the pipe early (``| head``; nothing printed).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ete_metrics import cli_metrics, config
from ete_metrics.cli_progress import progress_bar
from ete_metrics.errors import EteError

if TYPE_CHECKING:  # the delivery is loaded by its command only
    from sqlalchemy import Engine

    from ete_metrics.delivery.mail import SmtpSettings
    from ete_metrics.delivery.subscriptions import SubscriptionFile
    from ete_metrics.protect.access import AccessList

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_BAD_INPUT = 2
#: 128 + SIGPIPE, as a shell reports a command whose reader closed the pipe.
EXIT_BROKEN_PIPE = 141


def _silence_stdout() -> None:
    """Point standard output at the null device so the interpreter's final flush cannot fail."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (e.g. captured in tests)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)


_iso_date = cli_metrics._iso_date


def _positive_int(value: str) -> int:
    number = cli_metrics._whole_number(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be at least 1")
    return number


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="SQLAlchemy database URL (default: ETE_DATABASE_URL, else sqlite data/ete.db)",
    )


def _add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quiet", action="store_true",
        help="no progress bar (none is drawn anyway when standard error is not a terminal)",
    )


def _uk_date(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _cmd_import(args: argparse.Namespace) -> int:
    from ete_metrics.data.audit import import_entry
    from ete_metrics.data.db import make_engine
    from ete_metrics.data.importer import import_extract
    from ete_metrics.data.mapping import (
        import_mapped,
        load_mapping,
        load_profile,
        pseudonym_key,
        read_region_map,
    )
    from ete_metrics.errors import InputError
    from ete_metrics.protect.access import local_access

    args.milestones = args.milestones or []
    if args.profile:
        mapping = load_profile(args.profile)
    elif args.mapping:
        mapping = load_mapping(args.mapping)
    else:
        mapping = None
        if len(args.milestones) != 1 or args.region_map:
            raise InputError(
                "give one --milestones file (several, or --region-map, need --profile or --mapping)"
            )
    if mapping is not None and args.targets:
        raise InputError("import the targets file on its own, without --profile or --mapping")
    files = {"participants": args.participants}
    for number, path in enumerate(args.milestones, start=1):
        files["milestones" if number == 1 else f"milestones {number}"] = path
    if args.region_map:
        files["region map"] = args.region_map
    if args.targets:
        files["targets"] = args.targets
    operator = local_access()
    # The audit row is written in the import's own transaction: both are stored, or neither.
    audit = import_entry(
        occurred_at=datetime.now(UTC), actor=operator.email, role=operator.role, files=files,
        replace_all=args.replace_all, source="command line",
    )
    engine = make_engine(args.db)
    try:
        with (
            config.command_line_limits(),  # an operator's whole extract, not an upload
            progress_bar(args.quiet) as progress,
        ):
            if mapping is None:
                result = import_extract(
                    engine,
                    args.participants,
                    args.milestones[0],
                    args.targets,
                    replace_all=args.replace_all,
                    extract_date=args.extract_date,
                    imported_at=datetime.now().replace(microsecond=0),
                    progress=progress,
                    audit=audit,
                )
            else:
                result = import_mapped(
                    engine,
                    mapping,
                    args.participants,
                    args.milestones,
                    region_map=read_region_map(args.region_map) if args.region_map else None,
                    key=pseudonym_key(),
                    replace_all=args.replace_all,
                    extract_date=args.extract_date,
                    imported_at=datetime.now().replace(microsecond=0),
                    progress=progress,
                    audit=audit,
                )
    finally:
        engine.dispose()
    mode = (
        "replacing the whole database"
        if args.replace_all
        else "updating the participants it contains"
    )
    print(
        f"Imported {result.participants:,} participants, {result.milestones:,} milestones"
        f" and {result.targets:,} targets ({mode}); import #{result.import_id},"
        f" extract date {_uk_date(result.extract_date)}."
    )
    by_check = result.warnings_by_check()
    total = sum(by_check.values())
    if total:
        print(f"{total:,} warning{'s' if total != 1 else ''} stored for the data-quality view:")
        for check, count in by_check.items():
            print(f"  {check}: {count:,}")
    else:
        print("No warnings.")
    _alerts_after_import(args.db, result.import_id)
    return EXIT_OK


def _alerts_after_import(url: str | None, import_id: int) -> None:
    """Evaluate the alerts of the subscriptions file after an import; report, never fail.

    The import has succeeded whatever happens here: what fired is printed, a refused
    recipient or a problem (a mail server that cannot be reached, say) goes to standard
    error, and the exit code stays the import's.
    """
    from ete_metrics.data.db import make_engine
    from ete_metrics.delivery.alerts import evaluate_after_change

    try:
        engine = make_engine(url)
    except EteError as exc:
        print(f"Alert problem: the alerts were not evaluated: {exc}", file=sys.stderr)
        return
    try:
        run = evaluate_after_change(engine, now=datetime.now(UTC), trigger=f"import #{import_id}")
    finally:
        engine.dispose()
    for line in run.lines():
        told = line.startswith(("Alert fired", "Alert back"))
        print(line, file=sys.stdout if told else sys.stderr)


def _cmd_demo(args: argparse.Namespace) -> int:
    from ete_metrics.data.db import database_holdings, make_engine, record_audit
    from ete_metrics.data.demo import build_demo_database
    from ete_metrics.protect.access import local_access

    engine = make_engine(args.db)
    audit_problem = ""
    try:
        holdings = database_holdings(engine)  # cannot be read: an error saying what to check
        if args.if_empty and not holdings.empty:
            held = "the demo" if holdings.demo else "real data"
            print(
                f"The database already holds {held} ({holdings.describe()}): it was left as it is "
                "and the demo was not built."
            )
            return EXIT_OK
        # Real data is refused here (RealDataError, nothing changed) unless the flag says otherwise.
        import_id = build_demo_database(
            engine, n_participants=args.participants, seed=args.seed,
            replace_imported_data=args.replace_imported_data,
        )
        replaced = (
            f"; it replaced real data on purpose (--replace-imported-data): {holdings.describe()}"
            if holdings.real else ""
        )
        operator = local_access()
        try:
            record_audit(
                engine, occurred_at=datetime.now(UTC), actor=operator.email, role=operator.role,
                action="import",
                detail=f"import #{import_id} (replacing all data, command line): the synthetic demo "
                f"programme, seed {args.seed}, {args.participants:,} referrals{replaced}",
            )
        except (EteError, OSError) as exc:
            audit_problem = str(exc)
    finally:
        engine.dispose()
    print(f"Built a demo database of {args.participants:,} synthetic referrals (seed {args.seed}).")
    if audit_problem:
        print(
            f"Error: the demo was built but could not be recorded in the audit trail: {audit_problem}",
            file=sys.stderr,
        )
        return EXIT_UNEXPECTED
    return EXIT_OK


def _cmd_init_db(args: argparse.Namespace) -> int:
    from ete_metrics.data.db import create_schema, make_engine

    engine = make_engine(args.db)
    try:
        create_schema(engine)
    finally:
        engine.dispose()
    print("The database schema is ready.")
    return EXIT_OK


def _writable_output(path: str) -> Path:
    """The ``--out`` file, checked before any work is done (InputError when it cannot be written)."""
    from ete_metrics.errors import InputError

    out = Path(path).expanduser()
    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise InputError(f"--out {path} is a folder: give a file name, e.g. {out / 'report'}.")
    if not folder.is_dir():
        raise InputError(f"Cannot write {path}: the folder {folder} does not exist. Create it or choose another --out.")
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise InputError(f"Cannot write {path}: permission denied. Choose another --out file.")
    return out


def _cmd_report(args: argparse.Namespace) -> int:
    from ete_metrics import config
    from ete_metrics.data.audit import export_filters, record_export
    from ete_metrics.data.db import make_engine
    from ete_metrics.delivery.packs import user_pack
    from ete_metrics.errors import DatabaseError, InputError

    out = _writable_output(args.out)  # before any work: a bad path fails at once
    access = cli_metrics.user_access(args)  # a stakeholder user gets the stakeholder audience
    spelling = {r.casefold(): r for r in config.regions()}
    requested = [spelling.get(r.strip().casefold(), r) for r in args.region] if args.region else None
    regions = access.check_regions(requested)  # a region outside --as-user: refused
    browser = None
    if args.format in ("pptx", "pdf"):
        from ete_metrics.present.report.images import start_browser

        browser = start_browser()  # Chromium starts and loads plotly.js while the data are read
    engine = make_engine(args.db)
    try:
        with progress_bar(args.quiet) as progress:
            # the one pack builder: ``deliver`` emails the same file to this user
            pack = user_pack(
                engine, access, formats=(args.format,), audience=args.audience, regions=regions,
                as_of=args.as_of, progress=progress, browser=browser,
            )
        content, as_of = pack.files[args.format], pack.as_of
        # Recorded first: a report that cannot be recorded is not written.
        try:
            record_export(
                engine, occurred_at=datetime.now(UTC), access=access, file_name=out.name,
                content=content, source="command line",
                filters=export_filters(access, as_of=as_of, regions=regions, audience=args.audience,
                                       format=args.format),
            )
        except (EteError, OSError) as exc:
            raise DatabaseError(
                f"Nothing was written: the report could not be recorded in the audit trail. {exc}"
            ) from None
        temporary = out.with_name(f".{out.name}.partial")
        try:
            temporary.write_bytes(content)
            temporary.replace(out)  # never a half-written file under the real name
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise InputError(f"Could not write {out}: {exc.strerror}. Choose another --out file.") from None
    finally:
        engine.dispose()
        if browser is not None:
            browser.close()
    print(f"Wrote the {args.audience} {args.format} report as at {_uk_date(as_of)} to {out} ({len(content):,} bytes).")
    return EXIT_OK


def _add_report(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p_report = subparsers.add_parser(
        "report",
        help="write a stakeholder deck (pptx), contract review pack (pdf) or workbook (xlsx)",
        description="Write a presentation, contract review pack or workbook of the programme's figures.",
    )
    p_report.add_argument("--format", required=True, choices=("pptx", "pdf", "xlsx"), help="file format")
    p_report.add_argument("--out", required=True, metavar="FILE", help="file to write")
    p_report.add_argument(
        "--audience", choices=("internal", "stakeholder"), default="internal",
        help="stakeholder: disclosure-controlled figures (default: internal)",
    )
    p_report.add_argument(
        "--region", action="extend", nargs="+", default=None, metavar="REGION",
        help="only these regions, one or more: --region London Wales (default: all regions)",
    )
    p_report.add_argument(
        "--as-of", type=_iso_date, default=None, metavar="YYYY-MM-DD",
        help="the date the figures are as at (default: the data's cut-off)",
    )
    cli_metrics.add_as_user(p_report)
    _add_quiet(p_report)
    _add_db(p_report)
    p_report.set_defaults(func=_cmd_report)


#: ``deliver``: a pack could not be built or emailed (recorded; tried again at the next run).
EXIT_NOT_SENT = 3


def _cmd_deliver(args: argparse.Namespace) -> int:
    """The packs due (:func:`_deliver_packs`), then the alerts of the same file."""
    code = _deliver_packs(args)
    return _deliver_alerts(args, code)


def _deliver_alerts(args: argparse.Namespace, code: int) -> int:
    """Evaluate the alerts after the packs: what fired is printed; a failed send is an error
    (exit code 3, tried again at the next run) unless the packs' own exit code says more."""
    from zoneinfo import ZoneInfo

    from ete_metrics.data.db import make_engine
    from ete_metrics.delivery.alerts import evaluate_after_change

    today = args.as_of or datetime.now(ZoneInfo("Europe/London")).date()
    engine = make_engine(args.db)
    try:
        run = evaluate_after_change(
            engine, now=datetime.now(UTC), trigger="deliver", today=today, dry_run=args.dry_run
        )
    finally:
        engine.dispose()
    for line in run.lines():
        told = line.startswith(("Alert fired", "Alert back", "Alert would fire"))
        print(line, file=sys.stdout if told else sys.stderr)
    if run.problems and code == EXIT_OK:
        print(
            "Error: an alert could not be evaluated or sent (above); it is tried again at the next run.",
            file=sys.stderr,
        )
        return EXIT_NOT_SENT
    return code


def _deliver_packs(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from ete_metrics.data.db import delivery_lock, make_engine
    from ete_metrics.delivery.mail import SmtpSettings
    from ete_metrics.delivery.subscriptions import read_subscriptions
    from ete_metrics.protect.access import read_access_file

    # the day of the run in England (bank holidays and working days are England's)
    today = args.as_of or datetime.now(ZoneInfo("Europe/London")).date()
    subscriptions = read_subscriptions()
    access_list = read_access_file()  # a recipient is a user: the access file decides
    settings = None if args.dry_run else SmtpSettings.from_env(os.environ)
    engine = make_engine(args.db)
    try:
        if args.dry_run:
            return _deliver_run(args, engine, subscriptions, access_list, settings, today)
        with delivery_lock(engine) as taken:  # one run at a time: no pack sent twice
            if not taken:
                print(
                    "Another deliver run is under way on this database: this one did nothing "
                    "(that run sends what is due)."
                )
                return EXIT_OK
            return _deliver_run(args, engine, subscriptions, access_list, settings, today)
    finally:
        engine.dispose()


def _deliver_run(
    args: argparse.Namespace,
    engine: Engine,
    subscriptions: SubscriptionFile,
    access_list: AccessList,
    settings: SmtpSettings | None,
    today: date,
) -> int:
    """Plan, then (unless ``--dry-run``) build, send and record; print what became of each."""
    from ete_metrics.data.db import data_cutoff, load_deliveries
    from ete_metrics.delivery.deliver import deliver, describe_plan, plan_deliveries

    plan = plan_deliveries(
        subscriptions, access_list, load_deliveries(engine), as_of=today, now=args.now
    )
    kind = "every subscription's latest pack" if args.now else "the packs due"
    print(f"Delivery of {kind} on {_uk_date(today)} ({subscriptions.source}):")
    if args.dry_run or not plan.planned:
        for line in describe_plan(plan, dry_run=True):
            print(f"  {line}")
        if not plan.planned:
            print("Nothing to send.")
        else:
            print(f"Dry run: nothing was sent or recorded ({len(plan.planned)} to send).")
        return EXIT_OK
    assert settings is not None
    outcomes = deliver(
        engine, plan, settings, attempted_at=datetime.now(UTC), data_to=data_cutoff(engine)
    )
    for outcome in outcomes:
        if outcome.sent:
            print(f"  Sent {outcome.planned.describe()}.")
        else:
            print(
                f"  Not sent: {outcome.planned.describe()}: {outcome.problem.rstrip('.')}. "
                "It will be tried again at the next run."
            )
        if not outcome.recorded:
            print(
                f"  Not recorded: {outcome.planned.describe()}: {outcome.record_problem}",
                file=sys.stderr,
            )
    for line in describe_plan(plan)[len(plan.planned):]:
        print(f"  {line}")
    sent = sum(outcome.sent for outcome in outcomes)
    failed = len(outcomes) - sent
    print(
        f"{sent} sent, {failed} not sent, {len(plan.refused)} refused, "
        f"{len(plan.up_to_date)} up to date."
    )
    if any(not outcome.recorded for outcome in outcomes):
        print(
            "Error: some deliveries could not be recorded (above): a pack sent may be sent "
            "again at the next run.",
            file=sys.stderr,
        )
        return EXIT_UNEXPECTED
    if failed:
        print(
            f"Error: {failed} pack{'s' if failed != 1 else ''} could not be sent (above); "
            "recorded, and tried again at the next run.",
            file=sys.stderr,
        )
        return EXIT_NOT_SENT
    return EXIT_OK


def _add_deliver(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p_deliver = subparsers.add_parser(
        "deliver",
        help="email each subscriber's pack when it is due (subscriptions.toml; SMTP settings)",
        description="Email the packs of the subscriptions file (ETE_SUBSCRIPTIONS_FILE, by "
        "default subscriptions.toml beside the access file) by SMTP (ETE_SMTP_HOST, "
        "ETE_SMTP_PORT, ETE_SMTP_FROM, optional ETE_SMTP_USER and ETE_SMTP_PASSWORD). Each "
        "recipient gets the pack `report --as-user` gives them; a period's pack is sent once "
        "per recipient, a failed one is tried again at the next run (exit code 3).",
    )
    when = p_deliver.add_mutually_exclusive_group()
    when.add_argument(
        "--due", action="store_true",
        help="send the packs that are due and not sent yet (the default)",
    )
    when.add_argument(
        "--now", action="store_true",
        help="send every subscription's pack of the latest period now, even if it was sent",
    )
    p_deliver.add_argument(
        "--dry-run", action="store_true",
        help="list what would be sent; send nothing, build nothing, record nothing",
    )
    p_deliver.add_argument(
        "--as-of", type=_iso_date, default=None, metavar="YYYY-MM-DD",
        help="the day of the run, for what is due (default: today in England)",
    )
    _add_db(p_deliver)
    p_deliver.set_defaults(func=_cmd_deliver)


def build_parser() -> argparse.ArgumentParser:
    """Build the ``python -m ete_metrics`` argument parser.

    Returns
    -------
    argparse.ArgumentParser
        With the ``import``, ``demo`` and ``init-db`` commands and the metric
        commands of :mod:`ete_metrics.cli_metrics`. Each command sets ``func``,
        a callable taking the parsed arguments and returning an exit code.
    """
    parser = argparse.ArgumentParser(
        prog="python -m ete_metrics",
        description="ETE Outcomes: import extracts, build the demo database and compute metrics.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True

    p_import = subparsers.add_parser(
        "import",
        help="validate an extract and load it into the database",
        description="Validate an extract (CSV or .xlsx) and load it in one transaction. "
        "Any error rejects the whole import; warnings are stored. Format: data/README.md.",
    )
    p_import.add_argument("--participants", required=True, metavar="FILE", help="participants file")
    p_import.add_argument(
        "--milestones",
        action="append",
        metavar="FILE",
        help="milestones file (with --profile or --mapping: may be given several times, or left out)",
    )
    source = p_import.add_mutually_exclusive_group()
    source.add_argument(
        "--profile",
        metavar="NAME",
        help="the files are another system's export: refer-and-monitor or cats (data/README.md)",
    )
    source.add_argument(
        "--mapping", metavar="FILE", help="a TOML mapping file for another layout (data/README.md)"
    )
    p_import.add_argument(
        "--region-map",
        metavar="FILE",
        help="CSV source,region: contract reference or name -> region (with --profile/--mapping)",
    )
    p_import.add_argument("--targets", metavar="FILE", default=None, help="targets file (optional)")
    p_import.add_argument(
        "--replace-all",
        action="store_true",
        help="make the extract the whole database (default: update the participants it contains)",
    )
    p_import.add_argument(
        "--extract-date",
        type=_iso_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day the extract was taken (default: today); later dates are warned about",
    )
    _add_quiet(p_import)
    _add_db(p_import)
    p_import.set_defaults(func=_cmd_import)

    p_demo = subparsers.add_parser(
        "demo",
        help="build a synthetic demo database (never over real data unless told to)",
        description="Build the synthetic demo programme in the database. A database holding "
        "real data (imported, or of unknown origin) is refused and left unchanged: choose "
        "another database with --db or ETE_DATABASE_URL, or give --replace-imported-data to "
        "replace it on purpose. An empty database, or one holding the demo, is (re)built.",
    )
    p_demo.add_argument(
        "--participants",
        type=_positive_int,
        default=45_000,
        metavar="N",
        help="number of synthetic referrals (default 45,000)",
    )
    p_demo.add_argument(
        "--seed", type=int, default=20210601, metavar="S", help="random seed (default 20210601)"
    )
    overwrite = p_demo.add_mutually_exclusive_group()
    overwrite.add_argument(
        "--if-empty",
        action="store_true",
        help="build only when the database holds no data at all; otherwise leave it as it is "
        "(used by make run)",
    )
    overwrite.add_argument(
        "--replace-imported-data",
        action="store_true",
        help="replace the real data a database holds with the synthetic demo (every participant, "
        "milestone and target stored is deleted); without it such a database is refused",
    )
    _add_db(p_demo)
    p_demo.set_defaults(func=_cmd_demo)

    p_init = subparsers.add_parser("init-db", help="create the database schema (safe to re-run)")
    _add_db(p_init)
    p_init.set_defaults(func=_cmd_init_db)

    cli_metrics.register(subparsers)
    _add_report(subparsers)
    _add_deliver(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for bad input (message on stderr), 1 for an unexpected failure.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_BAD_INPUT
    func = getattr(args, "func", None)
    if func is None:
        parser.print_usage(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return int(func(args) or 0)
    except EteError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("Interrupted; nothing more was done.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped early (``... --format csv | head``): not a fault
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        print(
            f"Sorry, something unexpected went wrong ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no details'}). "
            "Please report it with the command you ran.",
            file=sys.stderr,
        )
        return EXIT_UNEXPECTED
