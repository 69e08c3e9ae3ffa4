"""The communes of a scope side by side: facts, rate per 1,000 inhabitants, the change against
the previous period of equal length (CompStat's Poisson z) and the share of facts in a QPV.

The previous period is as long as the chosen one and ends the day before it begins; a period of
whole months is compared with as many whole months (what a partner's release measures). It is
compared only when the data cover it from its first day: a count before the data begin would be
a zero that says nothing.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from observatory.analytics import engine
from observatory.analytics.filters import Filter
from observatory.figures.change import Change, change
from observatory.privacy.policy import Disclosure
from observatory.scopes import Scope, allows
from observatory.store.snapshot import Snapshot

TOTAL_NAME = "Ensemble des communes"
# Each commune with the QPV generations of which a QPV lies in it (none imported: the share of
# facts in a QPV is unknown there, not 0 %).
COMMUNES = """
SELECT c.code, c.name, c.population,
       coalesce(array_agg(DISTINCT q.generation) FILTER (WHERE q.code IS NOT NULL), '{}')
         AS generations
FROM commune AS c LEFT JOIN qpv AS q ON c.code = ANY(q.commune_codes)
GROUP BY c.code, c.name, c.population
ORDER BY c.code
"""


@dataclass(frozen=True)
class KnownCommune:
    code: str
    name: str
    population: int | None
    # The QPV generations with a QPV in the commune (as imported).
    qpv_generations: frozenset[int] = frozenset()


def read_communes(conn: Connection | Session) -> list[KnownCommune]:
    """Every commune whose outline is loaded, with its population if known."""
    return [
        KnownCommune(r.code, r.name, r.population, frozenset(r.generations))
        for r in conn.execute(text(COMMUNES))
    ]


@dataclass(frozen=True)
class Period:
    """The period compared, and the previous one of equal length (None: not covered by data)."""

    start: date
    end: date
    previous_start: date
    previous_end: date
    comparable: bool

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class CommuneRow:
    """One commune (or the scope's total): None where the reader may not be told."""

    code: str | None  # None: the total row
    name: str
    population: int | None
    count: int | None
    suppressed: bool
    rate_per_1000: float | None
    previous_rate_per_1000: float | None
    change: Change  # current, previous, percent, z (None for a partner)
    qpv_count: int | None
    qpv_share: float | None  # of the commune's facts, 0 to 1; None: no QPV known there


@dataclass(frozen=True)
class Comparison:
    period: Period | None  # None: no facts and no dates, nothing to compare
    rows: list[CommuneRow]  # by INSEE code
    total: CommuneRow


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def period_of(f: Filter, first: date | None, last: date | None) -> Period | None:
    """The filter's period (an open end closed by the data's range) and the one before it."""
    start, end = f.date_from or first, f.date_to or last
    if start is None or end is None or end < start:
        return None
    whole_months = start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1]
    if whole_months:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        previous_start = _months_before(start, months)
    else:
        previous_start = start - timedelta(days=(end - start).days + 1)
    previous_end = start - timedelta(days=1)
    comparable = first is not None and previous_start >= first
    return Period(start, end, previous_start, previous_end, comparable)


def _counts(snapshot: Snapshot, f: Filter) -> tuple[np.ndarray, np.ndarray]:
    """Facts per commune position (0: no commune) and, of them, those inside a QPV."""
    chosen = engine.select(snapshot, f)
    commune = chosen.take(snapshot.commune).astype(np.int64)
    inside = chosen.take(snapshot.qpv[f.generation]) != 0
    size = len(snapshot.communes) + 1
    return np.bincount(commune, minlength=size), np.bincount(commune[inside], minlength=size)


def _rate(count: int | None, population: int | None) -> float | None:
    return 1000 * count / population if count is not None and population else None


def _row(
    code: str | None,
    name: str,
    population: int | None,
    now: int,
    before: int | None,
    in_qpv: int | None,
    disclosure: Disclosure,
) -> CommuneRow:
    """A row; ``in_qpv`` None when no QPV of the generation is known in the commune(s)."""
    shown = disclosure.count(now)
    compared = change(now, before, disclosure)
    previous = compared.previous if before is not None else None
    qpv = disclosure.count(in_qpv) if in_qpv is not None else None
    return CommuneRow(
        code=code,
        name=name,
        population=population,
        count=shown,
        suppressed=disclosure.hides(now),
        rate_per_1000=_rate(shown, population),
        previous_rate_per_1000=_rate(previous, population),
        change=compared,
        qpv_count=qpv,
        qpv_share=qpv / shown if qpv is not None and shown else None,
    )


def compare_communes(
    snapshot: Snapshot,
    f: Filter,
    known: Sequence[KnownCommune],
    scope: Scope,
    disclosure: Disclosure,
) -> Comparison:
    """Each commune of the scope with facts or a population (only the filter's commune when it
    names one), and the total of those rows."""
    period = period_of(f, snapshot.first_day(), snapshot.last_day())
    base = f.but(commune=None)
    size = len(snapshot.communes) + 1
    now = in_qpv = before = np.zeros(size, dtype=np.int64)
    if period is not None:
        now, in_qpv = _counts(snapshot, base.but(date_from=period.start, date_to=period.end))
        if period.comparable:
            window = base.but(date_from=period.previous_start, date_to=period.previous_end)
            before = _counts(snapshot, window)[0]
    position = {code: i + 1 for i, code in enumerate(snapshot.communes)}
    names = {c.code: c for c in known}
    codes = {c.code for c in known if c.population} | {
        code for code in snapshot.communes if now[position[code]] or before[position[code]]
    }
    chosen = sorted(
        code for code in codes if allows(scope, code) and (f.commune is None or code == f.commune)
    )
    rows = []
    with_qpv = {c.code for c in known if f.generation in c.qpv_generations}
    for code in chosen:
        i = position.get(code)
        commune = names.get(code)
        qpv_known = code in with_qpv
        rows.append(
            _row(
                code,
                commune.name if commune else code,
                commune.population if commune else None,
                int(now[i]) if i else 0,
                (int(before[i]) if i else 0) if period and period.comparable else None,
                (int(in_qpv[i]) if i else 0) if qpv_known else None,
                disclosure,
            )
        )
    at = [position[code] for code in chosen if code in position]
    populations = [r.population for r in rows]
    # A total rate only when every commune with facts has a population.
    known_all = all(r.population for r in rows if (r.count or r.suppressed))
    total = _row(
        None,
        TOTAL_NAME,
        sum(p for p in populations if p) if known_all and any(populations) else None,
        int(now[at].sum()),
        int(before[at].sum()) if period and period.comparable else None,
        int(in_qpv[at].sum()) if with_qpv & set(chosen) else None,
        disclosure,
    )
    return Comparison(period, rows, total)
