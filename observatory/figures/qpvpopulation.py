"""Populations of 2024 QPV borrowed from the 2015 generation.

The ANCT's 2024 outlines carry no population, and INSEE figures for them are loaded separately
(``observatory import qpv … --population``). Until they are, a 2024 QPV takes the population of
the 2015 QPV of the same code, or of the same name in the same commune, and says so: the
perimeter may have changed between the generations, so the rate is an approximation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

EARLIER_GENERATION = 2015

EARLIER = """
SELECT code, name, population, commune_codes FROM qpv
WHERE generation = :generation AND population IS NOT NULL
  AND commune_codes && CAST(:communes AS varchar(5)[])
ORDER BY code
"""

P = TypeVar("P", bound=Any)  # a frozen dataclass with code, name, population, communes


def name_key(name: str) -> str:
    """« Cépière-Beauregard » and « cepiere beauregard » alike: no accents, case or punctuation."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain.lower()).split())


def borrow_populations(conn: Connection | Session, qpvs: Sequence[P], generation: int) -> list[P]:
    """The QPV, each 2024 one with no population given the 2015 one's of the same code, else of
    the same name in one of its communes (``population_from`` = 2015); an ambiguous name (two
    2015 QPV of that name) lends nothing."""
    if generation <= EARLIER_GENERATION or all(q.population is not None for q in qpvs):
        return list(qpvs)
    communes = sorted({c for q in qpvs for c in q.communes})
    rows = conn.execute(
        text(EARLIER), {"generation": EARLIER_GENERATION, "communes": communes}
    ).all()
    by_code = {r.code: int(r.population) for r in rows}
    by_name: dict[tuple[str, str], set[tuple[str, int]]] = {}
    for r in rows:
        for commune in r.commune_codes:
            by_name.setdefault((commune, name_key(r.name)), set()).add((r.code, int(r.population)))
    out = []
    for q in qpvs:
        if q.population is None:
            population = by_code.get(q.code)
            if population is None:
                key = name_key(q.name)
                found = set().union(*(by_name.get((c, key), set()) for c in q.communes))
                population = next(iter(found))[1] if len(found) == 1 else None
            if population is not None:
                q = replace(q, population=population, population_from=EARLIER_GENERATION)
        out.append(q)
    return out
