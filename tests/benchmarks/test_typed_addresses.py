"""Addresses as typed: seeded, each variant really applied, each truth the extract's own."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter

import pytest

from benchmarks.synthetic.ban import generate_ban
from benchmarks.synthetic.typed_addresses import CORNER_M, TypedAddress, generate_typed

ABBREVIATED = {"r.", "r", "av.", "av", "ave", "bd", "bld", "boul.", "pl.", "pl", "imp.", "ch."}
ABBREVIATED |= {"imp", "chem.", "che", "all.", "al.", "rte"}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return generate_ban(seed=5, n_addresses=4000)


@pytest.fixture(scope="module")
def typed(rows: list[dict[str, str]]) -> list[TypedAddress]:
    return generate_typed(rows, 2000, seed=9)


def folded(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, (lat2 - lat1) * 110_574)


def edits(a: str, b: str) -> int:
    """Levenshtein distance with swaps of neighbours (written here, not taken from the code)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def row_at(rows: list[dict[str, str]], address: TypedAddress) -> dict[str, str]:
    [row] = [
        r
        for r in rows
        if r["id_fantoir"] == address.streets[0]
        and float(r["lon"]) == address.lon
        and float(r["lat"]) == address.lat
    ]
    return row


def test_same_seed_same_addresses(rows: list[dict[str, str]], typed: list[TypedAddress]) -> None:
    assert generate_typed(rows, 2000, seed=9) == typed
    assert generate_typed(rows, 2000, seed=10) != typed


def test_every_family_in_its_share(typed: list[TypedAddress]) -> None:
    counts = Counter(a.family for a in typed)
    assert counts["clean"] == 400 and counts["typed"] == 1000
    for family in ("face", "missing_number", "missing_street"):
        assert 100 <= counts[family] <= 160, family
    # Corners: as many as the extract has streets within CORNER_M of each other, up to 7 %.
    assert 5 <= counts["angle"] <= 140


def test_clean_and_typed_truths_are_the_extract_points(
    rows: list[dict[str, str]], typed: list[TypedAddress]
) -> None:
    for address in typed:
        if address.family not in ("clean", "typed", "face"):
            continue
        row = row_at(rows, address)
        assert address.truth == "point"
        assert address.citycode == row["code_insee"]
        assert address.street_names == (row["nom_voie"],)
        if address.family == "clean":
            number = f"{row['numero']} {row['rep']}".strip()
            label = f"{number} {row['nom_voie']} {row['code_postal']} {row['nom_commune']}"
            assert address.text == label


def test_each_typed_variant_is_in_the_text(
    rows: list[dict[str, str]], typed: list[TypedAddress]
) -> None:
    seen: Counter[str] = Counter()
    for address in (a for a in typed if a.family == "typed"):
        row = row_at(rows, address)
        text, variants = address.text, set(address.variants)
        seen.update(variants)
        tokens = text.split(" ")
        if "lower" in variants:
            assert text == text.lower()
        if "upper" in variants:
            assert text == text.upper()
        if "no_accents" in variants:
            assert text.isascii()
        if "no_hyphens" in variants:
            assert "-" not in text
        if "abbreviated" in variants:
            assert any(t.lower() in ABBREVIATED for t in tokens[:3])
        if "no_postcode" in variants:
            assert row["code_postal"] not in text
        else:
            assert row["code_postal"] in text
        city = folded(row["nom_commune"]).replace("-", " ")
        assert (city in folded(text).replace("-", " ")) != ("no_city" in variants)
        if "no_article" in variants:
            article = re.search(r" (de la |de l'|du |des |d'|de )", row["nom_voie"])
            assert article is not None and folded(article.group()) not in folded(text)
        if "repetition" in variants:
            assert re.match(rf"{row['numero']} ?(b|t|B|T|bis|ter|BIS|TER) ", text)
        if "typo" in variants:
            name = re.split(r"[^a-z0-9]+", folded(row["nom_voie"]))
            written = re.split(r"[^a-z0-9]+", folded(text))
            # One word of the name is one letter away from what was typed; none further.
            assert any(edits(w, t) == 1 for w in name for t in written)
        if not variants:
            assert text == text.strip() and row["nom_voie"] in text
    for variant in ("abbreviated", "lower", "upper", "no_accents", "no_postcode", "no_city"):
        assert seen[variant] >= 50, variant
    for variant in ("typo", "no_article", "repetition"):
        assert seen[variant] >= 10, variant


def test_face_names_the_number_of_its_point(
    rows: list[dict[str, str]], typed: list[TypedAddress]
) -> None:
    faces = [a for a in typed if a.family == "face"]
    assert faces
    for address in faces:
        row = row_at(rows, address)
        number = f"{row['numero']} {row['rep']}".strip()
        assert re.match(rf"(face au|en face du|devant le|face) {number} ", address.text)


def test_a_corner_is_an_address_of_the_first_street_near_the_second(
    rows: list[dict[str, str]], typed: list[TypedAddress]
) -> None:
    corners = [a for a in typed if a.family == "angle"]
    assert corners
    for address in corners:
        first, second = address.streets
        assert first != second
        corner = row_at(rows, address)
        others = [r for r in rows if r["id_fantoir"] == second]
        assert others and all(r["code_insee"] == address.citycode for r in others)
        nearest = min(
            metres(float(r["lon"]), float(r["lat"]), address.lon or 0, address.lat or 0)
            for r in others
        )
        assert nearest <= CORNER_M + 1  # metres measured here a little differently
        first_points = [r for r in rows if r["id_fantoir"] == first]
        # No address of the first street is nearer the second one than the corner.
        for r in first_points:
            assert nearest <= 0.5 + min(
                metres(float(r["lon"]), float(r["lat"]), float(o["lon"]), float(o["lat"]))
                for o in others
            )
        assert corner["id_fantoir"] == first


def test_missing_numbers_and_streets_do_not_exist(
    rows: list[dict[str, str]], typed: list[TypedAddress]
) -> None:
    numbers: dict[str, set[int]] = {}
    names: dict[str, set[str]] = {}
    for r in rows:
        numbers.setdefault(r["id_fantoir"], set()).add(int(r["numero"]))
        names.setdefault(r["code_insee"], set()).add(folded(r["nom_voie"]))
    for address in typed:
        if address.family == "missing_number":
            assert address.truth == "street" and address.lon is None
            written = int(address.text.split(" ")[0])
            assert written not in numbers[address.streets[0]]
        if address.family == "missing_street":
            assert address.truth == "none" and not address.streets
            text = folded(address.text)
            assert not any(name.split(" ", 1)[-1] in text for name in names[address.citycode])
