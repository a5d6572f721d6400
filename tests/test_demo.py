"""Tests for ete_metrics.data.demo: the deterministic synthetic programme.

The counts here are computed with plain pandas written out in the tests, never
with the metrics library, so a fault in either cannot hide the other's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from outage_support import snapshot
from sqlalchemy.engine import make_url

from ete_metrics.data import db, frames
from ete_metrics.data.db import create_schema, database_holdings, save_extract
from ete_metrics.data.demo import DemoProgramme, apportion, build_demo_database, generate_demo
from ete_metrics.data.importer import import_extract
from ete_metrics.errors import InputError, RealDataError
from ete_metrics.steps import MILESTONE_TYPES, REFERRED, TARGET_MEASURES, WORK

REGIONS = {"London", "North West", "West Midlands", "Wales"}
EXTRACT = pd.Timestamp("2024-05-31")
PUBLISHED_AS_OF = pd.Timestamp("2023-08-16")


@pytest.fixture(scope="module")
def demo() -> DemoProgramme:
    """The programme at default arguments (45,000 referrals, seed 20210601)."""
    return generate_demo()


@pytest.fixture(scope="module")
def small() -> DemoProgramme:
    return generate_demo(3_000, seed=7)


# ------------------------------------------------------------------ determinism
def test_same_arguments_give_identical_frames(small: DemoProgramme) -> None:
    again = generate_demo(3_000, seed=7)
    pd.testing.assert_frame_equal(small.participants, again.participants)
    pd.testing.assert_frame_equal(small.milestones, again.milestones)
    pd.testing.assert_frame_equal(small.targets, again.targets)
    assert small.extract_date == again.extract_date


def test_different_seed_gives_different_frames(small: DemoProgramme) -> None:
    other = generate_demo(3_000, seed=8)
    assert not small.participants.equals(other.participants)
    assert not small.milestones.equals(other.milestones)
    # Same size, different people.
    assert len(other.participants) == 3_000
    assert set(small.participants["participant_id"]) != set(other.participants["participant_id"])


def test_programme_is_frozen(small: DemoProgramme) -> None:
    with pytest.raises(AttributeError):
        small.extract_date = date(2020, 1, 1)  # type: ignore[misc]


# ------------------------------------------------------------------ formats
def test_every_referral_has_a_caseworker_pseudonym_of_its_partner(small: DemoProgramme) -> None:
    people = small.participants
    assert people["caseworker"].notna().all()
    assert people["caseworker"].str.fullmatch(r"[0-9a-f]{64}").all()  # a pseudonym, not a name
    # A partner's few caseworkers (4 each) work for that partner only.
    per_caseworker = people.groupby("caseworker")["delivery_partner"].nunique()
    assert (per_caseworker == 1).all()
    per_partner = people.groupby("delivery_partner")["caseworker"].nunique()
    assert per_partner.between(1, 4).all() and (per_partner == 4).any()


def test_columns_and_dtypes_match_frames_formats(demo: DemoProgramme) -> None:
    assert tuple(demo.participants.columns) == frames.PARTICIPANT_COLUMNS
    assert tuple(demo.milestones.columns) == frames.MILESTONE_COLUMNS
    assert tuple(demo.targets.columns) == frames.TARGET_COLUMNS
    pd.testing.assert_series_equal(demo.participants.dtypes, frames.empty_participants().dtypes)
    pd.testing.assert_series_equal(demo.milestones.dtypes, frames.empty_milestones().dtypes)
    pd.testing.assert_series_equal(demo.targets.dtypes, frames.empty_targets().dtypes)
    # Missing text is a real missing value, never the string "None" or "nan".
    for frame in (demo.participants, demo.milestones):
        for column in frame.select_dtypes(include="object").columns:
            assert not frame[column].isin(["None", "nan", "NaT", ""]).any(), column
    assert isinstance(demo.extract_date, date)


# ------------------------------------------------------------------ calibration
def test_calibrated_to_published_figures(demo: DemoProgramme) -> None:
    # The programme's published way of counting, as at 16 Aug 2023:
    #   entered  = participants with entry_date <= 16 Aug 2023
    #   training = those with a training_start dated entry_date..16 Aug 2023
    #   work     = those with a job_start dated entry_date..16 Aug 2023
    # Published: >10,000 entered, >3,800 training, >1,800 work; the demo must
    # show more than each and at most 10% more.
    people = demo.participants
    population = people[people["entry_date"] <= PUBLISHED_AS_OF][["participant_id", "entry_date"]]
    joined = demo.milestones.merge(population, on="participant_id", how="inner")
    in_window = joined[(joined["date"] >= joined["entry_date"]) & (joined["date"] <= PUBLISHED_AS_OF)]
    entered = population["participant_id"].nunique()
    training = in_window.loc[in_window["milestone"] == "training_start", "participant_id"].nunique()
    work = in_window.loc[in_window["milestone"] == "job_start", "participant_id"].nunique()
    assert 10_000 < entered <= 11_000
    assert 3_800 < training <= 4_180
    assert 1_800 < work <= 1_980


def test_overall_shape_is_plausible(demo: DemoProgramme) -> None:
    people = demo.participants
    assert len(people) == 45_000
    entered = people["entry_date"].notna()
    # Roughly a third of referrals start.
    assert 0.28 < entered.mean() < 0.38
    # Custody (prison leavers) 25-30%; men about 85%.
    assert 0.25 <= (people["pathway"] == "custody").mean() <= 0.30
    assert set(people["pathway"]) == {"community", "custody"}
    assert 0.82 < (people["gender"] == "Male").mean() < 0.88
    assert set(people["gender"]) == {"Male", "Female", "Other / not stated"}
    assert set(people["age_band"]) == {"18-24", "25-34", "35-49", "50+"}
    assert set(people["ethnicity"]) == {"White", "Black", "Asian", "Mixed", "Other", "Not stated"}
    assert set(people["disability"]) == {"Yes", "No", "Not stated"}
    # Regional shares near London 32%, North West 28%, West Midlands 24%, Wales 16%.
    shares = people["region"].value_counts(normalize=True)
    for region, share in {"London": 0.32, "North West": 0.28, "West Midlands": 0.24,
                          "Wales": 0.16}.items():
        assert abs(shares[region] - share) < 0.015, region
    # Ramp-up: June 2021 has clearly fewer referrals than June 2022.
    month = people["referral_date"].dt.to_period("M")
    assert (month == pd.Period("2021-06", "M")).sum() < 0.6 * (month == pd.Period("2022-06", "M")).sum()


def test_lags_are_realistic(demo: DemoProgramme) -> None:
    people = demo.participants.dropna(subset=["entry_date"])
    entry_lag = (people["entry_date"] - people["referral_date"]).dt.days
    # Entry typically 1-6 weeks after referral (defects aside).
    assert 7 <= entry_lag.median() <= 42
    assert (entry_lag.between(7, 42)).mean() > 0.85
    first = (
        demo.milestones.groupby(["participant_id", "milestone"])["date"].min().unstack()
        .join(people.set_index("participant_id")["entry_date"], how="inner")
    )
    training_lag = (first["training_start"] - first["entry_date"]).dt.days.dropna()
    work_lag = (first["job_start"] - first["entry_date"]).dt.days.dropna()
    # Training about five weeks after entry; work about four to five months.
    assert 21 <= training_lag.median() <= 56
    assert 90 <= work_lag.median() <= 180
    # Most training starts are completed, some people train twice, about half of jobs sustain.
    counts = demo.milestones["milestone"].value_counts()
    assert 0.6 < counts["training_completed"] / counts["training_start"] < 0.9
    assert 0.35 < counts["job_sustained"] / counts["job_start"] < 0.65
    starts_per_person = demo.milestones[demo.milestones["milestone"] == "training_start"].groupby(
        "participant_id").size()
    assert (starts_per_person == 2).sum() > 100


def test_differences_worth_a_conversation(demo: DemoProgramme) -> None:
    people = demo.participants.dropna(subset=["entry_date"]).copy()
    ms = demo.milestones
    people["training"] = people["participant_id"].isin(ms.loc[ms["milestone"] == "training_start",
                                                              "participant_id"])
    people["work"] = people["participant_id"].isin(ms.loc[ms["milestone"] == "job_start",
                                                          "participant_id"])
    by_region = people.groupby("region")["work"].mean()
    # One region clearly lower on work: West Midlands at least 4 points below every other.
    others = by_region.drop("West Midlands")
    assert by_region["West Midlands"] < others.min() - 0.04
    # Custody pathway lower on training and work.
    by_pathway = people.groupby("pathway")[["training", "work"]].mean()
    assert (by_pathway.loc["custody"] < by_pathway.loc["community"]).all()
    # The social enterprise is strongest on work; one partner best at training-to-work.
    by_partner = people.groupby("delivery_partner")["work"].mean()
    assert by_partner.idxmax() == "Second Chance Works CIC"
    trained = people[people["training"]]
    assert trained.groupby("delivery_partner")["work"].mean().idxmax() == "Mersey Bridge Employment"
    # The social enterprise works in every region; each region has 2-3 others.
    partners = people.groupby("region")["delivery_partner"].unique()
    for region, names in partners.items():
        assert "Second Chance Works CIC" in names, region
        assert 2 <= len(set(names) - {"Second Chance Works CIC"}) <= 3, region


# ------------------------------------------------------------------ integrity
def test_nothing_dated_after_extract_date(demo: DemoProgramme) -> None:
    assert demo.extract_date == date(2024, 5, 31)
    for column in frames.PARTICIPANT_DATE_COLUMNS:
        assert demo.participants[column].max() <= EXTRACT, column
    assert demo.milestones["date"].max() <= EXTRACT
    assert demo.milestones["date"].notna().all()
    assert demo.participants["referral_date"].notna().all()
    assert demo.participants["referral_date"].min() >= pd.Timestamp("2021-06-01")


def test_ids_unique_pseudonymous_and_not_in_entry_order(demo: DemoProgramme) -> None:
    ids = demo.participants["participant_id"]
    assert ids.is_unique
    assert ids.map(lambda value: re.fullmatch(r"P\d{7}", value) is not None).all()
    entered = demo.participants.dropna(subset=["entry_date"]).sort_values("entry_date")
    # Ids drawn from a shuffled sequence: their rank barely correlates with entry order.
    id_rank = entered["participant_id"].rank()
    entry_rank = entered["entry_date"].rank()
    assert abs(id_rank.corr(entry_rank)) < 0.05


def test_every_milestone_belongs_to_an_entered_participant(demo: DemoProgramme) -> None:
    entered_ids = set(demo.participants.loc[demo.participants["entry_date"].notna(),
                                            "participant_id"])
    assert set(demo.milestones["participant_id"]) <= entered_ids
    # the demo records every milestone type of the vocabulary
    assert set(demo.milestones["milestone"]) == set(MILESTONE_TYPES)
    assert demo.milestones["partner"].notna().all()
    # Training milestones name a training provider, job milestones an employer: never both.
    training_partners = set(demo.milestones.loc[
        demo.milestones["milestone"].str.startswith("training"), "partner"])
    job_partners = set(demo.milestones.loc[demo.milestones["milestone"].str.startswith("job"),
                                           "partner"])
    assert not training_partners & job_partners
    assert 8 <= len(training_partners) <= 12
    assert 20 <= len(job_partners) <= 30


def test_regions_are_only_the_four(demo: DemoProgramme) -> None:
    assert set(demo.participants["region"]) == REGIONS
    assert set(demo.targets["region"]) == REGIONS
    areas = demo.participants.groupby("area")["region"].nunique()
    # "West Midlands" is both a region and a PCC area, of that one region only.
    assert (areas == 1).all()


def test_custody_has_a_prison_and_community_none(demo: DemoProgramme) -> None:
    people = demo.participants
    custody = people["pathway"] == "custody"
    assert people.loc[custody, "prison"].notna().all()
    assert people.loc[~custody, "prison"].isna().all()
    assert people.loc[custody, "prison"].str.startswith("HMP ").all()
    # Each (fictional) prison releases into one region only (e.g. HMP Taff Vale -> Wales).
    assert (people[custody].groupby("prison")["region"].nunique() == 1).all()
    prison_region = people[custody].groupby("prison")["region"].first()
    assert prison_region["HMP Taff Vale"] == "Wales"
    assert prison_region["HMP Merseyview"] == "North West"
    assert prison_region["HMP Tamebridge"] == "West Midlands"
    assert prison_region["HMP Fleetbank"] == "London"
    # Fictional organisations only: none of the demo's prisons is a real establishment.
    real = {"HMP Berwyn", "HMP Liverpool", "HMP Birmingham", "HMP Pentonville", "HMP Wandsworth",
            "HMP Cardiff", "HMP Parc", "HMP Swansea", "HMP Altcourse", "HMP Oakwood"}
    assert not set(prison_region.index) & real


def test_exits(demo: DemoProgramme) -> None:
    people = demo.participants
    has_exit = people["exit_date"].notna()
    # A reason exactly when there is an exit date, and exits only after entry.
    assert (people["exit_reason"].notna() == has_exit).all()
    assert people.loc[has_exit, "entry_date"].notna().all()
    assert set(people.loc[has_exit, "exit_reason"]) == {
        "Completed programme", "Entered sustained employment", "Disengaged",
        "Recalled to custody", "Moved out of area", "Deceased",
    }
    # "Deceased" is rare.
    assert (people["exit_reason"] == "Deceased").sum() < 0.02 * has_exit.sum()


def test_defects_present_but_rare(demo: DemoProgramme) -> None:
    people = demo.participants
    ms = demo.milestones
    entered = people[people["entry_date"].notna()]
    with_entry = ms.merge(entered[["participant_id", "entry_date"]], on="participant_id")
    milestone_before_entry = (with_entry["date"] < with_entry["entry_date"]).sum()
    referral_after_entry = (entered["referral_date"] > entered["entry_date"]).sum()
    exited = entered[entered["exit_date"].notna()]
    exit_before_entry = (exited["exit_date"] < exited["entry_date"]).sum()
    ids_of = {kind: set(ms.loc[ms["milestone"] == kind, "participant_id"])
              for kind in ("training_start", "training_completed", "job_start", "job_sustained")}
    sustained_without_start = len(ids_of["job_sustained"] - ids_of["job_start"])
    completed_without_start = len(ids_of["training_completed"] - ids_of["training_start"])
    for count, base in (
        (milestone_before_entry, len(ms)),
        (referral_after_entry, len(entered)),
        (exit_before_entry, len(exited)),
        (sustained_without_start, len(entered)),
        (completed_without_start, len(entered)),
    ):
        assert 0 < count < 0.01 * base


# ------------------------------------------------------------------ targets
def test_targets_cover_every_month_region_and_measure(demo: DemoProgramme) -> None:
    targets = demo.targets
    # June 2021 .. May 2024 is 36 months; x 4 regions x 4 measures = 576 rows.
    assert len(targets) == 36 * 4 * 4
    assert not targets.duplicated(["region", "period_start", "measure"]).any()
    months = sorted(targets["period_start"].unique())
    assert months[0] == pd.Timestamp("2021-06-01") and months[-1] == pd.Timestamp("2024-05-01")
    assert set(targets["measure"]) == set(TARGET_MEASURES)
    assert (targets["target"] >= 0).all()
    totals = targets.groupby("measure")["target"].sum()
    # The contract's published total, exactly, and each region's share of it exactly:
    # 45,000 x 0.32, 0.28, 0.24, 0.16.
    assert totals[REFERRED.name] == 45_000
    referred = targets[targets["measure"] == REFERRED.name].groupby("region")["target"].sum()
    assert referred.to_dict() == {"London": 14_400, "North West": 12_600,
                                  "West Midlands": 10_800, "Wales": 7_200}
    # The programme ends close to target overall: entered within 10% of its target.
    entered = demo.participants["entry_date"].notna().sum()
    assert 0.9 < entered / totals["entered"] < 1.1
    # ...while West Midlands is clearly behind its work target (red: below 86%).
    wm_target = targets[(targets["region"] == "West Midlands") & (targets["measure"] == WORK.name)]
    ms = demo.milestones
    workers = set(ms.loc[ms["milestone"] == "job_start", "participant_id"])
    people = demo.participants
    wm_work = (people["participant_id"].isin(workers) & (people["region"] == "West Midlands")).sum()
    assert wm_work < 0.86 * wm_target["target"].sum()


def test_apportion_adds_up_exactly_by_largest_remainder() -> None:
    # 10 in thirds: 3.33 each, the one left over to the first (ties in order).
    assert apportion(np.array([1.0, 1.0, 1.0]), 10).tolist() == [4, 3, 3]
    # 7 by 0.5/0.3/0.2: exact 3.5, 2.1, 1.4 -> 3, 2, 1 (+1 to the largest remainder, 0.5).
    assert apportion(np.array([0.5, 0.3, 0.2]), 7).tolist() == [4, 2, 1]
    # plain rounding would give 2 + 2 + 2 = 6 of 5 here
    assert apportion(np.array([1.0, 1.0, 1.0]), 5).tolist() == [2, 2, 1]
    assert apportion(np.array([0.0, 0.0]), 0).tolist() == [0, 0]


# ------------------------------------------------------------------ arguments
def test_scales_down() -> None:
    programme = generate_demo(2_000)
    people = programme.participants
    assert len(people) == 2_000
    assert people["participant_id"].is_unique
    assert set(programme.milestones["participant_id"]) <= set(people["participant_id"])
    assert 0.25 < people["entry_date"].notna().mean() < 0.42
    assert programme.targets.loc[programme.targets["measure"] == REFERRED.name, "target"].sum() == 2_000
    one = generate_demo(1)
    assert len(one.participants) == 1


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "100", 9_000_001])
def test_invalid_size_is_an_input_error(bad: object) -> None:
    with pytest.raises(InputError, match="n_participants"):
        generate_demo(bad)  # type: ignore[arg-type]


# ------------------------------------------------------------------ database
def test_build_demo_database_round_trips(engine: sa.Engine) -> None:
    programme = generate_demo(400, seed=11)
    build_demo_database(engine, n_participants=400, seed=11)
    # Twice: the second run replaces the first rather than adding to it.
    build_demo_database(engine, n_participants=400, seed=11)
    with engine.connect() as connection:
        def count(table: str) -> int:
            return int(connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())

        assert count("participants") == 400
        assert count("milestones") == len(programme.milestones)
        assert count("targets") == len(programme.targets) == 576
        stored_ids = set(connection.execute(
            sa.text("SELECT participant_id FROM participants")).scalars())
        entered = int(connection.execute(sa.text(
            "SELECT COUNT(*) FROM participants WHERE entry_date IS NOT NULL")).scalar_one())
        custody_without_prison = int(connection.execute(sa.text(
            "SELECT COUNT(*) FROM participants WHERE pathway = 'custody' AND prison IS NULL"
        )).scalar_one())
    assert stored_ids == set(programme.participants["participant_id"])
    assert entered == programme.participants["entry_date"].notna().sum()
    assert custody_without_prison == 0


# ------------------------------------------------------------------ real data is never replaced unasked
REAL_PARTICIPANTS = """participant_id,region,referral_date,entry_date
R1,London,2022-01-04,2022-01-10
R2,Wales,2022-02-01,2022-02-07
R3,North West,2022-03-01,
"""
REAL_MILESTONES = """participant_id,milestone,date
R1,training_start,2022-02-01
R2,job_start,2022-05-02
"""
REAL_TARGETS = """region,period_start,measure,target
London,2022-01-01,entered,5
"""


def _import_real(engine: sa.Engine, folder: Path) -> None:
    """Three real participants, imported as the command line and the Data page import them."""
    paths = []
    for name, text in (("participants", REAL_PARTICIPANTS), ("milestones", REAL_MILESTONES),
                       ("targets", REAL_TARGETS)):
        paths.append(folder / f"{name}.csv")
        paths[-1].write_text(text, encoding="utf-8")
    import_extract(engine, *paths, extract_date=date(2024, 6, 3), imported_at=datetime(2024, 6, 3, 9, 30))


def stored(engine: sa.Engine, database_url: str) -> tuple[object, bytes]:
    """Every table's columns and rows; for SQLite the file's bytes too, with nothing open."""
    engine.dispose()  # SQLite: the last connection closed writes the WAL back into the file
    rows = snapshot(database_url)
    path = make_url(database_url).database
    return rows, Path(path).read_bytes() if database_url.startswith("sqlite") and path else b""


def test_the_demo_refuses_a_database_of_imported_data_and_changes_nothing(
    engine: sa.Engine, database_url: str, tmp_path: Path
) -> None:
    _import_real(engine, tmp_path)
    before = stored(engine, database_url)
    with pytest.raises(RealDataError) as refused:
        build_demo_database(engine, n_participants=400, seed=11)
    message = str(refused.value)
    # What it holds (3 participants, 2 milestones, 1 target, one import), that nothing was
    # changed, and both ways on: another database, or the flag that replaces it on purpose.
    assert "3 participants, 2 milestones and 1 target; 1 import recorded, the latest on 3 Jun 2024" in message
    assert "nothing was changed" in message
    assert "--db URL or ETE_DATABASE_URL" in message
    assert "--replace-imported-data" in message
    assert stored(engine, database_url) == before  # every table, column and row; SQLite: every byte
    assert database_holdings(engine).real


def test_replace_imported_data_replaces_it_on_purpose(engine: sa.Engine, tmp_path: Path) -> None:
    _import_real(engine, tmp_path)
    programme = generate_demo(400, seed=11)
    build_demo_database(engine, n_participants=400, seed=11, replace_imported_data=True)
    with engine.connect() as connection:
        stored = set(connection.execute(sa.text("SELECT participant_id FROM participants")).scalars())
        targets = int(connection.execute(sa.text("SELECT COUNT(*) FROM targets")).scalar_one())
    assert stored == set(programme.participants["participant_id"])  # R1-R3 are gone
    assert targets == 576  # the real target too
    holdings = database_holdings(engine)
    assert (holdings.demo, holdings.real, holdings.imports) == (True, False, 2)
    # and now it is the demo, which the demo may replace without being told
    build_demo_database(engine, n_participants=300, seed=3)
    assert database_holdings(engine).participants == 300


def _rows_without_an_import(engine: sa.Engine) -> None:
    create_schema(engine)
    with engine.begin() as connection:  # written by some other tool: no import recorded
        connection.execute(sa.text(
            "INSERT INTO participants (participant_id, region, entry_date) VALUES ('X1', 'Wales', '2022-01-03')"
        ))


def _an_import_after_the_demo(engine: sa.Engine) -> None:
    build_demo_database(engine, n_participants=300, seed=3)
    participants = frames.conform_participants(pd.DataFrame(
        {"participant_id": ["X1"], "region": ["Wales"], "entry_date": [pd.Timestamp("2022-01-03")]}
    ))
    save_extract(engine, participants, frames.empty_milestones(), record={"participants_file": "update.csv"})


def _demo_rows_changed_afterwards(engine: sa.Engine) -> None:
    build_demo_database(engine, n_participants=300, seed=3)
    with engine.begin() as connection:  # a real referral typed in over the demo's
        connection.execute(sa.text(
            "INSERT INTO participants (participant_id, region, entry_date) VALUES ('X1', 'Wales', '2022-01-03')"
        ))


def _made_before_imports_recorded_their_origin(engine: sa.Engine) -> None:
    build_demo_database(engine, n_participants=300, seed=3)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE imports DROP COLUMN origin")


def _another_applications_tables(engine: sa.Engine) -> None:
    with engine.begin() as connection:  # a wrong URL: some other application's database
        connection.exec_driver_sql("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT)")
        connection.exec_driver_sql("INSERT INTO orders (id, item) VALUES (1, 'boots')")


@pytest.mark.parametrize(
    "make",
    [_rows_without_an_import, _an_import_after_the_demo, _demo_rows_changed_afterwards,
     _made_before_imports_recorded_their_origin, _another_applications_tables],
)
def test_data_not_provably_the_demo_counts_as_real(
    engine: sa.Engine, database_url: str, make: Callable[[sa.Engine], None]
) -> None:
    make(engine)
    before = stored(engine, database_url)
    with pytest.raises(RealDataError, match="holds real data"):
        build_demo_database(engine, n_participants=400, seed=11)
    assert stored(engine, database_url) == before  # not even the schema was migrated
    assert database_holdings(engine).real


def test_an_import_landing_after_the_first_look_is_still_seen(
    engine: sa.Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo looks again inside its write's transaction: real data imported while the demo
    programme was being generated (after the first look found the database empty) is kept."""
    import ete_metrics.data.demo as demo_module

    def generate_then_import(*args: object, **kwargs: object) -> DemoProgramme:
        made = generate_demo(*args, **kwargs)  # type: ignore[arg-type]
        _import_real(engine, tmp_path)  # lands between the first look and the write
        return made

    monkeypatch.setattr(demo_module, "generate_demo", generate_then_import)
    with pytest.raises(RealDataError, match="3 participants"):
        build_demo_database(engine, n_participants=400, seed=11)
    stored = db.load_participants(engine)["participant_id"].tolist()
    assert stored == ["R1", "R2", "R3"]
