"""Spoken names of stored pseudonyms: short, stable, one per pseudonym."""

from __future__ import annotations

from ete_metrics.present import pseudonyms
from ete_metrics.present.pseudonyms import WORDS, spoken_name, spoken_names


def test_a_name_is_a_word_and_two_digits_and_the_same_each_time() -> None:
    name = spoken_name("f" * 64)
    word, number = name.split(" ")
    assert word in WORDS and len(number) == 2 and 10 <= int(number) <= 99
    assert spoken_name("f" * 64) == name


def test_missing_and_empty_pseudonyms_have_no_name() -> None:
    assert spoken_names([None, "", float("nan")]) == {}


def test_two_pseudonyms_never_share_a_name(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # One word, so two-digit names clash often: 200 pseudonyms over 90 numbers must.
    monkeypatch.setattr(pseudonyms, "WORDS", ("Wren",))
    given = [f"pseudonym {i}" for i in range(200)]
    names = spoken_names(given + given[:3])  # repeats count once
    assert set(names) == set(given)
    assert len(set(names.values())) == 200  # no two share a name
    lengths = {len(n.split(" ")[1]) for n in names.values()}
    assert min(lengths) == 2 and max(lengths) > 2  # the clashing ones got longer
