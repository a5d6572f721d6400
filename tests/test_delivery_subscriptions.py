"""The subscriptions file (ete_metrics.delivery.subscriptions): one rule per kind of value,
errors naming the file, the entry and the key; recipients resolved by the access file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ete_metrics.delivery.subscriptions import (
    Subscription,
    parse_subscriptions,
    read_subscriptions,
    recipient_access,
    recipient_regions,
    subscriptions_file_path,
)
from ete_metrics.errors import DeliveryError, EteError
from ete_metrics.protect.access import parse_access

SOURCE = "subs.toml"
GOOD = '[[subscription]]\nto = "director@example.org"\nformat = "pdf"\nevery = "month"\n'
ACCESS = parse_access(
    '[users."director@example.org"]\nrole = "director"\n'
    '[users."lead.wales@example.org"]\nrole = "regional_lead"\nregions = ["Wales"]\n'
    '[users."lead.north@example.org"]\nrole = "regional_lead"\nregions = ["North West", "West Midlands"]\n'
    '[users."partner@example.org"]\nrole = "stakeholder"\n',
    source="access.toml",
)


def _error(text: str) -> str:
    with pytest.raises(DeliveryError) as caught:
        parse_subscriptions(text, source=SOURCE)
    assert isinstance(caught.value, EteError)
    return str(caught.value)


def test_a_file_of_subscriptions_is_read_in_its_order() -> None:
    text = GOOD + (
        '[[subscription]]\nto = "  Lead.WALES@Example.org "\nformat = ["XLSX", "pdf"]\n'
        'every = "quarter"\nworking_day = 5\nregions = ["wales"]\n'
        '[[subscription]]\nto = "partner@example.org"\nformat = "pptx"\nevery = "week"\n'
        '[[alert]]\nwhatever = "the alerts parse their own"\n'
    )
    parsed = parse_subscriptions(text, source=SOURCE)
    assert parsed.subscriptions == (
        Subscription(1, "director@example.org", ("pdf",), "month", 1, None),
        Subscription(2, "lead.wales@example.org", ("xlsx", "pdf"), "quarter", 5, ("Wales",)),
        Subscription(3, "partner@example.org", ("pptx",), "week", 1, None),
    )
    assert parsed.alerts == ({"whatever": "the alerts parse their own"},)
    assert parsed.subscriptions[1].name == "subscription 2"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[[subscription]\nto = 1", r"^subs\.toml is not valid TOML: .*Fix the file"),
        (
            GOOD + "colour = 'red'\n",
            r"^subs\.toml: subscription 1: colour is not a key of a subscription; use to, format, every, working_day, regions\.$",
        ),
        (
            GOOD.replace('"pdf"', '"docx"'),
            r"^subs\.toml: subscription 1: format names an unknown format 'docx'; use pdf, pptx or xlsx",
        ),
        (
            GOOD.replace('"pdf"', "[]"),
            r"^subs\.toml: subscription 1: format is \[\]; use pdf, pptx or xlsx",
        ),
        (
            GOOD.replace('"pdf"', '["pdf", "PDF"]'),
            r"subscription 1: format names pdf twice; give each format once",
        ),
        (
            GOOD.replace('"month"', '"daily"'),
            r"^subs\.toml: subscription 1: every is 'daily'; use \"month\", \"quarter\" or \"week\"",
        ),
        (
            GOOD + "working_day = 0\n",
            r"^subs\.toml: subscription 1: working_day is 0; .*a whole number from 1 to 19",
        ),
        (GOOD + "working_day = true\n", r"subscription 1: working_day is True;"),
        (GOOD + "working_day = 20\n", r"subscription 1: working_day is 20;"),
        (
            GOOD.replace('"month"', '"week"') + "working_day = 2\n",
            r"subscription 1: working_day applies to a month or a quarter",
        ),
        (
            GOOD.replace('"director@example.org"', '"not an address"'),
            r"subscription 1: to is not an email address",
        ),
        (GOOD.replace('to = "director@example.org"\n', ""), r"subscription 1: to is missing"),
        (
            GOOD + 'regions = ["Atlantis"]\n',
            r"subscription 1: regions names an unknown region 'Atlantis'; use one of London",
        ),
        (GOOD + 'regions = "Wales"\n', r"subscription 1: regions is 'Wales'; give a list"),
        (GOOD + "regions = []\n", r"subscription 1: regions is \[\]; give a list"),
        (
            GOOD + GOOD.replace('"month"', '"fortnight"'),
            r"^subs\.toml: subscription 2: every is 'fortnight'",
        ),
        (
            '[subscription]\nto = "a@b.c"\n',
            r"subscription must be written \[\[subscription\]\] \(double brackets\)",
        ),
        (
            GOOD + "[[alerts]]\nx = 1\n",
            r"^subs\.toml: alerts is not a table of the subscriptions file; it holds \[\[subscription\]\] and \[\[alert\]\] entries only",
        ),
        ('title = "packs"\n' + GOOD, r"^subs\.toml: title is not a table"),
    ],
    ids=[
        "bad TOML",
        "unknown key",
        "bad format",
        "no format",
        "a format twice",
        "bad every",
        "working_day 0",
        "working_day a boolean",
        "working_day too late",
        "working_day of a week",
        "to not an address",
        "to missing",
        "unknown region",
        "regions not a list",
        "regions empty",
        "the second entry named",
        "a single table",
        "unknown table",
        "a loose key",
    ],
)
def test_every_error_names_the_file_the_entry_and_the_key(text: str, says: str) -> None:
    message = _error(text)
    assert re.search(says, message), message


def test_the_file_is_beside_the_access_file_unless_named(tmp_path: Path) -> None:
    access = tmp_path / "conf" / "access.toml"
    assert (
        subscriptions_file_path(environ={"ETE_ACCESS_FILE": str(access)})
        == tmp_path / "conf" / "subscriptions.toml"
    )
    named = tmp_path / "elsewhere.toml"
    assert (
        subscriptions_file_path(
            environ={"ETE_ACCESS_FILE": str(access), "ETE_SUBSCRIPTIONS_FILE": str(named)}
        )
        == named
    )
    assert subscriptions_file_path(tmp_path / "x.toml", environ={}) == tmp_path / "x.toml"


def test_a_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DeliveryError, match=r"does not exist\. Copy subscriptions\.example\.toml"):
        read_subscriptions(tmp_path / "missing.toml")


def test_the_example_file_is_valid() -> None:
    example = Path(__file__).resolve().parents[1] / "subscriptions.example.toml"
    parsed = read_subscriptions(example)
    assert parsed.subscriptions, "the example shows subscriptions"
    known = parse_access(
        (Path(__file__).resolve().parents[1] / "access.example.toml").read_text(encoding="utf-8")
    )
    for (
        subscription
    ) in parsed.subscriptions:  # every recipient of the example is a user of its access file
        access = recipient_access(
            known,
            subscription.to,
            source="example",
            kind="subscription",
            number=subscription.number,
        )
        recipient_regions(
            access,
            subscription.regions,
            source="example",
            kind="subscription",
            number=subscription.number,
        )


def _where(number: int = 4) -> dict[str, object]:
    return {"source": SOURCE, "kind": "subscription", "number": number}


def test_an_address_the_access_file_does_not_list_gets_nothing_and_is_not_named() -> None:
    with pytest.raises(DeliveryError) as caught:
        recipient_access(ACCESS, "nobody@example.org", **_where())  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("subs.toml: subscription 4: to is not in the access file access.toml")
    assert "nobody" not in message  # the entry is named, never the address


def test_regions_narrower_than_access_are_kept_wider_refused() -> None:
    lead = recipient_access(ACCESS, "LEAD.north@example.org", **_where())  # type: ignore[arg-type]
    assert recipient_regions(lead, None, **_where()) == ("North West", "West Midlands")  # type: ignore[arg-type]
    assert recipient_regions(lead, ("North West",), **_where()) == ("North West",)  # type: ignore[arg-type]
    wales = recipient_access(ACCESS, "lead.wales@example.org", **_where())  # type: ignore[arg-type]
    with pytest.raises(DeliveryError) as caught:
        recipient_regions(wales, ("Wales", "London"), **_where(2))  # type: ignore[arg-type]
    assert str(caught.value).startswith(
        "subs.toml: subscription 2: regions names London, outside what the recipient may see (Wales)"
    )
    director = recipient_access(ACCESS, "director@example.org", **_where())  # type: ignore[arg-type]
    assert recipient_regions(director, ("London",), **_where()) == ("London",)  # type: ignore[arg-type]
    assert recipient_regions(director, None, **_where()) is None  # type: ignore[arg-type]


def test_a_stakeholder_pack_covers_the_programme_or_one_region() -> None:
    partner = recipient_access(ACCESS, "partner@example.org", **_where())  # type: ignore[arg-type]
    assert recipient_regions(partner, ("Wales",), **_where()) == ("Wales",)  # type: ignore[arg-type]
    with pytest.raises(DeliveryError, match=r"subscription 4: regions does not suit a stakeholder"):
        recipient_regions(partner, ("Wales", "London"), **_where())  # type: ignore[arg-type]
