"""The metric subcommands on a tiny extract saved with ete_metrics.data.db.save_extract.

Runs on SQLite and PostgreSQL through the ``database_url`` fixture of conftest.py.
"""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from cli_support import run, save_frames

from ete_metrics.data.frames import conform_milestones, conform_participants, conform_targets
from ete_metrics.steps import ENTERED, TRAINING, WORK


@pytest.fixture
def db(database_url: str) -> str:
    participants = conform_participants(pd.DataFrame([
        # id, region, referral, entry, delivery partner, pathway, prison
        ("P001", "London", "2023-01-02", "2023-01-10", "Alpha", "community", None),
        ("P002", "London", "2023-01-05", "2023-04-03", "Alpha", "community", None),
        ("P003", "Wales", "2023-02-01", "2023-02-15", "Beta", "custody", "HMP Cardiff"),
        ("P004", "Wales", "2023-03-01", None, "Beta", "community", None),
        ("P005", "North West", "2023-03-01", None, "Gamma", "community", None),
    ], columns=["participant_id", "region", "referral_date", "entry_date", "delivery_partner",
                "pathway", "prison"]))
    milestones = conform_milestones(pd.DataFrame([
        ("P001", "training_start", "2023-02-01", "College A"),
        ("P001", "job_start", "2023-03-01", "Employer X"),
        ("P002", "job_start", "2023-04-03", "Employer Y"),  # on the entry day: counts
        ("P003", "training_start", "2023-02-10", "College B"),  # before entry: does not count
        ("P003", "job_start", "2023-05-20", "Employer X"),  # the latest date in the data
    ], columns=["participant_id", "milestone", "date", "partner"]))
    targets = conform_targets(pd.DataFrame([
        ("London", "2023-01-01", "entered", 1),
        ("Wales", "2023-02-01", "entered", 2),
    ], columns=["region", "period_start", "measure", "target"]))
    return save_frames(database_url, participants, milestones, targets)


def test_funnel_csv_defaults_to_latest_date(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "funnel", "--db", db, "--by", "region", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["region", "step", "participants", "rate_from_entry",
                             "rate_from_previous", "ci_low", "ci_high"]
    got = {(r["region"], r["step"]): int(r["participants"]) for r in rows}
    # as_of defaults to the latest date, 2023-05-20. London: P001 (training, work), P002 (work
    # on entry day) -> 2, 1, 2. Wales: P003 (training before entry; job on as_of) -> 1, 0, 1.
    # North West: no one entered -> left out.
    assert got == {("London", "entered"): 2, ("London", "training"): 1, ("London", "work"): 2,
                   ("Wales", "entered"): 1, ("Wales", "training"): 0, ("Wales", "work"): 1}


def test_funnel_as_of_ordered_json(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    # as_of 2023-05-19: P003's job (20 May) is after it. Ordered: P001 training 1 Feb then job
    # 1 Mar -> work; P002 has no training -> no. So entered 3, training 1, work 1.
    code, out, err = run(capsys, "funnel", "--db", db, "--as-of", "2023-05-19", "--ordered",
                         "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert [(r["step"], r["participants"]) for r in records] == [
        ("entered", 3), ("training", 1), ("work", 1)]
    assert records[0]["rate_from_previous"] is None


def test_funnel_referral_window_and_range(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    # referrals 2 Jan .. 1 Mar: P001..P005 = 5; entered P001, P002, P003 = 3; training P001 = 1;
    # work P001, P002, P003 = 3
    code, out, err = run(capsys, "funnel", "--db", db, "--referral", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["step"], int(r["participants"])) for r in rows] == [
        ("referred", 5), ("entered", 3), ("training", 1), ("work", 3)]
    # entries from 1 Feb to 30 Apr: P002, P003; window 30 days, as_of 20 May: mature entries on or
    # before 20 Apr -> both; P002's job within 30 days (day 0) counts, P003's (94 days) does not
    code, out, err = run(capsys, "funnel", "--db", db, "--from", "2023-02-01", "--to", "2023-04-30",
                         "--window-days", "30", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["step"], int(r["participants"])) for r in rows] == [
        ("entered", 2), ("training", 0), ("work", 1)]


def test_funnel_table_is_readable(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "funnel", "--db", db, "--by", "region")
    assert code == 0, err
    assert "20 May 2023" in out
    assert "%" in out and "London" in out


def test_bad_grouping_is_a_message_not_a_traceback(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "funnel", "--db", db, "--by", "shoe_size")
    assert code == 2
    assert "Cannot group by 'shoe_size'" in err
    assert "Traceback" not in err and out == ""


def test_compare_and_targets(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "compare", "--db", db, "--format", "json")
    assert code == 0, err
    records = {r["region"]: r for r in json.loads(out)}
    # work: London 2/2, Wales 1/1 -> overall 3/3 = 1
    assert records["London"]["overall_rate"] == 1.0
    assert records["London"]["position"] == "within"
    code, out, err = run(capsys, "targets", "--db", db, "--region", "London", "--format", "csv")
    assert code == 0, err
    rows = [r for r in csv.DictReader(io.StringIO(out)) if r["measure"] == ENTERED.name]
    # months Jun 2021 .. May 2023 = 24; London entered Jan 2023 (target 1) and Apr 2023
    assert len(rows) == 24
    jan = next(r for r in rows if r["period_start"] == "2023-01-01")
    assert (jan["target"], jan["actual"], jan["rag"]) == ("1", "1", "green")
    code, out, err = run(capsys, "targets", "--db", db, "--summary", "--format", "json")
    assert code == 0, err
    summary = json.loads(out)
    total = next(r for r in summary if r["region"] == "All regions" and r["measure"] == ENTERED.name)
    # entered 3 of target 1 + 2 = 3 -> 100% green
    assert (total["actual_to_date"], total["target_to_date"], total["rag"]) == (3, 3, "green")


def test_compare_adjusted_for_pathway(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "compare", "--db", db, "--step", TRAINING.name,
                         "--adjust-for", "pathway", "--format", "json")
    assert code == 0, err
    records = {r["region"]: r for r in json.loads(out)}
    # as at 20 May 2023: community stratum P001 (training 1 Feb) and P002 (none) -> 1/2;
    # custody stratum P003 (training before entry: not counted) -> 0/1.
    # London: O = 1, E = 0.5 + 0.5 = 1, ratio 1, exact 95% limits for O = 1: 0.0253 to 5.5716
    # Wales: O = 0, E = 0 -> no ratio
    london, wales = records["London"], records["Wales"]
    assert (london["observed"], london["expected"], london["ratio"]) == (1, 1.0, 1.0)
    assert london["ratio_low"] == pytest.approx(0.0253, abs=1e-4)
    assert london["ratio_high"] == pytest.approx(5.5716, abs=1e-4)
    assert (wales["observed"], wales["expected"], wales["ratio"]) == (0, 0.0, None)
    code, out, err = run(capsys, "compare", "--db", db, "--step", TRAINING.name, "--adjust-for",
                         "pathway", "--format", "json", "--audience", "stakeholder")
    assert code == 0, err
    london = {r["region"]: r for r in json.loads(out)}["London"]
    # observed 1 is suppressed; the expected count and its ratio are a model of each person's
    # records, not published counts: not published to stakeholders
    assert london["observed"] == "[c]"
    assert not {"expected", "ratio", "ratio_low", "ratio_high"} & set(london)


def test_compare_refuses_an_unknown_adjustment(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "compare", "--db", db, "--adjust-for", "ethnicity")
    assert code != 0 and out == ""
    assert "invalid choice: 'ethnicity'" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["cohorts", "--cohort", "entry_quarter", "--outcome", WORK.name],
        ["time-to-outcome", "--by", "region"],
        ["partners", "--kind", "delivery"],
        ["partners", "--kind", "training"],
        ["partners", "--kind", "employers"],
        ["partners", "--kind", "prisons"],
    ],
)
def test_c2_commands_run_in_every_format(db: str, capsys: pytest.CaptureFixture[str],
                                         argv: list[str]) -> None:
    for fmt in ("table", "csv", "json"):
        code, out, err = run(capsys, *argv, "--db", db, "--format", fmt)
        assert code == 0, err
        assert out
        if fmt == "json":
            assert isinstance(json.loads(out), list)


def test_empty_database_needs_as_of(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    code, _, _ = run(capsys, "init-db", "--db", url)
    assert code == 0
    code, out, err = run(capsys, "funnel", "--db", url)
    assert code == 2 and "--as-of" in err
    code, out, err = run(capsys, "funnel", "--db", url, "--as-of", "2023-08-16", "--format", "csv")
    assert code == 0, err
    assert out.strip() == "step,participants,rate_from_entry,rate_from_previous,ci_low,ci_high"


def test_cohorts_incidence_by_hand(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    # as_of defaults to 20 May 2023. Entered: P001 (10 Jan), P002 (3 Apr), P003 (15 Feb).
    # Days from entry to the first job_start: P001 1 Mar = 21 + 28 + 1 = 50 days; P002 on its entry
    # day = 0; P003 20 May = 13 + 31 + 30 + 20 = 94 days. No one is censored, so Kaplan-Meier:
    #   t=0  n=3 d=1 S=2/3  F=1/3;  t=50 n=2 d=1 S=1/3  F=2/3;  t=94 n=1 d=1 S=0  F=1.
    # log(-log) interval at t=0 (Greenwood sum 1/(3*2) = 1/6):
    #   sigma = sqrt(1/6)/|ln(2/3)| = 0.4082483/0.4054651 = 1.0068645; z*sigma = 1.9734179
    #   S_low = (2/3)^exp(1.9734179) = (2/3)^7.19468 = 0.054073 -> F_high = 0.945927
    #   S_high = (2/3)^exp(-1.9734179) = (2/3)^0.138992 = 0.945206 -> F_low = 0.054794
    code, out, err = run(capsys, "cohorts", "--db", db, "--incidence", "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert [(r["days_since_entry"], r["at_risk"], r["events"]) for r in records] == [
        (0, 3, 1), (50, 2, 1), (94, 1, 1)]
    assert [r["cumulative_incidence"] for r in records] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert records[0]["ci_low"] == pytest.approx(0.054794, abs=1e-4)
    assert records[0]["ci_high"] == pytest.approx(0.945927, abs=1e-4)
    # By region: London P002 (0) and P001 (50) -> 1/2 then 1; Wales P003 (94) -> 1.
    code, out, err = run(capsys, "cohorts", "--db", db, "--incidence", "--by", "region",
                         "--format", "csv")
    assert code == 0, err
    rows = [(r["region"], int(r["days_since_entry"]), float(r["cumulative_incidence"]))
            for r in csv.DictReader(io.StringIO(out))]
    assert rows == [("London", 0, 0.5), ("London", 50, 1.0), ("Wales", 94, 1.0)]
    # --by is for the incidence; the cohort curves are grouped by --cohort
    code, out, err = run(capsys, "cohorts", "--db", db, "--by", "region")
    assert code == 2 and "--by applies to --incidence" in err and out == ""


def test_time_to_outcome_table_shows_whole_days_and_no_nan(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # as_of 20 May 2023. Work: times 0, 50, 94 (see above), all reached: S = 2/3, 1/3, 0, so
    # Q1 (S <= 0.75) = 0, median (S <= 0.5) = 50, Q3 (S <= 0.25) = 94.
    # Training: P001 on 1 Feb = 22 days; P002 censored at 47 days (3 Apr -> 20 May); P003's
    # training is before entry, censored at 94. S = 2/3 after day 22 and never lower:
    # Q1 = 22, median and Q3 not reached (blank, not "NaN").
    code, out, err = run(capsys, "time-to-outcome", "--db", db)
    assert code == 0, err
    assert "NaN" not in out and "nan" not in out
    lines = {line.split()[1]: line.split() for line in out.splitlines()[2:]}
    # Reached by 3 months (91 days): training 1 - 2/3 = 33.3%, work 1 - 1/3 = 66.7%; by 6 and
    # 12 months blank (the longest follow-up is 94 days).
    assert lines["training"] == ["Into", "training", "3", "1", "22", "33.3%"]
    assert lines["work"] == ["Into", "work", "3", "3", "50", "0", "94", "66.7%"]


def test_csv_is_only_csv_on_stdout(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "funnel", "--db", db, "--by", "region", "--format", "csv")
    assert code == 0, err
    # a header and 2 regions x 3 steps, nothing else (no title, no note, no blank line)
    lines = out.split("\n")
    assert lines[-1] == "" and len(lines) == 1 + 6 + 1
    assert lines[0] == "region,step,participants,rate_from_entry,rate_from_previous,ci_low,ci_high"
    assert all(line.count(",") == 6 for line in lines[:-1])


def test_reader_closing_the_pipe_is_not_an_error(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ete_metrics.cli_metrics as cli_metrics

    def closed(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")  # what print raises under `... | head`

    monkeypatch.setattr(cli_metrics, "emit", closed)
    code, out, err = run(capsys, "funnel", "--db", db, "--format", "csv")
    assert code == 141  # 128 + SIGPIPE, like any command whose reader went away
    assert err == ""  # no apology, no traceback


def test_forecast_csv(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "forecast", "--db", db, "--as-of", "2024-03-31", "--region", "London",
                         "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[:9] == ["region", "measure", "month", "actual_to_date", "forecast",
                                 "low_80", "high_80", "low_95", "high_95"]
    # London only; training and work; March, April and May 2024
    assert {(r["region"], r["measure"]) for r in rows} == {("London", "training"), ("London", "work")}
    assert [r["month"] for r in rows if r["measure"] == WORK.name] == ["2024-03-01", "2024-04-01", "2024-05-01"]
    # London: P001 training 1 Feb 2023; job starts P001 1 Mar 2023 and P002 3 Apr 2023
    work = [r for r in rows if r["measure"] == WORK.name]
    assert {r["actual_to_date"] for r in work} == {"2"}
    for r in rows:
        assert float(r["low_95"]) <= float(r["low_80"]) <= float(r["forecast"]) <= float(r["high_80"]) \
            <= float(r["high_95"])
