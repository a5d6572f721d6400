"""A programme crafted with small groups, for the intruder (tests/test_intruder_crafted.py).

Every figure an intruder would hunt for is here on purpose:

- Wales has exactly 3 people in work (a region suppressed in every table), and 2 in training;
- a delivery partner works in one region only (``Cymru Works``: Wales; ``Thames Skills``: London),
  another spans two (``Northern Routes``: North West and West Midlands);
- months with 1-2 events: 1 referral in July 2023 (North West), 2 job starts in July 2023
  (West Midlands), 1 job start in August 2023 (London), 1 sustained job in August (London);
- tiny equality groups: 2 people of gender "Other", 3 of ethnicity "Mixed", 4 with a disability
  recorded as "Prefer not to say";
- monthly contract targets for every region and measure over the contract (1 a month for
  Wales's work).

The people are listed one by one below (no random numbers), so every count is hand-worked:
see :data:`EXPECTED`.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import pandas as pd

from ete_metrics import config
from ete_metrics.data.frames import conform_milestones, conform_participants, conform_targets
from ete_metrics.steps import ENTERED, REFERRED, SUSTAINED, TRAINING, WORK, find_step, outcome_steps

#: The three as-at dates, a month apart.
AS_OF: tuple[date, ...] = (date(2023, 6, 16), date(2023, 7, 16), date(2023, 8, 16))

#: The seven scopes of the stakeholder workbooks: all regions, each region, two pairs.
REGIONS: tuple[str, ...] = ("London", "North West", "West Midlands", "Wales")
SCOPES: tuple[tuple[str, ...], ...] = (
    (), ("London",), ("North West",), ("West Midlands",), ("Wales",),
    ("London", "Wales"), ("North West", "West Midlands"),
)



def _milestone(step_name: str) -> str:
    milestone = find_step(step_name).milestone
    assert milestone is not None
    return milestone


#: A kind of person: (how many, referral date, entry date or None, training date or None,
#: job start or None, sustained job or None, delivery partner, gender, ethnicity, disability,
#: pathway).
Kind = tuple[int, str, str | None, str | None, str | None, str | None, str, str, str, str, str]

#: Region -> area -> kinds of people.
PEOPLE: dict[str, dict[str, list[Kind]]] = {
    "London": {
        "Camden": [
            (14, "2023-01-05", "2023-01-16", "2023-02-10", "2023-04-03", "2023-06-05",
             "Thames Skills", "Male", "White", "No", "community"),
            (8, "2023-02-01", "2023-02-13", "2023-03-06", None, None,
             "Thames Skills", "Female", "Black", "No", "community"),
            (1, "2023-03-01", "2023-03-13", "2023-03-20", "2023-08-07", "2023-08-10",
             "Thames Skills", "Other", "Mixed", "Prefer not to say", "community"),
        ],
        "Hackney": [
            (12, "2023-02-20", "2023-03-01", "2023-04-04", "2023-05-10", None,
             "Thames Skills", "Female", "White", "Yes", "custody"),
            (9, "2023-04-03", "2023-04-17", None, None, None,
             "Thames Skills", "Male", "Asian", "No", "community"),
            (6, "2023-06-20", "2023-07-03", "2023-07-10", None, None,
             "Thames Skills", "Male", "White", "No", "community"),
        ],
    },
    "North West": {
        "Manchester": [
            (16, "2023-01-09", "2023-01-23", "2023-02-20", "2023-03-27", "2023-07-03",
             "Northern Routes", "Male", "White", "No", "community"),
            (11, "2023-03-06", "2023-03-20", "2023-04-24", "2023-06-12", None,
             "Northern Routes", "Female", "Asian", "No", "custody"),
            (1, "2023-07-04", None, None, None, None,
             "Northern Routes", "Male", "White", "No", "community"),
        ],
        "Liverpool": [
            (13, "2023-02-06", "2023-02-20", "2023-03-13", None, None,
             "Northern Routes", "Male", "Black", "No", "community"),
            (7, "2023-05-02", "2023-05-15", "2023-06-05", "2023-06-26", None,
             "Northern Routes", "Female", "White", "Prefer not to say", "community"),
        ],
    },
    "West Midlands": {
        "Birmingham": [
            (15, "2023-01-16", "2023-01-30", "2023-03-01", "2023-04-17", None,
             "Northern Routes", "Male", "Asian", "No", "community"),
            (2, "2023-02-13", "2023-02-27", "2023-03-20", "2023-07-05", None,
             "Northern Routes", "Female", "White", "No", "custody"),
            (10, "2023-04-10", "2023-04-24", None, None, None,
             "Northern Routes", "Male", "White", "Yes", "community"),
        ],
        "Coventry": [
            (1, "2023-03-01", "2023-03-06", "2023-03-14", None, None,
             "Northern Routes", "Other", "Mixed", "Prefer not to say", "community"),
            (8, "2023-05-08", "2023-05-22", "2023-06-19", None, None,
             "Northern Routes", "Female", "Black", "No", "custody"),
        ],
    },
    "Wales": {
        "Cardiff": [
            (3, "2023-01-10", "2023-01-24", "2023-02-14", "2023-05-02", None,
             "Cymru Works", "Male", "White", "No", "community"),
            (11, "2023-02-07", "2023-02-21", None, None, None,
             "Cymru Works", "Female", "White", "No", "community"),
        ],
        "Swansea": [
            (1, "2023-03-07", "2023-03-21", None, None, None,
             "Cymru Works", "Male", "Mixed", "Prefer not to say", "community"),
            (8, "2023-05-09", "2023-05-23", None, None, None,
             "Cymru Works", "Male", "White", "Yes", "community"),
        ],
    },
}

#: Hand-worked counts (from the lists above) the tests rely on.
EXPECTED = {
    # Wales: 3 in work (the first kind), none of them in July or August
    ("Wales", WORK.name): 3,
    # entered by 16 Aug 2023 per region (the one North West referral never entered)
    ("London", ENTERED.name): 14 + 8 + 1 + 12 + 9 + 6,
    ("North West", ENTERED.name): 16 + 11 + 13 + 7,
    ("West Midlands", ENTERED.name): 15 + 2 + 10 + 1 + 8,
    ("Wales", ENTERED.name): 3 + 11 + 1 + 8,
}


def _targets() -> pd.DataFrame:
    """Monthly targets for every region and measure over the whole contract."""
    measures = (REFERRED.name, ENTERED.name, TRAINING.name, WORK.name)
    per_month = {"London": dict(zip(measures, (6, 5, 4, 2), strict=True)),
                 "North West": dict(zip(measures, (6, 5, 4, 3), strict=True)),
                 "West Midlands": dict(zip(measures, (5, 4, 3, 2), strict=True)),
                 "Wales": dict(zip(measures, (3, 2, 2, 1), strict=True))}
    months = pd.date_range(config.CONTRACT_START, config.CONTRACT_END, freq="MS", inclusive="left")
    rows = [(region, month, step.target_measure, per_month[region][step.target_measure])
            for region in REGIONS for month in months
            for step in map(find_step, (REFERRED.name, ENTERED.name, *outcome_steps()))
            if step.target_measure in per_month[region]]
    return conform_targets(pd.DataFrame(rows, columns=["region", "period_start", "measure", "target"]))


@lru_cache(maxsize=1)
def crafted() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(participants, milestones, targets) of the crafted programme."""
    people, events = [], []
    for region, areas in PEOPLE.items():
        for area, kinds in areas.items():
            for k, (n, referred, entered, training, work, sustained, partner, gender, ethnicity,
                    disability, pathway) in enumerate(kinds):
                for i in range(n):
                    pid = f"{region[:2].upper()}-{area[:3].upper()}-{k}-{i:02d}"
                    people.append({
                        "participant_id": pid, "region": region, "area": area,
                        "referral_date": referred, "entry_date": entered,
                        "pathway": pathway, "prison": "HMP Crafted" if pathway == "custody" else None,
                        "delivery_partner": partner, "gender": gender, "age_band": "25-34",
                        "ethnicity": ethnicity, "disability": disability,
                    })
                    for step, day in ((TRAINING, training), (WORK, work), (SUSTAINED, sustained)):
                        if day is not None:
                            events.append({"participant_id": pid, "milestone": _milestone(step.name),
                                           "date": day, "partner": f"{partner} provider"})
    participants = conform_participants(pd.DataFrame(people))
    milestones = conform_milestones(pd.DataFrame(events))
    return participants, milestones, _targets()
