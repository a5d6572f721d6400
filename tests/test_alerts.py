"""Alerts (issue 29): the ``[[alert]]`` rules, their evaluation, and firing once per change.

The figures are built by hand and the expected readings worked out by hand from the rules
of :mod:`ete_metrics.metrics.targets` (RAG: Red below 86% of the cumulative target to date,
Green from 100%) and the funnel's rate from entry. The firing tests run the ``import``
command against a real SMTP server on the loopback (``tests/smtp_support.py``).

The scenario (contract start 1 Jun 2021; targets for the "into work" measure of 2 a month in
June and July 2021 for Wales and for London, so 4 each to date in July):

- RED extract: 4 Wales participants entered 7 Jun 2021, one job start (20 Jul 2021);
  8 London participants entered 7 Jun 2021, each a job start on 1 Jul 2021. Cut-off
  20 Jul 2021. Wales: 1 of 4 = 25% < 86%: Red. Programme: 9 of 8 = 112.5%: Green.
- GREEN extract: the same, with all 4 Wales participants in work (5, 6, 7 and 20 Jul 2021):
  Wales 4 of 4 = 100%: Green.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alerts_support import *  # noqa: F403
from alerts_support import received
from smtp_support import *  # noqa: F403
from smtp_support import SmtpServer, closed_port

from ete_metrics import cli, steps
from ete_metrics.data import db
from ete_metrics.delivery.alerts import (
    BELOW,
    NO_IMPORT,
    RED,
    AlertRule,
    evaluate_after_change,
    evaluate_alerts,
    parse_alerts,
    recipients,
)
from ete_metrics.errors import DeliveryError, EteError
from ete_metrics.protect.access import parse_access

#: The "into work" step and the training step, from the vocabulary.
WORK = steps.WORK
TRAINING = steps.TRAINING
JOB_START = WORK.milestone
assert WORK.target_measure is not None

DIRECTOR = "director@example.org"
LEAD = "lead.wales@example.org"
LONDON_LEAD = "lead.london@example.org"
STAKEHOLDER = "partner@example.org"
UNKNOWN = "stranger@example.org"

ACCESS = f"""
[users."{DIRECTOR}"]
role = "director"

[users."{LEAD}"]
role = "regional_lead"
regions = ["Wales"]

[users."{LONDON_LEAD}"]
role = "regional_lead"
regions = ["London"]

[users."{STAKEHOLDER}"]
role = "stakeholder"
"""

WALES_IDS = ("W1", "W2", "W3", "W4")
LONDON_IDS = tuple(f"L{n}" for n in range(1, 9))


def _participants() -> str:
    rows = [f"{pid},Wales,2021-06-01,2021-06-07" for pid in WALES_IDS]
    rows += [f"{pid},London,2021-06-01,2021-06-07" for pid in LONDON_IDS]
    return "participant_id,region,referral_date,entry_date\n" + "\n".join(rows) + "\n"


def _milestones(wales_jobs: dict[str, str]) -> str:
    rows = [f"{pid},{JOB_START},{day}" for pid, day in wales_jobs.items()]
    rows += [f"{pid},{JOB_START},2021-07-01" for pid in LONDON_IDS]
    return "participant_id,milestone,date\n" + "\n".join(rows) + "\n"


RED_JOBS = {"W1": "2021-07-20"}
GREEN_JOBS = {"W1": "2021-07-05", "W2": "2021-07-06", "W3": "2021-07-07", "W4": "2021-07-20"}
TARGETS = "region,period_start,measure,target\n" + "".join(
    f"{region},{month},{WORK.target_measure},2\n"
    for region in ("Wales", "London")
    for month in ("2021-06-01", "2021-07-01")
)
CUTOFF = date(2021, 7, 20)


def _frames(wales_jobs: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The extract as frames (for the pure evaluation)."""
    from io import StringIO

    from ete_metrics.data import frames

    participants = pd.read_csv(
        StringIO(_participants()), parse_dates=["referral_date", "entry_date"]
    )
    milestones = pd.read_csv(StringIO(_milestones(wales_jobs)), parse_dates=["date"])
    targets = pd.read_csv(StringIO(TARGETS), parse_dates=["period_start"])
    return (
        frames.conform_participants(participants),
        frames.conform_milestones(milestones),
        frames.conform_targets(targets),
    )


NO_IMPORTS = pd.DataFrame({"imported_at": [], "extract_date": []})


def _rule(condition: str, **fields: object) -> AlertRule:
    return AlertRule(number=1, condition=condition, to=(DIRECTOR,), **fields)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- parsing


def _alerts_text(*entries: str) -> str:
    return "".join(f"[[alert]]\n{entry}\n" for entry in entries)


def test_a_rule_of_each_kind_is_read_with_the_vocabulary_s_words_or_codes() -> None:
    rules = parse_alerts(
        _alerts_text(
            f'measure = "{WORK.label.upper()}"\ncondition = "Red"\nregions = ["wales"]\nto = "{LEAD}"',
            f'measure = "{TRAINING.name}"\ncondition = "below"\npercent = 27.5\n'
            f'to = ["{DIRECTOR}", " {DIRECTOR.upper()} "]',
            f'condition = "no import"\ndays = 10\nto = ["{DIRECTOR}"]',
        ),
        source="subs.toml",
    )
    assert [(r.number, r.condition, r.measure, r.regions) for r in rules] == [
        (1, RED, WORK.target_measure, ("Wales",)),
        (2, BELOW, TRAINING.name, None),
        (3, NO_IMPORT, None, None),
    ]
    assert rules[0].to == (LEAD,) and rules[1].to == (
        DIRECTOR,
    )  # read as the access file reads them
    assert rules[1].percent == Fraction(55, 2) and rules[2].days == 10
    assert rules[0].rule == f"{WORK.label} RAG turns Red" and rules[0].scope == "Wales"
    assert rules[1].rule == f"{TRAINING.label} rate from entry falls below 27.5%"
    assert rules[1].scope == "All regions"
    assert rules[2].rule == "No import for 10 days"
    # a file with subscriptions only has no alerts
    assert parse_alerts("", source="subs.toml") == ()


@pytest.mark.parametrize(
    ("entry", "key", "advice"),
    [
        ('measure = "x"\ncondition = "amber"\nto = "a@example.org"', "condition", '"red"'),
        ('condition = "red"\nto = "a@example.org"', "measure", "use one of"),
        (
            f'measure = "{steps.sustained_steps()[0]}"\ncondition = "red"\nto = "a@example.org"',
            "measure",
            "contract targets",
        ),
        (
            f'measure = "{WORK.name}"\ncondition = "below"\nto = "a@example.org"',
            "percent",
            "percent = 35",
        ),
        (
            f'measure = "{WORK.name}"\ncondition = "below"\npercent = 0\nto = "a@example.org"',
            "percent",
            "above 0",
        ),
        (
            f'measure = "{WORK.name}"\ncondition = "below"\npercent = 101\nto = "a@example.org"',
            "percent",
            "at most 100",
        ),
        ('condition = "no_import"\ndays = 0\nto = "a@example.org"', "days", "at least 1"),
        (
            'condition = "no_import"\ndays = 2\nregions = ["Wales"]\nto = "a@example.org"',
            "regions",
            "use ",
        ),
        (
            f'measure = "{WORK.name}"\ncondition = "red"\nregions = ["Mars"]\nto = "a@example.org"',
            "regions",
            "unknown region",
        ),
        (
            f'measure = "{WORK.name}"\ncondition = "red"\nto = ["a@example.org", "not an email"]',
            "to entry 2",
            "email",
        ),
        (f'measure = "{WORK.name}"\ncondition = "red"', "to", "must list who is told"),
        (
            f'measure = "{WORK.name}"\ncondition = "red"\nto = "a@example.org"\nevery = "month"',
            "every",
            "not a key",
        ),
    ],
)
def test_a_bad_rule_is_refused_naming_the_file_the_alert_and_the_key(
    entry: str, key: str, advice: str
) -> None:
    text = _alerts_text('condition = "no_import"\ndays = 3\nto = "b@example.org"', entry)
    with pytest.raises(DeliveryError) as caught:
        parse_alerts(text, source="subs.toml")
    message = str(caught.value)
    assert isinstance(caught.value, EteError)
    assert message.startswith(f"subs.toml: alert 2: {key} "), message
    assert advice in message, message
    assert "not an email" not in message.replace("is not an email address", "")  # value not echoed


def test_a_repeated_rule_and_a_single_bracket_alert_are_refused() -> None:
    rule = f'measure = "{WORK.name}"\ncondition = "red"\nregions = ["Wales"]\n'
    with pytest.raises(DeliveryError, match=r"subs.toml: alert 2: repeats alert 1 .*one to"):
        parse_alerts(
            _alerts_text(rule + f'to = "{LEAD}"', rule + f'to = "{DIRECTOR}"'), source="subs.toml"
        )
    with pytest.raises(DeliveryError, match=r"subs.toml: alert must be written \[\[alert\]\]"):
        parse_alerts('[alert]\ncondition = "red"\n', source="subs.toml")
    with pytest.raises(DeliveryError, match="subs.toml is not valid TOML"):
        parse_alerts("[[alert]\n", source="subs.toml")


# --------------------------------------------------------------------------- evaluation


def test_the_rag_of_a_region_and_of_the_programme_worked_out_by_hand() -> None:
    participants, milestones, targets = _frames(RED_JOBS)
    before = (participants.copy(), milestones.copy(), targets.copy())
    wales = _rule(RED, measure=WORK.target_measure, regions=("Wales",))
    programme = _rule(RED, measure=WORK.target_measure)
    readings = evaluate_alerts(
        [wales, programme], participants, milestones, targets, NO_IMPORTS, as_of=CUTOFF
    )
    # Wales: 1 job start against 2 + 2 = 4 to date: 25%, Red. Programme: 1 + 8 = 9 against 8: Green.
    assert [r.firing for r in readings] == [True, False]
    assert (
        readings[0].words
        == "Job starts to date: 1 against a target to date of 4 (25.0% of target): Red."
    )
    assert readings[1].words.startswith(
        "Job starts to date: 9 against a target to date of 8 (112.5%"
    )
    for frame, kept in zip((participants, milestones, targets), before, strict=True):
        pd.testing.assert_frame_equal(frame, kept)  # inputs unchanged
    green = evaluate_alerts([wales], *_frames(GREEN_JOBS), NO_IMPORTS, as_of=CUTOFF)
    assert green[0].firing is False and green[0].words.endswith("(100.0% of target): Green.")
    # 3 of 4 = 75%: below 86%, still Red; no target yet (as at June 2020 is before the contract)
    three = {**GREEN_JOBS}
    three.pop("W4")
    assert evaluate_alerts([wales], *_frames(three), NO_IMPORTS, as_of=CUTOFF)[0].firing is True
    early = evaluate_alerts([wales], *_frames(RED_JOBS), NO_IMPORTS, as_of=date(2020, 6, 1))
    assert early[0].firing is None


def test_a_rate_from_entry_falling_below_a_line_worked_out_by_hand() -> None:
    participants, milestones, targets = _frames(RED_JOBS)
    # Wales: 4 entered, 1 in work = 25%. Below 30%: fires; below 25%: does not (25% is not below it).
    rules = [
        _rule(BELOW, measure=WORK.name, regions=("Wales",), percent=Fraction(30)),
        _rule(BELOW, measure=WORK.name, regions=("Wales",), percent=Fraction(25)),
        # programme: 12 entered, 9 in work = 75%: below 75.5%, not below 75%
        _rule(BELOW, measure=WORK.name, percent=Fraction("75.5")),
        _rule(BELOW, measure=WORK.name, percent=Fraction(75)),
        # nobody in training: 0% is below any line
        _rule(BELOW, measure=TRAINING.name, regions=("Wales",), percent=Fraction(1)),
    ]
    readings = evaluate_alerts(rules, participants, milestones, targets, NO_IMPORTS, as_of=CUTOFF)
    assert [r.firing for r in readings] == [True, False, True, False, True]
    assert readings[0].words == f"{WORK.label}: 1 of 4 entered (25.0%); the alert's line is 30%."
    # as at the day before anyone entered: no reading (the stored state is kept)
    assert (
        evaluate_alerts(
            rules[:1], participants, milestones, targets, NO_IMPORTS, as_of=date(2021, 6, 6)
        )[0].firing
        is None
    )


def test_no_import_for_n_days_worked_out_by_hand() -> None:
    empty = _frames({})
    imports = pd.DataFrame(
        {
            "imported_at": pd.to_datetime(["2023-02-20 16:00", "2023-03-01 10:30", None]),
            "extract_date": pd.to_datetime(["2023-02-20", "2023-03-01", "2023-02-25"]),
        }
    )
    ten, eleven = _rule(NO_IMPORT, days=10), _rule(NO_IMPORT, days=11)
    # latest import 1 Mar 2023; 11 Mar 2023 is 10 days later: 10 days fires, 11 does not
    readings = evaluate_alerts(
        [ten, eleven], *empty, imports, as_of=CUTOFF, today=date(2023, 3, 11)
    )
    assert [r.firing for r in readings] == [True, False]
    assert readings[0].words == "The latest import was on 1 Mar 2023, 10 days before 11 Mar 2023."
    # the day after, both
    later = evaluate_alerts([ten, eleven], *empty, imports, as_of=CUTOFF, today=date(2023, 3, 12))
    assert [r.firing for r in later] == [True, True]
    # an import recorded without a time counts on its extract date (12 Mar: 1 day after 11 Mar)
    undated = pd.DataFrame(
        {"imported_at": pd.to_datetime([None]), "extract_date": pd.to_datetime(["2023-03-11"])}
    )
    assert (
        evaluate_alerts([ten], *empty, undated, as_of=CUTOFF, today=date(2023, 3, 12))[0].firing
        is False
    )
    # none recorded: fires
    assert (
        evaluate_alerts([ten], *empty, NO_IMPORTS, as_of=CUTOFF, today=date(2023, 3, 12))[0].firing
        is True
    )


# --------------------------------------------------------------------------- recipients


def test_recipients_unknown_stakeholder_or_narrower_than_the_scope_are_refused() -> None:
    listed = parse_access(ACCESS, source="access.toml")
    wales = AlertRule(
        1,
        RED,
        measure=WORK.target_measure,
        regions=("Wales",),
        to=(LEAD, UNKNOWN, DIRECTOR, LONDON_LEAD),
    )
    allowed, refused = recipients(wales, listed)
    assert [a.email for a in allowed] == [LEAD, DIRECTOR]
    assert len(refused) == 2
    assert "recipient 2 of to is not in the access file access.toml" in refused[0]
    assert (
        "recipient 4 of to may see only London, narrower than the alert's scope (Wales)"
        in refused[1]
    )
    programme = AlertRule(2, RED, measure=WORK.target_measure, to=(LEAD, STAKEHOLDER, DIRECTOR))
    allowed, refused = recipients(programme, listed)
    assert [a.email for a in allowed] == [DIRECTOR]
    assert "alert 2" in refused[0] and "recipient 1 of to may see only Wales" in refused[0]
    assert "recipient 2 of to is a stakeholder" in refused[1]
    for line in refused:
        assert "@" not in line  # nobody's address in what the run prints
    # no import for days: about no region, so a lead may be told
    assert [
        a.email for a in recipients(AlertRule(3, NO_IMPORT, days=3, to=(LEAD,)), listed)[0]
    ] == [LEAD]
    # no access file: everyone refused
    assert recipients(wales, None)[0] == []


# --------------------------------------------------------------------------- firing, through the import


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The access file and a subscriptions file with two alerts on the "into work" RAG."""
    access = tmp_path / "access.toml"
    access.write_text(ACCESS, encoding="utf-8")
    subscriptions = tmp_path / "subscriptions.toml"
    subscriptions.write_text(
        _alerts_text(
            # Wales: the lead, an unknown address and the London lead (refused)
            f'measure = "{WORK.target_measure}"\ncondition = "red"\nregions = ["Wales"]\n'
            f'to = ["{LEAD}", "{UNKNOWN}", "{LONDON_LEAD}"]',
            # the whole programme: the director (Green throughout: never fires)
            f'measure = "{WORK.label}"\ncondition = "red"\nto = ["{DIRECTOR}"]',
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("ETE_ACCESS_FILE", str(access))
    monkeypatch.setenv("ETE_SUBSCRIPTIONS_FILE", str(subscriptions))
    return tmp_path


def _import(folder: Path, url: str, wales_jobs: dict[str, str], name: str) -> int:
    participants, milestones, targets = (folder / f"{name}_{f}.csv" for f in ("p", "m", "t"))
    participants.write_text(_participants(), encoding="utf-8")
    milestones.write_text(_milestones(wales_jobs), encoding="utf-8")
    targets.write_text(TARGETS, encoding="utf-8")
    return cli.main(
        [
            "import", "--participants", str(participants), "--milestones", str(milestones),
            "--targets", str(targets), "--replace-all", "--extract-date", "2021-07-21", "--db", url,
            "--quiet",
        ]
    )  # fmt: skip


def _alert_audit(url: str) -> pd.DataFrame:
    engine = db.make_engine(url)
    try:
        return db.load_audit(engine, actions=["alert"]).sort_values("id").reset_index(drop=True)
    finally:
        engine.dispose()


def test_a_region_s_work_rag_fires_once_when_an_import_turns_it_red_and_again_only_after_a_change(
    configured: Path,
    smtp_server: SmtpServer,
    smtp_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{configured / 'ete.db'}"
    # 1. Wales turns Red: one email, to the lead only
    assert _import(configured, url, RED_JOBS, "first") == 0
    out, err = capsys.readouterr()
    assert "Imported 12 participants" in out
    assert f"Alert fired: alert 1, {WORK.label} RAG turns Red (Wales)" in out
    assert "Sent to 1 recipient." in out
    assert "alert 1" in err and "recipient 2 of to is not in the access file" in err
    assert "recipient 3 of to may see only London" in err
    assert UNKNOWN not in out + err and LEAD not in out + err
    assert received(smtp_server) == [(LEAD,)]
    message = smtp_server.handler.messages()[0]
    assert message["Subject"] == f"ETE alert: {WORK.label} RAG turns Red (Wales)"
    assert message["From"] == smtp_env["ETE_SMTP_FROM"]
    body = message.get_content()
    assert (
        "As at 20 Jul 2021: Job starts to date: 1 against a target to date of 4 (25.0% of target): Red."
        in body
    )
    for pid in (*WALES_IDS, *LONDON_IDS):
        assert pid not in body.split() and f"{pid}," not in body
    audit = _alert_audit(url)
    assert audit["actor"].tolist() == [LEAD] and audit["role"].tolist() == ["regional_lead"]
    assert f"{WORK.label} RAG turns Red, Wales" in audit.loc[0, "detail"]
    assert "import #1" in audit.loc[0, "detail"]
    assert json.loads(audit.loc[0, "filters"])["alert_scope"] == "Wales"
    assert json.loads(audit.loc[0, "filters"])["scope"] == ["Wales"]

    # 2. the same data again: still Red, no email
    assert _import(configured, url, RED_JOBS, "second") == 0
    out, _ = capsys.readouterr()
    assert "Alert fired" not in out
    assert len(received(smtp_server)) == 1

    # 3. back to Green: no email, the state changes back
    assert _import(configured, url, GREEN_JOBS, "third") == 0
    out, _ = capsys.readouterr()
    assert "Alert back to normal: alert 1" in out and "(100.0% of target): Green." in out
    assert len(received(smtp_server)) == 1

    # 4. Red again: fires again, once
    assert _import(configured, url, RED_JOBS, "fourth") == 0
    out, _ = capsys.readouterr()
    assert "Alert fired: alert 1" in out
    assert received(smtp_server) == [(LEAD,), (LEAD,)]
    assert _alert_audit(url)["actor"].tolist() == [LEAD, LEAD]
    engine = db.make_engine(url)
    try:
        fired = db.load_alerts_fired(engine)
    finally:
        engine.dispose()
    assert fired["rule"].tolist() == [f"{WORK.label} RAG turns Red"] * 2
    assert fired["scope"].tolist() == ["Wales", "Wales"]
    assert fired["recipients"].tolist() == [1, 1]
    assert fired["as_of"].tolist() == [pd.Timestamp(CUTOFF)] * 2
    assert fired["trigger"].tolist() == ["import #4", "import #1"]  # newest first


def test_a_mail_server_that_is_down_never_breaks_the_import_and_the_alert_is_tried_again(
    configured: Path, smtp_server: SmtpServer, smtp_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    url = f"sqlite:///{configured / 'ete.db'}"
    monkeypatch.setenv("ETE_SMTP_PORT", str(closed_port()))  # nothing listens there
    assert _import(configured, url, RED_JOBS, "first") == 0
    out, err = capsys.readouterr()
    assert "Imported 12 participants" in out and "Alert fired" not in out
    assert "Alert problem: alert 1: the email to its allowed recipient 1 was not sent" in err
    assert "could not be reached" in err and "tried again at the next run" in err
    assert _alert_audit(url).empty
    # the server is back: the next import's run sends it (the state was not stored as fired)
    monkeypatch.setenv("ETE_SMTP_PORT", smtp_env["ETE_SMTP_PORT"])
    assert _import(configured, url, RED_JOBS, "second") == 0
    assert "Alert fired: alert 1" in capsys.readouterr()[0]
    assert received(smtp_server) == [(LEAD,)]


def test_no_mail_settings_or_a_bad_rules_file_are_reported_and_the_import_stands(
    configured: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{configured / 'ete.db'}"
    for name in ("ETE_SMTP_HOST", "ETE_SMTP_PORT", "ETE_SMTP_FROM"):
        monkeypatch.delenv(name, raising=False)
    assert _import(configured, url, RED_JOBS, "first") == 0
    _, err = capsys.readouterr()
    assert "Alert problem: alert 1" in err and "ETE_SMTP_HOST is not set" in err
    (configured / "subscriptions.toml").write_text(
        '[[alert]]\ncondition = "purple"\n', encoding="utf-8"
    )
    assert _import(configured, url, RED_JOBS, "second") == 0
    out, err = capsys.readouterr()
    assert "Imported 12 participants" in out
    assert (
        "Alert problem: the alerts could not be evaluated:" in err
        and "alert 1: condition is 'purple'" in err
    )
    engine = db.make_engine(url)
    try:
        assert len(db.load_imports(engine)) == 2
        assert db.alert_states(engine) == {}  # never fired: nothing stored as firing
    finally:
        engine.dispose()


def test_without_a_subscriptions_file_an_import_says_nothing_about_alerts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "ETE_ACCESS_FILE", str(tmp_path / "access.toml")
    )  # beside it: no subscriptions.toml
    monkeypatch.delenv("ETE_SUBSCRIPTIONS_FILE", raising=False)
    assert _import(tmp_path, f"sqlite:///{tmp_path / 'ete.db'}", RED_JOBS, "first") == 0
    out, err = capsys.readouterr()
    assert "Alert" not in out + err and err == ""


def test_a_dry_run_says_what_would_fire_and_stores_nothing(
    configured: Path, smtp_server: SmtpServer, smtp_env: dict[str, str]
) -> None:
    url = f"sqlite:///{configured / 'ete.db'}"
    assert _import_quietly(configured, url) == 0
    engine = db.make_engine(url)
    try:
        with engine.begin() as connection:  # forget what the import's run stored
            connection.execute(sa.text("DELETE FROM alert_states"))
        run = evaluate_after_change(
            engine, now=datetime(2021, 7, 21, 9, tzinfo=UTC), trigger="alerts", dry_run=True
        )
        assert (
            run.would_fire
            and "alert 1" in run.would_fire[0]
            and "To 1 recipient." in run.would_fire[0]
        )
        assert db.alert_states(engine) == {}
    finally:
        engine.dispose()
    assert len(received(smtp_server)) == 1  # the import's own run only


def _import_quietly(folder: Path, url: str) -> int:
    return _import(folder, url, RED_JOBS, "quiet")


def test_a_change_is_claimed_once_so_two_runs_at_once_send_once(engine: sa.Engine) -> None:
    # the state is claimed before the email is sent: a second claim of the same change is refused
    db.create_schema(engine)
    now = datetime(2021, 7, 21, 9, tzinfo=UTC)
    key = "a" * 64
    assert db.claim_alert(engine, key=key, rule="r", as_of=CUTOFF, at=now) is True
    assert db.claim_alert(engine, key=key, rule="r", as_of=CUTOFF, at=now) is False
    assert db.release_alert(engine, key=key, rule="r", as_of=CUTOFF, at=now) is True
    assert db.release_alert(engine, key=key, rule="r", as_of=CUTOFF, at=now) is False
    assert db.claim_alert(engine, key=key, rule="r", as_of=CUTOFF, at=now) is True
    assert db.alert_states(engine) == {key: True}


# --------------------------------------------------------------------------- deliver


def test_deliver_evaluates_the_alerts_once_per_change_and_a_dry_run_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer, smtp_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    url = f"sqlite:///{tmp_path / 'ete.db'}"
    monkeypatch.setenv("ETE_ACCESS_FILE", str(tmp_path / "access.toml"))
    monkeypatch.delenv("ETE_SUBSCRIPTIONS_FILE", raising=False)
    assert _import(tmp_path, url, RED_JOBS, "data") == 0  # no subscriptions file yet: no alerts
    engine = db.make_engine(url)
    try:
        imported = db.load_imports(engine)["imported_at"].iloc[0].date()
    finally:
        engine.dispose()
    (tmp_path / "access.toml").write_text(ACCESS, encoding="utf-8")
    (tmp_path / "subscriptions.toml").write_text(
        _alerts_text(
            f'measure = "{WORK.target_measure}"\ncondition = "red"\nregions = ["Wales"]\nto = "{LEAD}"',
            f'condition = "no_import"\ndays = 10\nto = "{DIRECTOR}"',
        ),
        encoding="utf-8",
    )
    capsys.readouterr()

    def deliver(day: date, *extra: str) -> tuple[int, str, str]:
        code = cli.main(["deliver", "--due", "--as-of", day.isoformat(), "--db", url, *extra])
        out, err = capsys.readouterr()
        return code, out, err

    # 9 days after the import: Wales is Red (figures as at the cut-off, 20 Jul 2021); no import
    # for 9 days is not yet 10. A dry run first: nothing sent, nothing stored.
    nine = imported + timedelta(days=9)
    code, out, _ = deliver(nine, "--dry-run")
    assert code == 0 and "Alert would fire (dry run, nothing sent): alert 1" in out
    assert "alert 2" not in out and received(smtp_server) == []
    code, out, _ = deliver(nine)
    assert code == 0 and "Alert fired: alert 1" in out and "alert 2" not in out
    assert received(smtp_server) == [(LEAD,)]
    # 10 days after: no import for 10 days fires; Wales, unchanged, does not fire again
    code, out, _ = deliver(nine + timedelta(days=1))
    assert code == 0 and "Alert fired: alert 2, No import for 10 days (All regions)" in out
    assert "alert 1" not in out
    assert received(smtp_server) == [(LEAD,), (DIRECTOR,)]
    code, out, _ = deliver(nine + timedelta(days=2))
    assert code == 0 and "Alert fired" not in out and len(received(smtp_server)) == 2
    assert [r for r in _alert_audit(url)["detail"] if "(deliver)" in r] != []


def test_the_example_file_s_alerts_are_valid_and_every_recipient_is_allowed() -> None:
    root = Path(__file__).resolve().parents[1]
    example = root / "subscriptions.example.toml"
    rules = parse_alerts(example.read_text(encoding="utf-8"), source=str(example))
    assert {rule.condition for rule in rules} == {RED, BELOW, NO_IMPORT}
    listed = parse_access((root / "access.example.toml").read_text(encoding="utf-8"))
    for rule in rules:
        allowed, refused = recipients(rule, listed)
        assert refused == [] and len(allowed) == len(rule.to)


def test_an_alert_fired_is_stored_with_its_audit_rows_and_read_back_newest_first(
    engine: sa.Engine,
) -> None:
    assert db.load_alerts_fired(engine).empty  # no tables yet: nothing fired
    assert db.alert_states(engine) == {}
    db.create_schema(engine)
    rows = [
        db.audit_values(
            occurred_at=datetime(2021, 7, 21, 9, 30, tzinfo=UTC), actor=LEAD, role="regional_lead",
            action="alert", detail="alert 1 fired", filters={"scope": ["Wales"], "alert_scope": "Wales"},
        )
    ]  # fmt: skip
    for when, trigger in (
        (datetime(2021, 7, 21, 9, 30, tzinfo=UTC), "import #1"),
        (datetime(2021, 8, 2, 17, 5), "deliver"),
    ):
        db.record_alert_fired(
            engine, fired_at=when, key="b" * 64, rule="No import for 10 days", scope="All regions",
            as_of=CUTOFF, reading="r", recipients=2, trigger=trigger, audit=rows,
        )  # fmt: skip
    fired = db.load_alerts_fired(engine)
    assert fired["trigger"].tolist() == ["deliver", "import #1"]
    assert fired["fired_at"].tolist() == [
        pd.Timestamp("2021-08-02 17:05"),
        pd.Timestamp("2021-07-21 09:30"),
    ]
    assert (
        fired["recipients"].tolist() == [2, 2]
        and fired["as_of"].tolist() == [pd.Timestamp(CUTOFF)] * 2
    )
    assert db.load_alerts_fired(engine, limit=1)["trigger"].tolist() == ["deliver"]
    audit = db.load_audit(engine, actions=["alert"])
    assert audit["actor"].tolist() == [LEAD, LEAD]
