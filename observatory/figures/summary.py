"""Totals of a filter: by category and by family, as the reader may be told them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from observatory.analytics import engine
from observatory.analytics.filters import Filter
from observatory.privacy.policy import Disclosure
from observatory.store.snapshot import Snapshot

OTHERS = "autres"


@dataclass(frozen=True)
class Tally:
    """A category's or a family's facts; None when under the display threshold."""

    code: str
    count: int | None
    suppressed: bool


@dataclass(frozen=True)
class Summary:
    total: int | None
    categories: list[Tally]  # most facts first; none where categories are not told (below)
    families: list[Tally]  # most facts first
    first_day: date | None  # of the data
    last_day: date | None


def summary(
    snapshot: Snapshot, f: Filter, family_of: Mapping[str, str], disclosure: Disclosure
) -> Summary:
    """The filter's facts by category and by family (a category outside ``family_of`` in
    « autres »); a partner's categories only for a whole commune (the release's measure)."""
    counts = engine.category_counts(snapshot, f)
    families: dict[str, int] = {}
    for code, n in counts.items():
        family = family_of.get(code, OTHERS)
        families[family] = families.get(family, 0) + n
    told = disclosure.tells_categories(f)
    return Summary(
        total=disclosure.count(sum(counts.values())),
        categories=_tallies(counts, disclosure) if told else [],
        families=_tallies(families, disclosure),
        first_day=snapshot.first_day(),
        last_day=snapshot.last_day(),
    )


def _tallies(counts: dict[str, int], disclosure: Disclosure) -> list[Tally]:
    return [
        Tally(code, disclosure.count(n), disclosure.hides(n))
        for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
