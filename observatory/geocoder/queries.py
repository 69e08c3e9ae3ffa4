"""Addresses as people type them, brought nearer the BAN's labels before addok reads them.

addok's score is mostly the n-gram likeness of the query to the label it found, so a right
answer to « 12 bd du Canal » scores lower than to « 12 boulevard du Canal », and an officer's
« face au 12 … » or « angle rue X / rue Y » lower still: right answers fall under the
threshold that keeps invented streets out (measured in benchmarks/RESULTS.md, issue 19).
addok scores against the query as given (its query processors change the tokens searched, not
the text compared), so ``clean_typed`` rewrites the text before addok sees it
(observatory/geocoder/engine.py, ``search``):

- writes the kind of way in full where it stands (after a number, at the start, after
  « angle » or « / »): r. → rue, av. → avenue, bd → boulevard, pl. → place, imp. → impasse,
  ch. → chemin, all. → allée, rte → route;
- drops « face au », « en face du », « devant le » before a number: the number is the place;
- for a corner (« angle rue X / rue Y », « à l'angle de X et Y », « carrefour X Y »,
  « X angle Y ») keeps the first street and the postcode or city written after the second.
"""

from __future__ import annotations

import re

KINDS = {
    "r": "rue",
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "boul": "boulevard",
    "pl": "place",
    "imp": "impasse",
    "ch": "chemin",
    "chem": "chemin",
    "che": "chemin",
    "all": "allée",
    "al": "allée",
    "rte": "route",
}
_BEFORE_KIND = r"(^\s*|(?:\d[a-z]?|\bbis|\bter|\bangle|\bcarrefour|\bet|\bde|\bau|\bdu)\s+|/\s*)"
_SHORT = re.compile(
    _BEFORE_KIND + "(" + "|".join(sorted(KINDS, key=len, reverse=True)) + r")\.?(?=\s)",
    re.IGNORECASE,
)
_LANDMARK = re.compile(
    r"^\s*(?:en\s+)?(?:face|devant|vis[- ]à[- ]vis|vis a vis)\s+(?:au|à|a|du|de|le|la)?\s*(?=\d)",
    re.IGNORECASE,
)
_CORNER_START = re.compile(
    r"^\s*(?:(?:à|a)\s+l'\s*angle|angle|carrefour|croisement|intersection)\s+"
    r"(?:(?:de|du|des)\s+(?:la\s+|l')?)?",
    re.IGNORECASE,
)
_CORNER_MIDDLE = re.compile(r"\s+angle\s+|\s*/\s*", re.IGNORECASE)
# A kind of way, in full or shortened, where a corner's second street starts.
_WAY = re.compile(
    r"(?<!\S)(rue|avenue|boulevard|place|impasse|chemin|allée|allee|route|quai|cours|square|"
    r"passage|esplanade|promenade|voie|rond-point|r\.?|av\.?|ave|bd|bld|boul\.?|pl\.?|imp\.?|"
    r"ch\.?|chem\.?|che|all\.|al\.|rte)(?=\s)",
    re.IGNORECASE,
)
_PLACE = re.compile(r"\b\d{5}\b.*$")


def expand_kinds(query: str) -> str:
    """« 12 bd du Canal » → « 12 boulevard du Canal »; other words are left as they are."""

    def full(match: re.Match[str]) -> str:
        short = match.group(2)
        word = KINDS[short.lower()]
        return f"{match.group(1)}{word.upper() if short.isupper() and len(short) > 1 else word}"

    # Twice: « angle r. X / r. Y » has a kind after « / » that the first pass may have passed.
    return _SHORT.sub(full, _SHORT.sub(full, query))


def first_street_of_corner(query: str) -> str:
    """« angle rue X / rue Y 31000 Toulouse » → « rue X 31000 Toulouse »; other queries as
    they are."""
    start = _CORNER_START.match(query)
    middle = _CORNER_MIDDLE.search(query)
    if start is None and middle is None:
        return query
    text = query[start.end() :] if start else query
    cut: int | None = None
    middle = _CORNER_MIDDLE.search(text)
    if middle is not None:
        cut = middle.start()
    else:
        ways = list(_WAY.finditer(text))
        if len(ways) >= 2:
            cut = ways[1].start()
    if cut is None:
        return text
    first, rest = text[:cut], text[cut:]
    first = re.sub(r"\s+(?:et|/)\s*$", "", first, flags=re.IGNORECASE)
    place = _PLACE.search(rest)
    return f"{first.strip()} {place.group()}".strip() if place else first.strip()


def clean_typed(query: str) -> str:
    """The query with its kind of way written in full, a landmark or a corner dropped."""
    query = _LANDMARK.sub("", expand_kinds(query))
    return expand_kinds(first_street_of_corner(query))
