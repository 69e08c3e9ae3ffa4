"""The geocoder's own scoring and query cleaning, on hand-made inputs (no Redis)."""

from __future__ import annotations

import random

import pytest
from addok.helpers.text import ascii, compare_ngrams

from observatory.geocoder.queries import clean_typed
from observatory.geocoder.scoring import (
    compare_bigrams,
    one_letter_apart,
    share_named,
    street_words,
)


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [
        ("12 bd du Canal 31000 Toulouse", "12 boulevard du Canal 31000 Toulouse"),
        ("3 r. d'Albi", "3 rue d'Albi"),
        ("12B R. des Pyrénées", "12B rue des Pyrénées"),
        ("71 BLD CANAL TOULOUSE", "71 BOULEVARD CANAL TOULOUSE"),
        ("5 imp. des Lilas", "5 impasse des Lilas"),
        ("8 rte de Narbonne", "8 route de Narbonne"),
        ("face au 55 ch. du Lavoir", "55 chemin du Lavoir"),
        ("en face du 94 ave de la Bourse 31400", "94 avenue de la Bourse 31400"),
        ("devant le 12 Rue du Bois 31700 Blagnac", "12 Rue du Bois 31700 Blagnac"),
        ("angle r. Pasteur / av. Jean Jaurès 31000 Toulouse", "rue Pasteur 31000 Toulouse"),
        ("à l'angle de bd du Canal et avenue de la Paix 31400", "boulevard du Canal 31400"),
        ("carrefour rue Marie Curie rue Hector Berlioz", "rue Marie Curie"),
        ("rue du 8 Mai 1945 angle rue des Lilas", "rue du 8 Mai 1945"),
        # Left as they are: no kind to write in full, no landmark, no corner.
        ("12 Rue Clément Ader 31000 Toulouse", "12 Rue Clément Ader 31000 Toulouse"),
        ("Le Ramelet 31770 Colomiers", "Le Ramelet 31770 Colomiers"),
        ("4 Place Pl", "4 Place Pl"),
    ],
)
def test_clean_typed(typed: str, cleaned: str) -> None:
    assert clean_typed(typed) == cleaned


def test_street_words_leave_out_the_kind_and_the_articles() -> None:
    assert street_words("Rue de la République") == ["republique"]
    assert street_words("Chemin de l'Église") == ["eglise"]
    assert street_words("Rue du Pont") == ["pont"]  # a kind of way that names the street
    assert street_words("Le Ramelet") == ["ramelet"]
    assert street_words("Route de Saint-Simon") == ["saint", "simon"]


def test_one_letter_apart() -> None:
    assert one_letter_apart("gambetta", "gambegta")  # changed
    assert one_letter_apart("lauriers", "luariers")  # swapped
    assert one_letter_apart("tuilerie", "tuillerie")  # doubled
    assert one_letter_apart("cedres", "cedes")  # dropped
    assert not one_letter_apart("fontaine", "bellefontaine")
    assert not one_letter_apart("lavoir", "lavirr")


def test_share_named() -> None:
    assert share_named("Rue des Pyrénées", "12 rue pryenees 31700") == 1.0
    assert share_named("Rue de la Fontaine", "11 rue de bellefontaine 31270 cugnaux") == 0.0
    assert share_named("Rue Pierre et Marie Curie", "3 rue marie curie") == pytest.approx(2 / 3)
    assert share_named("Rue Saint-Simon", "4 r st simon") == 1.0
    # Short words must match exactly: « Pins » is not « Pont ».
    assert share_named("Allée des Pins", "2 allee des pont") == 0.0


def test_compare_bigrams_is_addoks_compare_ngrams() -> None:
    rng = random.Random(4)
    words = ["rue", "de", "la", "paix", "12", "bis", "31000", "toulouse", "aa", "a", "é", "Lilas"]
    for _ in range(5000):
        left = " ".join(rng.choice(words) for _ in range(rng.randint(0, 6)))
        right = " ".join(rng.choice(words) for _ in range(rng.randint(0, 6)))
        assert compare_bigrams(ascii(left), ascii(right)) == pytest.approx(
            compare_ngrams(left, right), abs=1e-12
        )


def test_a_corner_written_without_a_separator() -> None:
    assert clean_typed("carrefour allée des Jardins che Victor Hugo 31100") == (
        "allée des Jardins 31100"
    )
    assert clean_typed("carrefour Rue de la Poste bld de Muret") == "Rue de la Poste"
