"""Benchmark: import 1,000,000 participants and 1,500,000 milestones into SQLite.

Generates the CSVs with numpy (its own simple generator, not the demo), then
times reading + validation (:func:`ete_metrics.data.importer.read_extract`) and the
write (:func:`ete_metrics.data.db.save_extract`) into a fresh SQLite file.
Target: under 60 s end to end.

Run: ``.venv/bin/python benchmarks/bench_import.py [--participants N] [--milestones M]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ete_metrics import config  # noqa: E402
from ete_metrics.data import db
from ete_metrics.data.importer import read_extract  # noqa: E402
from ete_metrics.data.reading import read_table  # noqa: E402


def _iso(days: np.ndarray, start: str = "2021-06-01") -> np.ndarray:
    stamps = np.datetime64(start, "D") + days.astype("timedelta64[D]")
    return np.datetime_as_string(stamps, unit="D")


def generate(
    folder: Path, n_participants: int, n_milestones: int, seed: int = 1
) -> tuple[Path, Path]:
    """Write participants.csv and milestones.csv with n rows each into ``folder``."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("P", np.arange(1, n_participants + 1).astype(str))
    referral = rng.integers(0, 800, n_participants)
    entered = rng.random(n_participants) < 0.6
    entry = referral + rng.integers(0, 60, n_participants)
    entry_text = np.where(entered, _iso(entry), "")
    participants = pd.DataFrame(
        {
            "participant_id": ids,
            "region": rng.choice(np.array(config.regions()), n_participants),
            "area": rng.choice(np.array(["Area 1", "Area 2", "Area 3"]), n_participants),
            "referral_date": _iso(referral),
            "entry_date": entry_text,
            "pathway": rng.choice(np.array(config.PATHWAYS), n_participants),
            "delivery_partner": rng.choice(
                np.array(["Partner A", "Partner B", "Partner C"]), n_participants
            ),
            "gender": rng.choice(np.array(["Male", "Female"]), n_participants),
            "age_band": rng.choice(np.array(["18-24", "25-34", "35-49", "50+"]), n_participants),
        }
    )
    # Milestones come in pairs (training_start -> training_completed, job_start ->
    # job_sustained) of entered participants, after entry: a clean extract.
    entered_positions = np.flatnonzero(entered)
    n_pairs = n_milestones // 2
    owners_pair = rng.choice(entered_positions, n_pairs)
    work = rng.random(n_pairs) < 0.4
    first_kind = np.where(work, "job_start", "training_start")
    second_kind = np.where(work, "job_sustained", "training_completed")
    first_day = entry[owners_pair] + rng.integers(0, 200, n_pairs)
    second_day = first_day + rng.integers(1, 200, n_pairs)
    owners = np.concatenate([owners_pair, owners_pair])
    kinds = np.concatenate([first_kind, second_kind])
    milestone_days = np.concatenate([first_day, second_day])
    if len(owners) < n_milestones:  # an odd count: one more start
        owners = np.append(owners, entered_positions[0])
        kinds = np.append(kinds, "training_start")
        milestone_days = np.append(milestone_days, entry[entered_positions[0]])
    milestones = pd.DataFrame(
        {
            "participant_id": ids[owners],
            "milestone": kinds,
            "date": _iso(milestone_days),
            "partner": rng.choice(np.array(["Partner A", "Partner B"]), n_milestones),
        }
    )
    p_path = folder / "participants.csv"
    m_path = folder / "milestones.csv"
    participants.to_csv(p_path, index=False)
    milestones.to_csv(m_path, index=False)
    return p_path, m_path


def main() -> None:
    """Generate, import and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=1_000_000)
    parser.add_argument("--milestones", type=int, default=1_500_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        p_path, m_path = generate(folder, args.participants, args.milestones)
        print(
            f"generated {args.participants:,} participants + {args.milestones:,} milestones "
            f"in {time.perf_counter() - start:.1f} s "
            f"({(p_path.stat().st_size + m_path.stat().st_size) / 1e6:,.0f} MB of CSV)"
        )

        engine = db.make_engine(f"sqlite:///{folder / 'bench.db'}")
        # "read" is parsing the two files alone (a separate pass through the
        # importer's reader); "validate" is the rest of read_extract.
        # The command line's limits (python -m ete_metrics import), not an upload's.
        with config.command_line_limits():
            t_read = time.perf_counter()
            read_table(p_path, "participants")
            read_table(m_path, "milestones")
            read_seconds = time.perf_counter() - t_read
            t0 = time.perf_counter()
            extract = read_extract(p_path, m_path, extract_date=datetime(2030, 1, 1).date())
            t1 = time.perf_counter()
        import_id = db.save_extract(
            engine,
            extract.participants,
            extract.milestones,
            record={"imported_at": datetime(2024, 1, 1)},
            warnings=extract.warnings,
        )
        t2 = time.perf_counter()
        stored = db.load_participants(engine)
        t3 = time.perf_counter()
        engine.dispose()

        print(f"read:            {read_seconds:6.1f} s")
        print(
            f"validate:        {t1 - t0 - read_seconds:6.1f} s  ({len(extract.warnings):,} warnings)"
        )
        print(f"write (SQLite):  {t2 - t1:6.1f} s  (import #{import_id})")
        print(f"total:           {t2 - t0:6.1f} s  (target < 60 s)")
        print(f"reload participants: {t3 - t2:.1f} s ({len(stored):,} rows)")


if __name__ == "__main__":
    main()
