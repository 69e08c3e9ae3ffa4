"""Statistics of a filter: totals, time slots, trends, CompStat, QPV against the rest."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query
from sqlalchemy import text

from api.analytics import (
    AggregateReader,
    FilterDep,
    Nomenclature,
    NomenclatureDep,
    Secrecy,
    SecrecyDep,
    SnapshotDep,
    describe_filter,
)
from api.deps import SessionDep, SettingsDep
from observatory.analytics import engine
from observatory.analytics.filters import parse_day, parse_hours
from observatory.analytics.trendstats import mann_kendall, percent_change, poisson_z, year_over_year
from observatory.errors import InvalidInput

router = APIRouter(tags=["statistiques"])

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
def summary(
    _: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    secrecy: SecrecyDep,
    nomenclature: NomenclatureDep,
) -> dict[str, Any]:
    counts = engine.category_counts(snapshot, f)
    shown = {code: n for code, n in counts.items() if not secrecy.hides(n)}
    categories = [
        {
            "code": code,
            "label": nomenclature.label.get(code, code),
            "family": nomenclature.family.get(code, "autres"),
            "count": secrecy.count(n),
            "suppressed": secrecy.hides(n),
        }
        for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    families: dict[str, int] = {}
    for code, n in shown.items():
        family = nomenclature.family.get(code, "autres")
        families[family] = families.get(family, 0) + n
    return {
        "filter": describe_filter(f),
        # For partners, totals add up the counts shown only (the hidden ones stay hidden).
        "total": sum(shown.values()),
        "categories": categories,
        "families": [
            {"code": fam, "label": nomenclature.family_label(fam), "count": n}
            for fam, n in sorted(families.items(), key=lambda item: (-item[1], item[0]))
        ],
        "data_range": {
            "first": first.isoformat() if (first := snapshot.first_day()) else None,
            "last": last.isoformat() if (last := snapshot.last_day()) else None,
        },
        "data_version": snapshot.version,
        **secrecy.describe(),
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
def timeslots(
    _: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    secrecy: SecrecyDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    hours = engine.week_hours(snapshot, f)
    total = float(hours.sum())
    by_hour = hours.reshape(7, 24).sum(axis=0)
    slots = []
    for name, spec in settings.time_slots.items():
        value = float(sum(by_hour[h] for h in parse_hours(spec) or ()))
        slots.append(
            {
                "name": name,
                "hours": spec,
                "value": _number(secrecy.count(value)),
                "share": _number(value / total) if total and not secrecy.hides(value) else None,
            }
        )
    night = next((s for s in slots if s["name"] == "nuit"), None)
    return {
        "filter": describe_filter(f),
        "timezone": settings.timezone,
        "weekdays": WEEKDAYS,
        "hours": list(range(24)),
        "matrix": [[_number(secrecy.count(v)) for v in row] for row in engine.matrix_rows(hours)],
        "slots": slots,
        "night_share": night["share"] if night else None,
        "total": _number(total),
        "data_version": snapshot.version,
        **secrecy.describe(),
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
def trends(
    _: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    secrecy: SecrecyDep,
    nomenclature: NomenclatureDep,
    step: Step = "month",
    by: By = "total",
) -> dict[str, Any]:
    key_of, labels = _keys(by, nomenclature)
    result = engine.series(snapshot, f, step, key_of)
    per_year = 12 if step == "month" else 52
    complete = np.array(result.complete, dtype=bool)
    series = []
    for i, key in enumerate(result.keys):
        counts = result.counts[:, i].astype(np.float64)
        if by != "total" and not counts.any():
            continue
        change = year_over_year(counts, per_year)
        test = mann_kendall(counts[complete])
        series.append(
            {
                "key": key,
                "label": labels.get(key, key),
                "counts": [secrecy.count(int(c)) for c in counts],
                "yoy_percent": [_number(v, 2) for v in change.percent],
                "yoy_z": [_number(v, 3) for v in change.z],
                "mann_kendall": test.as_dict(),
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
        **secrecy.describe(),
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
def compstat(
    _: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    secrecy: SecrecyDep,
    nomenclature: NomenclatureDep,
    at: Annotated[str | None, Query(description="Dernier jour des périodes (AAAA-MM-JJ)")] = None,
    by: By = "category",
) -> dict[str, Any]:
    end = parse_day(at, "at") or f.date_to or snapshot.last_day()
    if end is None:
        return {"filter": describe_filter(f), "at": None, "periods": [], "rows": []}
    key_of, labels = _keys(by, nomenclature)
    windows = engine.compstat_windows(end)
    figures: dict[str, list[tuple[int, int]]] = {}
    for _name, start, stop, prev_start, prev_stop in windows:
        now = engine.window_counts(snapshot, f, start, stop)
        before = engine.window_counts(snapshot, f, prev_start, prev_stop)
        grouped_now = _group(now, key_of)
        grouped_before = _group(before, key_of)
        for key in set(grouped_now) | set(grouped_before) | {"total"}:
            figures.setdefault(key, [])
        for key in figures:
            figures[key].append((grouped_now.get(key, 0), grouped_before.get(key, 0)))
    rows = []
    order = ["total", *sorted(k for k in figures if k != "total")]
    for key in order:
        if key not in figures or (by == "total" and key != "total"):
            continue
        rows.append(
            {
                "key": key,
                "label": "Ensemble des faits" if key == "total" else labels.get(key, key),
                "periods": [_compare(c, p, secrecy) for c, p in figures[key]],
            }
        )
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
        **secrecy.describe(),
    }


def _group(counts: dict[str, int], key_of: dict[str, str] | None) -> dict[str, int]:
    out: dict[str, int] = {"total": sum(counts.values())}
    if key_of is None:
        return out
    for code, n in counts.items():
        key = key_of.get(code, code)
        out[key] = out.get(key, 0) + n
    return out


def _compare(current: int, previous: int, secrecy: Secrecy) -> dict[str, Any]:
    hidden = secrecy.hides(current) or secrecy.hides(previous)
    return {
        "current": secrecy.count(current),
        "previous": secrecy.count(previous),
        "change_percent": None if hidden else _number(percent_change(current, previous), 1),
        "z": None if hidden else _number(poisson_z(current, previous), 2),
    }


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
def territories(
    _: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    secrecy: SecrecyDep,
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
        total = sum(whole.get(commune.code, {}).values())
        own = [q for q in qpvs if commune.code in q.commune_codes]
        rest_population = None
        if commune.population is not None and all(
            q.population is not None and len(q.commune_codes) == 1 for q in own
        ):
            rest_population = commune.population - sum(q.population for q in own)
        out.append(
            {
                "code": commune.code,
                "name": commune.name,
                "whole": _territory(
                    whole.get(commune.code, {}), total, commune.population, secrecy
                ),
                "outside_qpv": _territory(
                    outside.get(commune.code, {}), total, rest_population, secrecy
                ),
                "qpvs": [
                    {
                        "code": q.code,
                        "name": q.name,
                        "communes": list(q.commune_codes),
                        **_territory(by_qpv.get(q.code, {}), total, q.population, secrecy),
                    }
                    for q in own
                ],
            }
        )
    return {
        "filter": describe_filter(f),
        "generation": f.generation,
        "communes": out,
        "data_version": snapshot.version,
        **secrecy.describe(),
    }


def _territory(
    by_category: dict[str, int], commune_total: int, population: int | None, secrecy: Secrecy
) -> dict[str, Any]:
    count = sum(by_category.values())
    hidden = secrecy.hides(count)
    return {
        "count": secrecy.count(count),
        "share": None if hidden or not commune_total else _number(count / commune_total),
        "population": population,
        "rate_per_1000": (
            None if hidden or not population else _number(1000 * count / population, 2)
        ),
        "by_category": {
            code: secrecy.count(n) for code, n in sorted(by_category.items(), key=lambda i: -i[1])
        },
    }
