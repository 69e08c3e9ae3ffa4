"""A score for the street's own words, beside addok's likeness of the whole text.

addok scores a candidate by the n-gram likeness of the query to its label. An invented street
shares most of its text with a real one (« 11 Rue de Bellefontaine 31270 Cugnaux » and « 11 Rue
de la Fontaine 31270 Cugnaux ») and scored as high as a real address typed with an
abbreviation and a typo: no threshold kept the first out and the second in (measured in
benchmarks/RESULTS.md, issue 19). What tells them apart is whether the words that name the
street (not its kind, not the articles) are in the query, give or take one typed letter.

``score_by_street_words`` is an addok result processor (SEARCH_RESULT_PROCESSORS_PYPATHS,
observatory/geocoder/engine.py): it adds a « street_words » score, the share of those words
found in the query, with the same weight as addok's text likeness. A candidate for a street
the query does not name loses about half its score; a right one gains a little.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

WEIGHT = 1.0
# The kinds of way a street name starts with, and the little words: they tell no street from
# another. A kind of way counts anywhere else (« Rue du Pont »: « pont » names it).
KINDS = frozenset(
    {
        "rue",
        "ruelle",
        "avenue",
        "boulevard",
        "place",
        "placette",
        "impasse",
        "chemin",
        "allee",
        "route",
        "quai",
        "cours",
        "square",
        "passage",
        "esplanade",
        "promenade",
        "voie",
        "sentier",
        "sente",
        "rond",
        "point",
        "parvis",
        "cite",
        "residence",
        "lotissement",
        "faubourg",
        "traverse",
        "montee",
        "port",
        "pont",
        "carrefour",
        "galerie",
        "mail",
        "chaussee",
        "venelle",
        "clos",
        "quartier",
        "hameau",
        "domaine",
        "parc",
        "r",
        "av",
        "ave",
        "bd",
        "bld",
        "boul",
        "pl",
        "imp",
        "ch",
        "chem",
        "che",
        "all",
        "al",
        "rte",
    }
)
ARTICLES = frozenset(
    {"de", "la", "le", "les", "du", "des", "l", "d", "et", "au", "aux", "sur", "sous", "en", "a"}
)
SAINTS = {"st": "saint", "ste": "sainte"}


def words(text: str) -> list[str]:
    """Lower-case words without accents; « st » read « saint »."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [SAINTS.get(w, w) for w in re.split(r"[^a-z0-9]+", plain) if w]


def street_words(name: str) -> list[str]:
    """The words that name a street: « Rue de la République » → [« republique »]."""
    named = words(name)
    if named and named[0] in KINDS:
        named = named[1:]
    return [w for w in named if w not in ARTICLES]


def one_letter_apart(a: str, b: str) -> bool:
    """Equal but for one letter changed, dropped, added, or two neighbours swapped."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _found(word: str, query: set[str]) -> bool:
    if word in query:
        return True
    # A one-letter slip is a typo in a long word, another word in a short one (« Pins », « Pont »).
    return len(word) >= 5 and any(one_letter_apart(word, q) for q in query if len(q) >= 4)


def share_named(name: str, query: str) -> float:
    """The share of the street's own words found in the query (1.0 when it has none)."""
    own = street_words(name)
    if not own:
        return 1.0
    typed = set(words(query))
    return sum(1 for w in own if _found(w, typed)) / len(own)


def score_by_street_words(helper: Any, result: Any) -> None:
    """addok result processor: the « street_words » score of a street or an address."""
    if getattr(result, "type", None) == "municipality":
        # A commune answers a query that names nothing else (« 31770 Colomiers »), not one that
        # names a street or a place it could not find (« 70 Lalande Colomiers »).
        city = set(words(str(result._rawattr("name"))))
        rest = [w for w in words(helper.query) if w not in city | ARTICLES and not w.isdigit()]
        result.add_score("street_words", 0.0 if rest else WEIGHT, ceiling=WEIGHT)
        return
    names = result._rawattr("name")
    names = names if isinstance(names, list) else [names]
    best = max((share_named(str(n), helper.query) for n in names if n), default=1.0)
    result.add_score("street_words", best * WEIGHT, ceiling=WEIGHT)


@lru_cache(maxsize=8192)
def _bigrams(text: str) -> dict[str, int]:
    """The text's bigrams and how often each occurs (labels come back query after query)."""
    grams: dict[str, int] = {}
    for i in range(len(text) - 1):
        gram = text[i : i + 2]
        grams[gram] = grams.get(gram, 0) + 1
    return grams


def compare_bigrams(left: str, right: str) -> float:
    """addok's ``compare_ngrams`` (ngram.NGram.compare, N=2, no padding) on folded texts,
    without building an n-gram index for each pair: shared bigrams over all bigrams."""
    if len(left) == 1 and len(right) == 1:
        return 1.0 if left == right else 0.0
    fewer, more = _bigrams(left), _bigrams(right)
    if len(fewer) > len(more):
        fewer, more = more, fewer
    same = 0
    for gram, count in fewer.items():
        other = more.get(gram)
        if other:
            same += count if count < other else other
    if not same:
        return 0.0
    return same / ((len(left) - 1) + (len(right) - 1) - same)


def score_by_ngram_distance(helper: Any, result: Any) -> None:
    """addok's ``score_by_ngram_distance`` with ``compare_bigrams``: the same score; addok's
    took a third of a search's time on a département (profiled, benchmarks/RESULTS.md)."""
    from addok.config import config
    from addok.helpers.text import ascii

    if helper.autocomplete:
        return
    query = ascii(helper.query)
    for label in result.labels:
        score = compare_bigrams(ascii(label), query)
        result.add_score("str_distance", score, ceiling=1.0)
        if score >= config.MATCH_THRESHOLD:
            break
