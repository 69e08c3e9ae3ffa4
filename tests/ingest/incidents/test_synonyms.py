"""Header recognition on real spellings: French municipal exports and foreign portals."""

from __future__ import annotations

import csv
from itertools import combinations
from pathlib import Path

import pytest

from ingest.incidents.mapping import TARGETS
from ingest.incidents.synonyms import KEYS, SYNONYMS, HeaderIndex, recognised_count

TABLE = Path(__file__).with_name("header_spellings.csv")


def spellings() -> list[tuple[str, str, str]]:
    with TABLE.open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter=";"))
    return [(r["header"], r["expected_field"], r["source"]) for r in rows]


def recognised(header: str) -> str:
    """The field one header alone is taken for, "" for none."""
    found = HeaderIndex([header]).recognise(TARGETS, set())
    return next(iter(found), "")


def test_the_table_is_large_and_says_where_each_spelling_comes_from() -> None:
    rows = spellings()
    assert len(rows) >= 60
    assert all(source.strip() for _, _, source in rows)
    assert {field for _, field, _ in rows if field} <= set(TARGETS)
    # Spellings that must stay unrecognised are part of the table too.
    assert sum(1 for _, field, _ in rows if not field) >= 10


@pytest.mark.parametrize(("header", "expected", "source"), spellings())
def test_real_header_spellings_name_their_field(header: str, expected: str, source: str) -> None:
    assert recognised(header) == expected, source


def test_no_two_fields_share_a_synonym() -> None:
    for (a, keys_a), (b, keys_b) in combinations(KEYS.items(), 2):
        letters_a, words_a = zip(*keys_a, strict=True)
        letters_b, words_b = zip(*keys_b, strict=True)
        assert not set(letters_a) & set(letters_b), (a, b)
        assert not set(words_a) & set(words_b), (a, b)
    assert set(SYNONYMS) == set(TARGETS)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("NATURE_INTERVENTIONS", "category"),  # case, underscores, plural
        ("intervention (nature)", "category"),  # word order
        ("Date début faits", "date"),  # articles left out
        ("Date d'export", ""),  # a title's words: no field
        ("Heure-fin", "time_end"),  # hyphen
        ("Lieux de l'évènement", "address"),  # plural, accents
    ],
)
def test_words_not_spelling_decide(header: str, field: str) -> None:
    assert recognised(header) == field


def test_the_first_header_of_equals_takes_the_field_once() -> None:
    index = HeaderIndex(["Date des faits", "Date", "Heure", "Nature", "Type"])
    found = index.recognise(TARGETS, set())
    assert found["date"] == "Date"  # "date" is the preferred synonym
    assert found["category"] == "Nature"
    assert "Type" not in found.values()


def test_a_title_names_no_field_and_a_header_several() -> None:
    assert recognised_count(["Export main courante — Police municipale de Blagnac"]) == 0
    assert recognised_count(["Date", "Heure", "Nature de l'intervention", "Lieu"]) == 4
    assert recognised_count(["15/01/2024", "22:10", "Tapage nocturne", "2 rue du Taur"]) == 0
