"""Territories: each QPV, the rest of its commune outside every QPV, and the whole commune, with
their facts, shares and rates per 1,000 inhabitants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from observatory.analytics import engine
from observatory.analytics.filters import Filter
from observatory.figures.qpvpopulation import borrow_populations
from observatory.privacy.policy import Disclosure
from observatory.store.snapshot import Snapshot

REST_NAME = "Reste de la commune (hors QPV)"

COMMUNES = """
SELECT c.code, c.name, c.population FROM commune AS c
WHERE c.code = :commune
   OR (CAST(:commune AS text) IS NULL AND EXISTS (
        SELECT 1 FROM qpv AS q
        WHERE q.generation = :generation AND c.code = ANY(q.commune_codes)))
ORDER BY c.code
"""

QPVS = """
SELECT code, name, population, commune_codes FROM qpv
WHERE generation = :generation AND commune_codes && CAST(:communes AS varchar(5)[])
ORDER BY code
"""


class Place(Protocol):
    """A commune or a QPV as the database describes it (a QPV with the communes it covers)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def population(self) -> int | None: ...
    @property
    def communes(self) -> Sequence[str]: ...
    @property
    def population_from(self) -> int | None: ...


@dataclass(frozen=True)
class NamedPlace:
    code: str
    name: str
    population: int | None
    communes: tuple[str, ...] = ()
    population_from: int | None = None  # the generation it is borrowed from; None: its own


def read_places(
    conn: Connection | Session, commune: str | None, generation: int
) -> tuple[list[NamedPlace], list[NamedPlace]]:
    """The commune (else every commune with a QPV of the generation) and the QPV that touch it."""
    communes = [
        NamedPlace(r.code, r.name, r.population)
        for r in conn.execute(text(COMMUNES), {"commune": commune, "generation": generation})
    ]
    codes = [c.code for c in communes]
    qpvs = [
        NamedPlace(r.code, r.name, r.population, tuple(r.commune_codes))
        for r in conn.execute(text(QPVS), {"generation": generation, "communes": codes})
    ]
    return communes, borrow_populations(conn, qpvs, generation)


@dataclass(frozen=True)
class TerritoryRow:
    """A QPV, the rest of a commune or a whole commune; None where the reader may not be told."""

    code: str
    name: str
    communes: tuple[str, ...]
    count: int | None
    suppressed: bool
    share: float | None  # of the whole commune
    population: int | None
    population_from: int | None  # the QPV generation it is borrowed from; None: the row's own
    rate_per_1000: float | None
    by_category: dict[str, int | None] | None  # most facts first; None: not told at this scale


@dataclass(frozen=True)
class CommuneTerritories:
    code: str
    name: str
    whole: TerritoryRow
    outside_qpv: TerritoryRow
    qpvs: list[TerritoryRow]


def territories(
    snapshot: Snapshot,
    f: Filter,
    communes: Sequence[Place],
    qpvs: Sequence[Place],
    disclosure: Disclosure,
) -> list[CommuneTerritories]:
    """For each commune: each of its QPV (all the QPV's facts, even beyond the commune), the rest
    of the commune and the whole commune. A partner sees the QPV and the rest by family only
    (the release measures categories per commune); the filter's ``qpv`` and ``commune`` are
    what is compared, so they are set aside."""
    codes = [c.code for c in communes]
    by_qpv, outside, whole = engine.territory_counts(snapshot, f, f.generation, codes)
    out = []
    for commune in communes:
        own = [q for q in qpvs if commune.code in q.communes]
        total = sum(whole.get(commune.code, {}).values())
        of = None if disclosure.hides(total) else total  # what the shares are of
        rest = f.but(commune=commune.code, qpv="out")
        out.append(
            CommuneTerritories(
                commune.code,
                commune.name,
                # The whole commune: the release's own measure, its categories told (but
                # inside a bbox, as the summary says).
                _row(
                    commune,
                    commune.name,
                    whole.get(commune.code, {}),
                    commune.population,
                    of,
                    disclosure.tells_categories(f.but(commune=commune.code, qpv=None)),
                    disclosure,
                ),
                _row(
                    commune,
                    REST_NAME,
                    outside.get(commune.code, {}),
                    rest_population(commune, own),
                    of,
                    disclosure.tells_categories(rest),
                    disclosure,
                    # The commune less borrowed QPV populations: borrowed too.
                    _borrowed_from(own) if rest_population(commune, own) is not None else None,
                ),
                [
                    _row(
                        q,
                        q.name,
                        by_qpv.get(q.code, {}),
                        q.population,
                        of,
                        disclosure.tells_categories(f.but(qpv=q.code)),
                        disclosure,
                        q.population_from,
                    )
                    for q in own
                ],
            )
        )
    return out


def rest_population(commune: Place, qpvs: Sequence[Place]) -> int | None:
    """The commune's population less its QPV's, when every one is known and lies wholly in the
    commune; else unknown (an unknown QPV population is not a zero)."""
    known = [q.population for q in qpvs if q.population is not None and len(q.communes) == 1]
    if commune.population is None or len(known) != len(qpvs):
        return None
    return commune.population - sum(known)


def _borrowed_from(qpvs: Sequence[Place]) -> int | None:
    """The generation some of the QPV borrow their population from, if any does."""
    return min((q.population_from for q in qpvs if q.population_from), default=None)


def _row(
    place: Place,
    name: str,
    counts: dict[str, int],
    population: int | None,
    whole: int | None,
    told: bool,
    disclosure: Disclosure,
    population_from: int | None = None,
) -> TerritoryRow:
    """One row, the display rule applied: its count, its share of the whole commune (``whole``,
    None when hidden), its rate, its categories if ``told``."""
    n = sum(counts.values())
    hidden = disclosure.hides(n)
    count = None if hidden else n
    return TerritoryRow(
        code=place.code,
        name=name,
        communes=tuple(place.communes),
        count=count,
        suppressed=hidden,
        share=count / whole if count is not None and whole else None,
        population=population,
        population_from=population_from,
        rate_per_1000=1000 * count / population if count is not None and population else None,
        by_category=(
            {
                code: None if hidden or disclosure.hides(k) else k
                for code, k in sorted(counts.items(), key=lambda item: -item[1])
            }
            if told
            else None
        ),
    )
