"""Words of a header or a label as people write them: the key both sides are compared on.

« Nature de l'intervention », « NATURE_INTERVENTIONS » and « intervention (nature) » are the
same column; « Violences volontaires » is the nomenclature's « violence volontaire ». A text's
words are taken lower case, accents folded, punctuation as spaces; the French small words
(« de, du, des, la, le, les, l', d', au, aux ») are dropped, each word is put in the singular
by a plain rule (a final s; x after eu, au, ou) and the order of the words does not count.

Category labels are matched on the same key (CategoryMatcher), never where two categories of
the nomenclature would share it; an unknown label gets the closest categories as suggestions
(difflib from the standard library: a few hundred names to compare, no dependency needed).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from observatory.categories import category_lookup, normalise_label
from observatory.models import Category

SMALL_WORDS = frozenset({"de", "du", "des", "la", "le", "les", "l", "d", "au", "aux"})
# Words that name no kind of fact in a category label: « Dégradation de biens » is a
# « dégradation ». Checked by the tests to make no two categories of the nomenclature one.
CATEGORY_FILLERS = frozenset({"bien"})
SUGGESTIONS = 3
# The start of an import reject's reason for an unknown category label (ingest.incidents.rows);
# the closest categories, if any, follow as CLOSEST.
UNKNOWN_CATEGORY = "Catégorie inconnue « {value} »"
CLOSEST = " ; les plus proches : {names}"
_UNKNOWN = re.compile(r"Catégorie inconnue « (.*?) »(?= ; les plus proches| :|$)", re.DOTALL)


def unknown_label(reason: str) -> str | None:
    """The label named by a reject's reason for an unknown category, else None."""
    found = _UNKNOWN.match(reason)
    return found.group(1) if found else None


def singular(word: str) -> str:
    """A French or English word in the singular, by a plain rule: "lieux" -> "lieu"."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith(("eux", "aux", "oux")):
        return word[:-1]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> tuple[str, ...]:
    """The meaningful words of a text, in the singular, in their order."""
    return tuple(singular(w) for w in normalise_label(text).split() if w not in SMALL_WORDS)


def word_key(text: str, drop: frozenset[str] = frozenset()) -> str:
    """The words of a text, sorted, each once, without ``drop``: the key texts are compared on."""
    return " ".join(sorted(set(words(text)) - drop))


@dataclass(frozen=True)
class Suggestion:
    """A category offered for an unknown label."""

    code: str
    label: str


@dataclass
class CategoryMatcher:
    """Category code of a raw label: exact (normalised) first, then on its words.

    ``names`` maps normalised names (codes, labels, aliases, a mapping's [categories]) to codes;
    ``labels`` gives each code's label, shown in suggestions.
    """

    names: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)
    _by_words: dict[str, str] = field(init=False, repr=False)
    _keys: list[tuple[str, str]] = field(init=False, repr=False)
    _suggested: dict[str, list[Suggestion]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        codes_by_key: dict[str, set[str]] = {}
        for name, code in self.names.items():
            key = word_key(name, CATEGORY_FILLERS)
            if key:
                codes_by_key.setdefault(key, set()).add(code)
        # A key shared by two categories matches neither: never one category for another.
        self._by_words = {k: next(iter(c)) for k, c in codes_by_key.items() if len(c) == 1}
        self._keys = [(word_key(name), code) for name, code in self.names.items()]
        self._suggested = {}

    @classmethod
    def of(
        cls, names: Mapping[str, str], labels: Mapping[str, str] | None = None
    ) -> CategoryMatcher:
        """A matcher over raw names (normalised here) -> code."""
        return cls({normalise_label(k): v for k, v in names.items()}, dict(labels or {}))

    @classmethod
    def from_database(
        cls, conn: Session | Connection, extra: Mapping[str, str] | None = None
    ) -> CategoryMatcher:
        """The nomenclature stored in `category`, with a mapping's [categories] (which win)."""
        names = category_lookup(conn)
        names.update({normalise_label(k): v for k, v in (extra or {}).items()})
        rows = conn.execute(select(Category.code, Category.label))
        labels = {code: label for code, label in rows}
        return cls(names, labels)

    def code(self, label: str) -> str | None:
        """The category code of a raw label, or None."""
        exact = self.names.get(normalise_label(label))
        if exact is not None:
            return exact
        return self._by_words.get(word_key(label, CATEGORY_FILLERS))

    def codes(self, labels: Iterable[str]) -> list[str | None]:
        return [self.code(label) for label in labels]

    def suggestions(self, label: str, count: int = SUGGESTIONS) -> list[Suggestion]:
        """The ``count`` categories whose names are closest to an unknown label."""
        if label in self._suggested:
            return self._suggested[label][:count]
        target = word_key(label)
        best: dict[str, float] = {}
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(target)
        for key, code in self._keys:
            matcher.set_seq1(key)
            score = matcher.ratio()
            if score > best.get(code, -1.0):
                best[code] = score
        ranked = sorted(best, key=lambda c: (-best[c], c))
        found = [Suggestion(c, self.labels.get(c, c)) for c in ranked[:SUGGESTIONS]]
        self._suggested[label] = found
        return found[:count]
