"""Words of headers and labels, and category labels matched as people write them."""

from __future__ import annotations

from collections import defaultdict

import pytest

from observatory.categories import CATEGORIES
from observatory.labels import (
    CATEGORY_FILLERS,
    CategoryMatcher,
    singular,
    word_key,
    words,
)

NAMES = {name: c.code for c in CATEGORIES for name in (c.code, c.label, *c.aliases)}
LABELS = {c.code: c.label for c in CATEGORIES}


@pytest.fixture(scope="module")
def matcher() -> CategoryMatcher:
    return CategoryMatcher.of(NAMES, LABELS)


@pytest.mark.parametrize(
    ("word", "one"),
    [
        ("faits", "fait"), ("lieux", "lieu"), ("locaux", "locau"), ("crimes", "crime"),
        ("categories", "categorie"), ("x", "x"), ("ils", "ils"), ("coordx", "coordx"),
        ("adresse", "adresse"), ("express", "express"), ("l93", "l93"),
    ],
)  # fmt: skip
def test_singular_is_a_plain_rule(word: str, one: str) -> None:
    assert singular(word) == one


def test_words_drop_the_small_words_and_fold_case_and_accents() -> None:
    assert words("Date de début des faits") == ("date", "debut", "fait")
    assert words("Nature de l'intervention") == ("nature", "intervention")
    assert words("Lieu d’intervention") == ("lieu", "intervention")  # typographic apostrophe
    assert words("Vol à l'étalage AUX abords du magasin") == ("vol", "a", "etalage", "abord",
                                                             "magasin")  # fmt: skip
    assert words("de la") == ()


def test_word_order_and_repeats_do_not_count() -> None:
    assert (
        word_key("intervention, nature")
        == word_key("NATURE-INTERVENTIONS")
        == ("intervention nature")
    )
    assert word_key("date date") == "date"


def test_every_label_and_alias_of_the_nomenclature_maps_to_itself(
    matcher: CategoryMatcher,
) -> None:
    wrong = {name: matcher.code(name) for name, code in NAMES.items() if matcher.code(name) != code}
    assert wrong == {}


def test_no_two_categories_share_the_words_of_a_name() -> None:
    codes_by_key: dict[str, set[str]] = defaultdict(set)
    for name, code in NAMES.items():
        codes_by_key[word_key(name, CATEGORY_FILLERS)].add(code)
    assert {k: v for k, v in codes_by_key.items() if len(v) > 1} == {}


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Violences volontaires", "violences_physiques"),
        ("Dégradation de biens", "degradation_bien_prive"),
        ("Occupation de hall d'immeuble", "occupation_halls"),
        ("OCCUPATION HALLS IMMEUBLES", "occupation_halls"),
        ("Tapages nocturnes", "tapage"),
        ("Dégradations de biens publics", "degradation_bien_public"),
        ("vols de vélos", "vol_velo"),
        ("Vol à l’étalage", "vol_etalage"),
        ("Rodéos urbains", "rodeo_urbain"),
        ("Dépôts sauvages", "depot_sauvage"),
    ],
)
def test_labels_as_people_write_them(matcher: CategoryMatcher, label: str, code: str) -> None:
    assert matcher.code(label) == code


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Chien errant", None),
        ("Vol de câbles", None),  # a kind of theft the nomenclature does not name: not guessed
        ("Dégradation", "degradation_bien_prive"),  # an alias, as the nomenclature says
        ("Vol de biens", "vol_simple"),  # « biens » names no kind: the alias « vol »
    ],
)
def test_only_the_words_of_a_name_match(
    matcher: CategoryMatcher, label: str, code: str | None
) -> None:
    assert matcher.code(label) == code


def test_a_key_shared_by_two_categories_matches_neither() -> None:
    shared = CategoryMatcher.of({"Vol de biens": "vol_simple", "Vols de bien": "autre"})
    assert shared.code("Vol de biens") == "vol_simple"  # exact
    assert shared.code("vols biens") is None  # words: two categories, no choice


def test_unknown_labels_get_the_three_closest_categories(matcher: CategoryMatcher) -> None:
    assert [s.code for s in matcher.suggestions("Tapage diurnes répétés")][:1] == ["tapage"]
    assert "degradation_vehicule" in [s.code for s in matcher.suggestions("Dégradation voiture")]
    found = matcher.suggestions("Chien errant")
    assert len(found) == 3 and len({s.code for s in found}) == 3
    assert all(s.label == LABELS[s.code] for s in found)
