"""Statistics of a filter: totals, time slots, trends, CompStat, QPV against the rest."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query
from sqlalchemy import text

from api.cache import cached
from api.datadeps import (
    AggregateReader,
    AuditNarrow,
    DisclosureDep,
    FilterDep,
    Nomenclature,
    NomenclatureDep,
    SnapshotDep,
    describe_filter,
)
from api.deps import SessionDep, SettingsDep
from observatory.analytics import engine
from observatory.analytics.filters import parse_day, parse_hours
from observatory.analytics.trendstats import mann_kendall, percent_change, poisson_z, year_over_year
from observatory.errors import InvalidInput
from observatory.privacy.policy import Disclosure

router = APIRouter(tags=["statistiques"], dependencies=[AuditNarrow])

WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
Step = Annotated[Literal["month", "week"], Query(description="month (mois) ou week (semaine)")]
By = Annotated[
    Literal["total", "category", "family"],
    Query(description="total, category (par catégorie) ou family (par famille)"),
]


def _number(value: float | None, digits: int = 4) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(float(value), digits)


def _keys(by: str, nomenclature: Nomenclature) -> tuple[dict[str, str] | None, dict[str, str]]:
    """(category → key, key → label) for a breakdown."""
    if by == "category":
        return {c: c for c in nomenclature.label}, dict(nomenclature.label)
    if by == "family":
        families = nomenclature.family
        return dict(families), {f: nomenclature.family_label(f) for f in set(families.values())}
    return None, {"total": "Ensemble des faits"}


@router.get("/stats/summary", summary="Totaux par catégorie et par famille")
@cached
def summary(
    _: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    disclosure: DisclosureDep,
    nomenclature: NomenclatureDep,
) -> dict[str, Any]:
    counts = engine.category_counts(snapshot, f)
    # A partner's categories are measured per commune: within a QPV or a bbox, families only.
    detailed = not (disclosure.release and (f.qpv is not None or f.bbox is not None))
    categories = [
        {
            "code": code,
            "label": nomenclature.label.get(code, code),
            "family": nomenclature.family.get(code, "autres"),
            "count": disclosure.count(n),
            "suppressed": disclosure.hides(n),
        }
        for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        if detailed
    ]
    families: dict[str, int] = {}
    for code, n in counts.items():
        family = nomenclature.family.get(code, "autres")
        families[family] = families.get(family, 0) + n
    return {
        "filter": describe_filter(f),
        "total": disclosure.count(sum(counts.values())),
        "categories": categories,
        "families": [
            {
                "code": fam,
                "label": nomenclature.family_label(fam),
                "count": disclosure.count(n),
                "suppressed": disclosure.hides(n),
            }
            for fam, n in sorted(families.items(), key=lambda item: (-item[1], item[0]))
        ],
        "data_range": {
            "first": first.isoformat() if (first := snapshot.first_day()) else None,
            "last": last.isoformat() if (last := snapshot.last_day()) else None,
        },
        "data_version": snapshot.version,
        **disclosure.describe(),
    }


@router.get(
    "/stats/timeslots",
    summary="Créneaux horaires : la matrice jour × heure, en heure locale",
    description=(
        "matrix : 7 lignes (lundi d'abord) de 24 heures. Un fait connu seulement dans un "
        "intervalle (cambriolage constaté le matin) est réparti sur les heures qu'il couvre "
        "(méthode aoristique : parts égales dont la somme vaut 1), d'où des valeurs décimales."
    ),
)
@cached
def timeslots(
    _: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    disclosure: DisclosureDep,
    settings: SettingsDep,
    nomenclature: NomenclatureDep,
) -> dict[str, Any]:
    disclosure.check_timeslots(f, nomenclature.family)
    raw = engine.week_hours(snapshot, f)
    hidden = disclosure.hidden(raw)
    total = float(raw.sum())
    by_hour = raw.reshape(7, 24).sum(axis=0)
    slots = []
    for name, spec in settings.time_slots.items():
        value = float(sum(by_hour[h] for h in parse_hours(spec) or ()))
        slots.append(
            {
                "name": name,
                "hours": spec,
                "value": _number(disclosure.amount(value)),
                "share": _number(value / total) if total and not disclosure.hides(value) else None,
            }
        )
    night = next((s for s in slots if s["name"] == "nuit"), None)
    return {
        "filter": describe_filter(f),
        "timezone": settings.timezone,
        "weekdays": WEEKDAYS,
        "hours": list(range(24)),
        "matrix": [
            [None if h else _number(v) for v, h in zip(row, hidden_row, strict=True)]
            for row, hidden_row in zip(
                engine.matrix_rows(raw), hidden.reshape(7, 24).tolist(), strict=True
            )
        ],
        "suppressed_cells": int(hidden.sum()),
        "slots": slots,
        "night_share": night["share"] if night else None,
        "total": _number(disclosure.amount(total)),
        "data_version": snapshot.version,
        **disclosure.describe(),
    }


@router.get(
    "/stats/trends",
    summary="Évolution : séries mensuelles ou hebdomadaires, tendance de Mann–Kendall",
    description=(
        "Une série par clé (total, catégorie ou famille), du premier au dernier jour du filtre "
        "(à défaut, des données). Une période coupée par ces bornes est marquée incomplète et "
        "n'entre pas dans le test de Mann–Kendall (pente de Sen en faits par période). "
        "yoy_percent et yoy_z comparent chaque période à la même un an plus tôt."
    ),
)
@cached
def trends(
    _: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    disclosure: DisclosureDep,
    nomenclature: NomenclatureDep,
    step: Step = "month",
    by: By = "total",
) -> dict[str, Any]:
    disclosure.check_breakdown(f, by)
    if disclosure.release and step != "month":
        raise InvalidInput("Pour un partenaire, les séries sont mensuelles : step=month.")
    key_of, labels = _keys(by, nomenclature)
    result = engine.series(snapshot, f, step, key_of)
    per_year = 12 if step == "month" else 52
    complete = np.array(result.complete, dtype=bool)
    series = []
    for i, key in enumerate(result.keys):
        counts = result.counts[:, i].astype(np.float64)
        if by != "total" and not counts.any():
            continue
        hidden = disclosure.hidden(counts)
        change = year_over_year(counts, per_year)
        # A change against a hidden period, or from one, would give it back.
        compared = hidden | np.concatenate([np.zeros(per_year, bool), hidden])[: len(hidden)]
        series.append(
            {
                "key": key,
                "label": labels.get(key, key),
                "counts": [None if h else int(c) for c, h in zip(counts, hidden, strict=True)],
                "yoy_percent": [
                    None if h else _number(v, 2)
                    for v, h in zip(change.percent, compared, strict=True)
                ],
                "yoy_z": [
                    None if h or disclosure.release else _number(v, 3)
                    for v, h in zip(change.z, compared, strict=True)
                ],
                "mann_kendall": mann_kendall(counts[complete]).as_dict(),
            }
        )
    return {
        "filter": describe_filter(f),
        "step": step,
        "by": by,
        "periods": [
            {"start": s.isoformat(), "complete": c}
            for s, c in zip(result.starts, result.complete, strict=True)
        ],
        "series": series,
        "data_version": snapshot.version,
        **disclosure.describe(),
    }


@router.get(
    "/stats/compstat",
    summary="Tableau CompStat : 7 jours, 28 jours, depuis le 1er janvier, contre l'an passé",
    description=(
        "Chaque période finit au jour « at » (défaut : le dernier jour du filtre, à défaut le "
        "dernier jour des données) et se compare aux mêmes dates un an plus tôt. z = "
        "2(√C − √P) : au-delà de ±2, l'écart est peu vraisemblable sous un même rythme."
    ),
)
@cached
def compstat(
    _: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    disclosure: DisclosureDep,
    nomenclature: NomenclatureDep,
    at: Annotated[str | None, Query(description="Dernier jour des périodes (AAAA-MM-JJ)")] = None,
    by: By = "category",
) -> dict[str, Any]:
    disclosure.check_breakdown(f, by)
    end = parse_day(at, "at") or f.date_to or snapshot.last_day()
    if end is None:
        return {"filter": describe_filter(f), "at": None, "periods": [], "rows": []}
    key_of, labels = _keys(by, nomenclature)
    # The release is monthly: a partner's periods are whole months.
    windows = (engine.compstat_month_windows if disclosure.release else engine.compstat_windows)(
        end
    )
    grouped = [
        (
            _group(engine.window_counts(snapshot, f, start, stop), key_of),
            _group(engine.window_counts(snapshot, f, prev_start, prev_stop), key_of),
        )
        for _name, start, stop, prev_start, prev_stop in windows
    ]
    # Every key has one figure per window, zeros included, so that the columns line up.
    keys = {"total"}.union(*(set(now) | set(before) for now, before in grouped))
    figures: dict[str, list[tuple[int, int]]] = {
        key: [(now.get(key, 0), before.get(key, 0)) for now, before in grouped] for key in keys
    }
    order = ["total", *sorted(k for k in figures if k != "total")]
    shown = [k for k in order if k in figures and (by != "total" or k == "total")]
    compared = _compare(np.array([figures[k] for k in shown], dtype=np.int64), disclosure)
    rows = [
        {
            "key": key,
            "label": "Ensemble des faits" if key == "total" else labels.get(key, key),
            "periods": periods,
        }
        for key, periods in zip(shown, compared, strict=True)
    ]
    return {
        "filter": describe_filter(f),
        "at": end.isoformat(),
        "periods": [
            {
                "name": name,
                "start": start.isoformat(),
                "end": stop.isoformat(),
                "previous_start": prev_start.isoformat(),
                "previous_end": prev_stop.isoformat(),
            }
            for name, start, stop, prev_start, prev_stop in windows
        ],
        "rows": rows,
        "data_version": snapshot.version,
        **disclosure.describe(),
    }


def _group(counts: dict[str, int], key_of: dict[str, str] | None) -> dict[str, int]:
    out: dict[str, int] = {"total": sum(counts.values())}
    if key_of is None:
        return out
    for code, n in counts.items():
        key = key_of.get(code, code)
        out[key] = out.get(key, 0) + n
    return out


def _compare(counts: np.ndarray, disclosure: Disclosure) -> list[list[dict[str, Any]]]:
    """Each row's periods: counts (rows × periods × now/before) with % change and z, both
    withheld beside a hidden count; computed for the whole table at once."""
    current, previous = counts[..., 0], counts[..., 1]
    change = percent_change(current, previous).tolist()
    z = poisson_z(current, previous).tolist()
    hidden = (disclosure.hidden(current) | disclosure.hidden(previous)).tolist()
    # The Poisson z reads counts as exact: on released (noisy) values it would over-state the
    # evidence, so a partner gets the change without it.
    scored = not disclosure.release
    return [
        [
            {
                "current": disclosure.count(c),
                "previous": disclosure.count(p),
                "change_percent": None if h else _number(pc, 1),
                "z": None if h or not scored else _number(zz, 2),
            }
            for c, p, pc, zz, h in zip(cs, ps, pcs, zs, hs, strict=True)
        ]
        for cs, ps, pcs, zs, hs in zip(
            current.tolist(), previous.tolist(), change, z, hidden, strict=True
        )
    ]


TERRITORY_COMMUNES = """
SELECT c.code, c.name, c.population FROM commune AS c
WHERE c.code = :commune
   OR (CAST(:commune AS text) IS NULL AND EXISTS (
        SELECT 1 FROM qpv AS q
        WHERE q.generation = :generation AND c.code = ANY(q.commune_codes)))
ORDER BY c.code
"""

TERRITORY_QPVS = """
SELECT code, name, population, commune_codes FROM qpv
WHERE generation = :generation AND commune_codes && CAST(:communes AS varchar(5)[])
ORDER BY code
"""


@router.get(
    "/stats/territories",
    summary="QPV et reste de la commune : faits, parts et taux pour 1 000 habitants",
    description=(
        "Pour chaque commune (celle du filtre, sinon chacune de celles qui ont un QPV de la "
        "géographie choisie) : chaque QPV (tous ses faits, même quand il déborde sur une "
        "commune voisine), le reste de la commune hors QPV et la commune entière. Taux pour "
        "1 000 habitants là où la population est connue ; la population hors QPV est celle "
        "de la commune moins celle de ses QPV, quand tous ses QPV sont entièrement dans la "
        "commune."
    ),
)
@cached
def territories(
    _: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    disclosure: DisclosureDep,
    session: SessionDep,
) -> dict[str, Any]:
    communes = session.execute(
        text(TERRITORY_COMMUNES), {"commune": f.commune, "generation": f.generation}
    ).all()
    if f.commune is not None and not communes:
        raise InvalidInput(
            f"Commune {f.commune} inconnue : importez son contour (observatory import communes)."
        )
    codes = [c.code for c in communes]
    qpvs = session.execute(
        text(TERRITORY_QPVS), {"generation": f.generation, "communes": codes}
    ).all()
    by_qpv, outside, whole = engine.territory_counts(snapshot, f, f.generation, codes)
    out = []
    for commune in communes:
        own = [q for q in qpvs if commune.code in q.commune_codes]
        rest_population = None
        if commune.population is not None and all(
            q.population is not None and len(q.commune_codes) == 1 for q in own
        ):
            rest_population = commune.population - sum(q.population for q in own)
        rows = [
            Territory(whole.get(commune.code, {}), commune.population),
            Territory(outside.get(commune.code, {}), rest_population),
            *(Territory(by_qpv.get(q.code, {}), q.population) for q in own),
        ]
        _protect(rows, disclosure)
        whole_row, rest_row, *qpv_rows = (row.as_dict(rows[0]) for row in rows)
        out.append(
            {
                "code": commune.code,
                "name": commune.name,
                "whole": whole_row,
                "outside_qpv": rest_row,
                "qpvs": [
                    {"code": q.code, "name": q.name, "communes": list(q.commune_codes), **row}
                    for q, row in zip(own, qpv_rows, strict=True)
                ],
            }
        )
    return {
        "filter": describe_filter(f),
        "generation": f.generation,
        "communes": out,
        "data_version": snapshot.version,
        **disclosure.describe(),
    }


@dataclass
class Territory:
    """One row of the QPV table: its counts by category, what a partner may see of them."""

    by_category: dict[str, int]
    population: int | None
    hidden: bool = False
    hidden_categories: set[str] = field(default_factory=set)
    detailed: bool = True

    @property
    def count(self) -> int:
        return sum(self.by_category.values())

    def as_dict(self, whole: Territory) -> dict[str, Any]:
        count = None if self.hidden else self.count
        total = None if whole.hidden else whole.count
        return {
            "count": count,
            "suppressed": self.hidden,
            "share": _number(count / total) if count is not None and total else None,
            "population": self.population,
            "rate_per_1000": (
                _number(1000 * count / self.population, 2)
                if count is not None and self.population
                else None
            ),
            "by_category": (
                {
                    code: None if self.hidden or code in self.hidden_categories else n
                    for code, n in sorted(self.by_category.items(), key=lambda i: -i[1])
                }
                if self.detailed
                else None
            ),
        }


def _protect(rows: list[Territory], disclosure: Disclosure) -> None:
    """A partner's table (rows: the commune, the rest, its QPV): released values under the
    threshold shown « < 5 »; the rest and the QPV without their categories (the release measures
    categories per commune, families per QPV)."""
    if disclosure.threshold is None:
        return
    whole, parts = rows[0], rows[1:]
    for row in parts:
        row.hidden = disclosure.hides(row.count)
        row.detailed = False
    whole.hidden = disclosure.hides(whole.count)
    whole.hidden_categories = {c for c, n in whole.by_category.items() if disclosure.hides(n)}
