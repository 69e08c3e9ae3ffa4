"""Addresses as people type them, drawn from a BAN extract, each with its truth.

The geocoder's quality is measured on these (benchmarks/bench_geocoding_quality.py, the tests).
Six families:

- ``clean``: the BAN's own label, « 12 bis Rue de la République 31000 Toulouse ».
- ``typed``: the same address as written in a municipal tool, with one to four of these
  variants: kind of way abbreviated (r. av. bd pl. imp. ch. all. rte), lower or upper case,
  accents dropped, hyphens dropped, bis/ter written « 12B », « 12 b », « 12bis », the postcode
  and the city present or not, a one-letter typo in the street's name, the article dropped
  (« rue République »). Truth: the address point.
- ``face``: « face au 12 … », « en face du 12 … », « devant le 12 … ». Truth: the point of 12,
  the number named (what an officer would mean).
- ``angle``: « angle rue X / rue Y », « à l'angle de rue X et rue Y », « carrefour
  … ». The generated streets are straight lines that seldom cross, so the corner is defined as
  the address point of X nearest to any address of Y, for pairs of streets of one commune that
  come within 60 m of each other. Truth: that point; both X and Y are the right street.
- ``missing_number``: a real street with a number it does not have (beyond its last one).
  Truth: the street, no point; a housenumber placement is wrong, the street is right.
- ``missing_street``: a street the commune does not have: invented names (none of their words
  is in the commune's street names) and names of other communes' streets. Truth: « does not
  exist »; it must never be placed with a score at or above the threshold.

Every address carries the commune it belongs to (``citycode``), as an importer passes the
row's commune. The same seed gives the same addresses.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

FAMILIES = ("clean", "typed", "face", "angle", "missing_number", "missing_street")
# Shares of each family in a generated set (clean and typed weigh the most, as in real exports).
DEFAULT_SHARES = {
    "clean": 0.2,
    "typed": 0.5,
    "face": 0.07,
    "angle": 0.07,
    "missing_number": 0.08,
    "missing_street": 0.08,
}
TYPED_VARIANTS = (
    "abbreviated",
    "lower",
    "upper",
    "no_accents",
    "no_hyphens",
    "repetition",
    "no_postcode",
    "no_city",
    "typo",
    "no_article",
)

# As the BAN spells the kind → the ways people shorten it.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "Rue": ("r.", "r", "R."),
    "Avenue": ("av.", "av", "ave"),
    "Boulevard": ("bd", "bld", "boul."),
    "Place": ("pl.", "pl"),
    "Impasse": ("imp.", "imp"),
    "Chemin": ("ch.", "chem.", "che"),
    "Allée": ("all.", "al."),
    "Route": ("rte",),
}
_ARTICLE = re.compile(r"^(de la |de l'|du |des |d'|de )", re.IGNORECASE)
FACE = ("face au {n}", "en face du {n}", "devant le {n}", "face {n}")
ANGLE = (
    "angle {x} / {y}",
    "angle {x} et {y}",
    "à l'angle de {x} et {y}",
    "carrefour {x} {y}",
    "{x} angle {y}",
    "{x} / {y}",
)
# Corner pairs: two streets whose addresses come this close (metres).
CORNER_M = 60.0
# Street names no generated extract holds (benchmarks/synthetic/ban_names.py has none of them).
INVENTED: tuple[str, ...] = (
    "Rue des Songes Creux",
    "Impasse du Grand Murier",
    "Chemin de Ferrandou",
    "Allée Guillaume Apollinaire",
    "Rue Hippolyte Bayard",
    "Avenue des Hirondelles",
    "Rue du Petit Guéret",
    "Place Sainte-Scarbe",
    "Boulevard Octave Mirbeau",
    "Chemin de Lanusse",
    "Rue Théodore Monod",
    "Impasse des Cigognes",
    "Rue de Bellefontaine",
    "Route de Quint",
    "Allée des Bouvreuils",
    "Rue Pierre Loti",
    "Avenue Raymond Naves",
    "Rue Ernest Renan",
    "Chemin du Pastel",
    "Rue de Pouvourville",
)


@dataclass(frozen=True)
class TypedAddress:
    """One address as typed, and the truth it is measured against.

    ``truth`` is « point » (the address exists: ``lon``/``lat`` is where it is), « street »
    (the street exists, not the number: no point) or « none » (the street does not exist).
    ``streets`` are the right streets' ids (``id_fantoir``), two for a corner, none for « none »;
    ``street_names`` their names.
    """

    text: str
    citycode: str
    family: str
    truth: str
    lon: float | None = None
    lat: float | None = None
    streets: tuple[str, ...] = ()
    street_names: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()


@dataclass
class Street:
    """One street of the extract with its address rows, by number label (« 12 », « 12 bis »)."""

    fantoir: str
    name: str
    citycode: str
    commune: str
    postcode: str
    rows: dict[str, dict[str, str]] = field(default_factory=dict)


def streets_of(rows: Sequence[dict[str, str]]) -> list[Street]:
    """The extract's streets (lieux-dits included), in the order of their ids."""
    streets: dict[str, Street] = {}
    for row in rows:
        key = row["id_fantoir"]
        street = streets.get(key)
        if street is None:
            street = streets[key] = Street(
                key, row["nom_voie"], row["code_insee"], row["nom_commune"], row["code_postal"]
            )
        label = f"{row['numero']} {row['rep']}".strip()
        street.rows.setdefault(label, row)
    return [streets[k] for k in sorted(streets)]


def plain(text: str) -> str:
    """The text without accents."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", plain(text).lower()) if len(w) > 2}


def clean_label(row: dict[str, str]) -> str:
    number = f"{row['numero']} {row['rep']}".strip()
    return f"{number} {row['nom_voie']} {row['code_postal']} {row['nom_commune']}"


def _truth(
    row: dict[str, str], family: str, text: str, variants: Sequence[str] = ()
) -> TypedAddress:
    return TypedAddress(
        text=text,
        citycode=row["code_insee"],
        family=family,
        truth="point",
        lon=float(row["lon"]),
        lat=float(row["lat"]),
        streets=(row["id_fantoir"],),
        street_names=(row["nom_voie"],),
        variants=tuple(variants),
    )


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def abbreviate(street: str, rng: np.random.Generator) -> str:
    kind, _, rest = street.partition(" ")
    if kind in ABBREVIATIONS and rest:
        return f"{_pick(rng, ABBREVIATIONS[kind])} {rest}"
    return street


def drop_article(street: str) -> str:
    """« Rue de la République » → « Rue République »; a lieu-dit is left as it is."""
    kind, _, rest = street.partition(" ")
    if kind.rstrip(".") not in {k.rstrip(".") for k in ABBREVIATIONS} | {
        a.rstrip(".") for v in ABBREVIATIONS.values() for a in v
    }:
        return street
    stripped = _ARTICLE.sub("", rest)
    return f"{kind} {stripped}" if stripped else street


def typo(word: str, rng: np.random.Generator) -> str:
    """One letter changed, dropped, doubled or swapped with the next (never the first)."""
    if len(word) < 5:
        return word
    i = int(rng.integers(1, len(word) - 1))
    how = int(rng.integers(4))
    letters = "abcdefghijklmnopqrstuvwxyz"
    if how == 0:
        new = _pick(rng, [c for c in letters if c != word[i].lower()])
        return word[:i] + new + word[i + 1 :]
    if how == 1:
        return word[:i] + word[i + 1 :]
    if how == 2:
        return word[:i] + word[i] + word[i:]
    if word[i] == word[i + 1]:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _typo_in_name(street: str, rng: np.random.Generator) -> str:
    """A typo in the longest run of letters of the name (not the kind of way)."""
    kind, _, rest = street.partition(" ")
    target = rest or kind
    runs = list(re.finditer(r"[^\W\d_]+", target))
    if not runs:
        return street
    longest = max(runs, key=lambda m: len(m.group()))
    target = target[: longest.start()] + typo(longest.group(), rng) + target[longest.end() :]
    return f"{kind} {target}" if rest else target


def repetition(row: dict[str, str], rng: np.random.Generator) -> str:
    """« 12 bis » as typed: « 12B », « 12 b », « 12bis », « 12 BIS », « 12 ter » → « 12T »."""
    number, rep = row["numero"], row["rep"]
    if not rep:
        return number
    letter = rep[0]
    return _pick(
        rng,
        [
            f"{number}{letter.upper()}",
            f"{number} {letter}",
            f"{number}{rep}",
            f"{number} {rep.upper()}",
        ],
    )


def typed(row: dict[str, str], rng: np.random.Generator) -> tuple[str, tuple[str, ...]]:
    """The row's address with one to four variants, and their names."""
    candidates = [v for v in TYPED_VARIANTS if v != "repetition" or row["rep"]]
    chosen = {"repetition"} if row["rep"] and rng.random() < 0.7 else set()
    k = int(rng.integers(1, 5))
    chosen |= {str(v) for v in rng.choice(candidates, size=min(k, len(candidates)), replace=False)}
    if "lower" in chosen and "upper" in chosen:
        chosen.discard("upper")
    if "repetition" in chosen and not row["rep"]:
        chosen.discard("repetition")
    street = row["nom_voie"]
    if "no_article" in chosen:
        without = drop_article(street)
        if without == street:
            chosen.discard("no_article")
        street = without
    if "typo" in chosen:
        wrong = _typo_in_name(street, rng)
        if wrong == street:
            chosen.discard("typo")
        street = wrong
    if "abbreviated" in chosen:
        shorter = abbreviate(street, rng)
        if shorter == street:
            chosen.discard("abbreviated")
        street = shorter
    if "no_hyphens" in chosen and "-" not in street and "-" not in row["nom_commune"]:
        chosen.discard("no_hyphens")
    number = repetition(row, rng) if "repetition" in chosen else f"{row['numero']} {row['rep']}"
    place = []
    if "no_postcode" not in chosen:
        place.append(row["code_postal"])
    if "no_city" not in chosen:
        place.append(row["nom_commune"])
    text = " ".join(f"{number.strip()} {street} {' '.join(place)}".split())
    if "no_hyphens" in chosen:
        text = text.replace("-", " ")
    if "no_accents" in chosen:
        text = plain(text)
    if "lower" in chosen:
        text = text.lower()
    elif "upper" in chosen:
        text = text.upper()
    return text, tuple(sorted(chosen))


def _with_place(text: str, street: Street, rng: np.random.Generator) -> str:
    where = _pick(rng, [f"{street.postcode} {street.commune}", street.commune, street.postcode, ""])
    return " ".join(f"{text} {where}".split())


def _street_written(street: Street, rng: np.random.Generator) -> str:
    name = street.name
    if rng.random() < 0.5:
        name = abbreviate(name, rng)
    return name.lower() if rng.random() < 0.5 else name


def _points(street: Street) -> np.ndarray:
    return np.array([[float(r["lon"]), float(r["lat"])] for r in street.rows.values()])


def corners(streets: Sequence[Street], limit: int) -> list[tuple[Street, Street, dict[str, str]]]:
    """Pairs of streets of one commune that come within CORNER_M, with the corner address of
    the first (its address nearest to the second)."""
    pairs = []
    by_commune: dict[str, list[Street]] = {}
    for street in streets:
        if street.name.split(" ")[0] in ABBREVIATIONS:
            by_commune.setdefault(street.citycode, []).append(street)
    for group in by_commune.values():
        points = [_points(s) for s in group]
        lat0 = float(points[0][0, 1])
        scale = np.array([111_320 * math.cos(math.radians(lat0)), 110_574])
        boxes = np.array([[*(p.min(0) * scale), *(p.max(0) * scale)] for p in points])
        for i in range(len(group)):
            near = np.nonzero(
                (boxes[:, 0] <= boxes[i, 2] + CORNER_M)
                & (boxes[:, 2] >= boxes[i, 0] - CORNER_M)
                & (boxes[:, 1] <= boxes[i, 3] + CORNER_M)
                & (boxes[:, 3] >= boxes[i, 1] - CORNER_M)
            )[0]
            for j in near[near > i]:
                a, b = points[i] * scale, points[j] * scale
                gaps = np.hypot(*(a[:, None, :] - b[None, :, :]).transpose(2, 0, 1))
                if gaps.min() <= CORNER_M:
                    k = int(gaps.min(axis=1).argmin())
                    pairs.append((group[i], group[int(j)], list(group[i].rows.values())[k]))
            if len(pairs) >= limit:
                return pairs
    return pairs


def missing_streets(streets: Sequence[Street]) -> list[tuple[str, Street]]:
    """(a street name the commune does not have, a street of that commune for its place)."""
    names_by_commune: dict[str, set[str]] = {}
    words_by_commune: dict[str, set[str]] = {}
    sample: dict[str, Street] = {}
    for street in streets:
        names_by_commune.setdefault(street.citycode, set()).add(street.name)
        words = words_by_commune.setdefault(street.citycode, set())
        words |= _words(street.name.partition(" ")[2] or street.name)
        sample.setdefault(street.citycode, street)
    all_names = sorted({s.name for s in streets})
    found = []
    for code, street in sorted(sample.items()):
        for name in INVENTED:
            if not _words(name.partition(" ")[2]) & words_by_commune[code]:
                found.append((name, street))
        # A street of another commune whose name shares no word with this commune's streets.
        for name in all_names:
            if not _words(name.partition(" ")[2] or name) & words_by_commune[code]:
                found.append((name, street))
    return found


def generate_typed(
    rows: Sequence[dict[str, str]],
    n: int,
    seed: int = 19,
    shares: dict[str, float] | None = None,
) -> list[TypedAddress]:
    """About ``n`` addresses as typed, drawn from the extract's rows, families mixed."""
    rng = np.random.default_rng(seed)
    shares = shares or DEFAULT_SHARES
    streets = streets_of(rows)
    counts = Counter({f: round(n * shares.get(f, 0)) for f in FAMILIES})
    out: list[TypedAddress] = []
    picks = rng.choice(len(rows), size=counts["clean"] + counts["typed"] + counts["face"])
    numbered = [rows[int(i)] for i in picks]
    for row in numbered[: counts["clean"]]:
        out.append(_truth(row, "clean", clean_label(row)))
    for row in numbered[counts["clean"] : counts["clean"] + counts["typed"]]:
        text, variants = typed(row, rng)
        out.append(_truth(row, "typed", text, variants))
    by_fantoir = {s.fantoir: s for s in streets}
    for row in numbered[counts["clean"] + counts["typed"] :]:
        street = by_fantoir[row["id_fantoir"]]
        number = f"{row['numero']} {row['rep']}".strip()
        face = _pick(rng, FACE).format(n=number)
        text = _with_place(f"{face} {_street_written(street, rng)}", street, rng)
        out.append(_truth(row, "face", text))
    pairs = corners(streets, limit=4 * counts["angle"] + 50)
    for k in rng.choice(len(pairs), size=min(counts["angle"], len(pairs)), replace=False):
        x, y, corner = pairs[int(k)]
        if rng.random() < 0.5:
            x, y = y, x
            corner = min(
                x.rows.values(),
                key=lambda r: min(
                    (float(r["lon"]) - float(o["lon"])) ** 2
                    + (float(r["lat"]) - float(o["lat"])) ** 2
                    for o in y.rows.values()
                ),
            )
        template = _pick(rng, ANGLE)
        text = template.format(x=_street_written(x, rng), y=_street_written(y, rng))
        out.append(
            TypedAddress(
                text=_with_place(text, x, rng),
                citycode=x.citycode,
                family="angle",
                truth="point",
                lon=float(corner["lon"]),
                lat=float(corner["lat"]),
                streets=(x.fantoir, y.fantoir),
                street_names=(x.name, y.name),
            )
        )
    real = [s for s in streets if s.name.split(" ")[0] in ABBREVIATIONS]
    for k in rng.choice(len(real), size=counts["missing_number"]):
        street = real[int(k)]
        last = max(int(r["numero"]) for r in street.rows.values())
        beyond = last + 2 * int(rng.integers(5, 60))
        text = _with_place(f"{beyond} {_street_written(street, rng)}", street, rng)
        out.append(
            TypedAddress(
                text=text,
                citycode=street.citycode,
                family="missing_number",
                truth="street",
                streets=(street.fantoir,),
                street_names=(street.name,),
            )
        )
    absent = missing_streets(streets)
    for k in rng.choice(len(absent), size=counts["missing_street"]):
        name, street = absent[int(k)]
        made_up = int(rng.integers(1, 80))
        ghost = Street("", name, street.citycode, street.commune, street.postcode)
        text = _with_place(f"{made_up} {_street_written(ghost, rng)}", street, rng)
        out.append(
            TypedAddress(text=text, citycode=street.citycode, family="missing_street", truth="none")
        )
    order = rng.permutation(len(out))
    return [out[int(i)] for i in order]
