"""ete_metrics.protect.access: the access file, roles and restricting data to a user's scope."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ete_metrics.errors import ConfigError, InputError
from ete_metrics.protect.access import (
    Access,
    access_file_path,
    access_for,
    local_access,
    parse_access,
    parse_email,
    preview_choices,
    read_access_file,
    restrict_frames,
)
from ete_metrics.steps import ENTERED, WORK

GOOD = """
[users."Director@Example.org"]
role = "director"

[users."data@example.org"]
role = "data_manager"

[users."lead.wales@example.org"]
role = "regional_lead"
regions = ["Wales"]

[users."lead.north@example.org"]
role = "regional_lead"
regions = ["north west", "West Midlands"]

[users."stake@example.org"]
role = "stakeholder"

[users."stake.london@example.org"]
role = "stakeholder"
regions = ["London"]
"""


def test_parse_a_good_file() -> None:
    listed = parse_access(GOOD, source="access.toml")
    assert set(listed.users) == {
        "director@example.org", "data@example.org", "lead.wales@example.org",
        "lead.north@example.org", "stake@example.org", "stake.london@example.org",
    }
    assert listed.lookup("director@example.org") == Access("director@example.org", "director", None)
    # look-ups ignore case and surrounding spaces, like the file's keys
    assert listed.lookup("  LEAD.Wales@example.org ") == Access(
        "lead.wales@example.org", "regional_lead", ("Wales",)
    )
    # region names are matched without regard to case and stored in canonical spelling
    assert listed.lookup("lead.north@example.org").regions == ("North West", "West Midlands")  # type: ignore[union-attr]
    assert listed.lookup("stake@example.org").regions is None  # type: ignore[union-attr]
    assert listed.lookup("stake.london@example.org").regions == ("London",)  # type: ignore[union-attr]
    assert listed.lookup("someone.else@example.org") is None
    assert listed.lookup(None) is None and listed.lookup("") is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("lead.wales@example.org", "lead.wales@example.org"),
        ("  Lead.WALES@Example.ORG\t", "lead.wales@example.org"),  # one rule: stripped, lower case
        ("\u00a0lead.wales@example.org\n", "lead.wales@example.org"),  # a no-break space is space
    ],
)
def test_an_email_is_read_by_one_rule(given: str, expected: str) -> None:
    assert parse_email(given) == expected


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("", "is empty"), ("   ", "is empty"), ("\t\n", "is empty"), (None, "is empty"),
        (3, "is not an email address"), ("local", "is not an email address"), ("@example.org", "is not an email"),
        ("lead@", "is not an email"), ("a@b@example.org", "is not an email"),
        ("lead wales@example.org", "is not an email"), ("lead.wales@example.org\u200b", "is not an email"),
        ("lead\x00@example.org", "is not an email"),
    ],
)
def test_what_is_not_an_email_is_refused(given: object, says: str) -> None:
    with pytest.raises(InputError, match=f"--as-user .*{says}"):
        parse_email(given, what="--as-user")


@given(st.text(alphabet=st.characters(categories=["Zs", "Cc"]), max_size=6))
def test_any_blank_identity_is_refused_whatever_the_file(blank: str) -> None:
    listed = parse_access(GOOD)
    with pytest.raises(InputError):
        listed.resolve(blank)
    assert listed.lookup(blank) is None


#: Identities near the file's keys: any case, spaces, tabs or invisible characters around.
NEAR_KEYS = st.tuples(
    st.sampled_from(sorted(parse_access(GOOD).users)),
    st.text(alphabet=" \t\n\u00a0\u200b@", max_size=3),
    st.text(alphabet=" \t\n\u00a0\u200b@", max_size=3),
    st.booleans(),
).map(lambda t: t[1] + (t[0].upper() if t[3] else t[0]) + t[2])


@given(st.one_of(st.text(max_size=30), NEAR_KEYS))
def test_resolve_grants_exactly_what_the_file_lists(identity: str) -> None:
    listed = parse_access(GOOD)
    key = identity.strip().lower()
    if key in listed.users:  # the one rule reads it as a key of the file: that key's access
        assert listed.resolve(identity) == listed.users[key]
    else:  # anything else is refused
        with pytest.raises(InputError):
            listed.resolve(identity)


def test_no_access_belongs_to_an_empty_user() -> None:
    for blank in ("", "  "):
        with pytest.raises(ConfigError, match="an empty or blank user has no access"):
            Access(blank, "director")


def test_an_empty_file_lets_nobody_in() -> None:
    assert parse_access("", source="access.toml").lookup("director@example.org") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[users."a@example.org"]\nrole = "admin"\n',
         r'access\.toml: users\."a@example\.org"\.role is \'admin\'; use one of director, '
         r'data_manager, regional_lead, stakeholder'),
        ('[users."a@example.org"]\n',
         r'access\.toml: users\."a@example\.org"\.role is None'),
        ('[users."a@example.org"]\nrole = "regional_lead"\nregions = ["Narnia"]\n',
         r'access\.toml: users\."a@example\.org"\.regions names an unknown region \'Narnia\'; '
         r'use one of London, North West, West Midlands, Wales'),
        ('[users."a@example.org"]\nrole = "regional_lead"\n',
         r'access\.toml: users\."a@example\.org" is a regional_lead without regions'),
        ('[users."a@example.org"]\nrole = "regional_lead"\nregions = []\n',
         r'access\.toml: users\."a@example\.org"\.regions is empty'),
        ('[users."a@example.org"]\nrole = "regional_lead"\nregions = "Wales"\n',
         r'access\.toml: users\."a@example\.org"\.regions must be a list'),
        ('[users."a@example.org"]\nrole = "director"\nregions = ["Wales"]\n',
         r'access\.toml: users\."a@example\.org" is a director, who sees every region'),
        ('[users."a@example.org"]\nrole = "stakeholder"\nregion = ["Wales"]\n',
         r'access\.toml: users\."a@example\.org" has unknown key\(s\) region'),
        ('[users."not-an-email"]\nrole = "director"\n',
         r'access\.toml: users\."not-an-email" is not an email address'),
        ('[users."A@example.org"]\nrole = "director"\n[users."a@example.org"]\nrole = "director"\n',
         r'access\.toml: users\."a@example\.org" is listed twice'),
        ('[user."a@example.org"]\nrole = "director"\n',
         r'access\.toml: unknown section\(s\) user'),
        ('[users."a@example.org"\nrole = "director"\n', r"access\.toml is not valid TOML"),
        ('users = 3\n', r"access\.toml: users must be a table"),
        ('[users.""]\nrole = "director"\n', r'access\.toml: users\."" is not an email address'),
        ('[users."  "]\nrole = "director"\n', r'access\.toml: users\."  " is not an email address'),
        ('[users."a b@example.org"]\nrole = "director"\n',
         r'access\.toml: users\."a b@example\.org" is not an email address'),
        ('[users."a@b@example.org"]\nrole = "director"\n',
         r'access\.toml: users\."a@b@example\.org" is not an email address'),
    ],
)
def test_bad_files_name_the_file_and_the_key(text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        parse_access(text, source="access.toml")


def test_read_the_file_from_ete_access_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "who.toml"
    path.write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("ETE_ACCESS_FILE", str(path))
    assert access_file_path() == path
    assert access_file_path(tmp_path / "other.toml") == tmp_path / "other.toml"  # explicit wins
    listed = read_access_file()
    assert listed.source == str(path)
    assert access_for("Stake@example.org").role == "stakeholder"
    with pytest.raises(InputError, match=r"nobody@example\.org is not in the access file .*who\.toml"):
        access_for("nobody@example.org")


def test_default_path_and_a_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ETE_ACCESS_FILE", raising=False)
    assert access_file_path().name == "access.toml"
    assert access_file_path().parent == Path(__file__).resolve().parents[1]
    with pytest.raises(ConfigError, match=r"The access file .*missing\.toml does not exist.*access\.example\.toml"):
        read_access_file(tmp_path / "missing.toml")


def test_the_committed_example_file_is_valid() -> None:
    listed = read_access_file(Path(__file__).resolve().parents[1] / "access.example.toml")
    roles = {access.role for access in listed.users.values()}
    assert roles == {"director", "data_manager", "regional_lead", "stakeholder"}


def test_what_each_role_may_do() -> None:
    director = Access("d@example.org", "director")
    manager = Access("m@example.org", "data_manager")
    lead = Access("l@example.org", "regional_lead", ("Wales",))
    stakeholder = Access("s@example.org", "stakeholder")
    assert [a.can_upload for a in (director, manager, lead, stakeholder)] == [True, True, False, False]
    assert [a.can_see_audit for a in (director, manager, lead, stakeholder)] == [True, True, False, False]
    assert [a.can_see_participant_level for a in (director, manager, lead, stakeholder)] == [
        True, True, True, False]
    # stakeholders always get the stakeholder audience, whatever is asked for
    assert stakeholder.forced_audience == "stakeholder"
    assert stakeholder.audience("internal") == "stakeholder"
    assert lead.forced_audience is None and lead.audience("internal") == "internal"
    assert lead.audience("stakeholder") == "stakeholder"
    assert lead.allows_region("Wales") and not lead.allows_region("London")
    assert director.allows_region("London") and director.all_regions and not lead.all_regions
    assert local_access() == Access("local", "director", None)
    assert lead.describe() == "regional lead · Wales"
    with pytest.raises(ConfigError, match="Unknown role 'admin'"):
        Access("x@example.org", "admin")


def test_a_requested_region_is_narrowed_or_refused() -> None:
    lead = Access("l@example.org", "regional_lead", ("Wales", "London"))
    assert lead.check_regions(None) == ("Wales", "London")
    assert lead.check_regions([]) == ("Wales", "London")
    assert lead.check_regions(["Wales"]) == ("Wales",)
    with pytest.raises(ConfigError, match="l@example.org may see only Wales, London; North West is outside"):
        lead.check_regions(["Wales", "North West"])
    assert local_access().check_regions(None) is None
    assert local_access().check_regions(["North West"]) == ("North West",)


def _frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    participants = pd.DataFrame({
        "participant_id": ["P1", "P2", "P3", "P4"],
        "region": ["Wales", "London", "Wales", "North West"],
        "pathway": ["community", "custody", "custody", "community"],
        "delivery_partner": ["A", "B", "A", "C"],
    })
    milestones = pd.DataFrame({
        "participant_id": ["P1", "P2", "P2", "P3", "P4"],
        "milestone": ["job_start", "job_start", "training_start", "training_start", "job_start"],
    })
    targets = pd.DataFrame({
        "region": ["Wales", "London", "North West", "Wales"],
        "measure": [WORK.name, WORK.name, WORK.name, ENTERED.name],
        "target": [1, 2, 3, 4],
    })
    return participants, milestones, targets


def test_restrict_frames_keeps_only_the_users_regions() -> None:
    participants, milestones, targets = _frames()
    before = (participants.copy(), milestones.copy(), targets.copy())
    lead = Access("l@example.org", "regional_lead", ("Wales",))
    p, m, t = restrict_frames(lead, participants, milestones, targets)
    assert p["participant_id"].tolist() == ["P1", "P3"]
    assert m["participant_id"].tolist() == ["P1", "P3"]  # P2's and P4's milestones are gone
    assert t is not None and t["target"].tolist() == [1, 4]
    # the inputs are untouched
    for original, frame in zip(before, (participants, milestones, targets), strict=True):
        pd.testing.assert_frame_equal(original, frame)
    # two regions; targets optional
    both = Access("l@example.org", "regional_lead", ("London", "North West"))
    p, m, t = restrict_frames(both, participants, milestones)
    assert p["participant_id"].tolist() == ["P2", "P4"]
    assert m["participant_id"].tolist() == ["P2", "P2", "P4"]
    assert t is None
    # everyone: the frames come back as they are
    p, m, t = restrict_frames(local_access(), participants, milestones, targets)
    assert p is participants and m is milestones and t is targets


# --- Previews: a director sees the dashboard as another role does ----------------------


def test_only_a_director_may_preview() -> None:
    assert Access("d@x.org", "director").can_preview
    for role, regions in (("data_manager", None), ("regional_lead", ("Wales",)), ("stakeholder", None)):
        someone = Access("s@x.org", role, regions)
        assert not someone.can_preview
        with pytest.raises(ConfigError, match="may not preview"):
            someone.preview_as(Access("t@x.org", "stakeholder"))


def test_a_preview_has_the_previewed_scope_and_the_directors_email() -> None:
    director = Access("d@x.org", "director")
    seen = director.preview_as(Access("lead@x.org", "regional_lead", ("Wales",)))
    assert (seen.email, seen.role, seen.regions) == ("d@x.org", "regional_lead", ("Wales",))
    assert seen.forced_audience is None and not seen.can_upload and not seen.can_preview
    as_stakeholder = director.preview_as(Access("p@x.org", "stakeholder"))
    assert as_stakeholder.forced_audience == "stakeholder"
    assert not as_stakeholder.can_see_participant_level


def test_preview_choices_are_the_files_leads_and_stakeholders() -> None:
    choices = preview_choices(parse_access(GOOD), ["London", "Wales"])
    assert list(choices) == [  # in the file's order; the director and data manager are not offered
        "lead.wales@example.org (regional lead · Wales)",
        "lead.north@example.org (regional lead · North West, West Midlands)",
        "stake@example.org (stakeholder · all regions)",
        "stake.london@example.org (stakeholder · London)",
    ]
    assert choices["lead.wales@example.org (regional lead · Wales)"].regions == ("Wales",)


def test_without_a_file_a_lead_of_each_region_and_a_stakeholder() -> None:
    choices = preview_choices(None, ["London", "Wales"])
    assert list(choices) == [
        "A regional lead (London)", "A regional lead (Wales)", "A stakeholder (all regions)",
    ]
    assert [(a.role, a.regions) for a in choices.values()] == [
        ("regional_lead", ("London",)), ("regional_lead", ("Wales",)), ("stakeholder", None),
    ]
    # A file listing only directors and data managers offers the same.
    only_managers = parse_access('[users."a@x.org"]\nrole = "director"\n')
    assert list(preview_choices(only_managers, ["Wales"])) == [
        "A regional lead (Wales)", "A stakeholder (all regions)",
    ]
