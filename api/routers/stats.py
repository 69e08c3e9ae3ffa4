"""Statistics of a filter: totals, time slots, trends, CompStat, QPV against the rest.

The figures are built in observatory/figures/; this router serialises them (rounded for JSON).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

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
from api.schemas.stats import (
    CompStatAnswer,
    SummaryAnswer,
    TerritoriesAnswer,
    TimeslotsAnswer,
    TrendsAnswer,
)
from observatory.analytics.filters import parse_day
from observatory.categories import FAMILIES
from observatory.errors import InvalidInput
from observatory.figures.breakdown import By, key_of
from observatory.figures.change import Change
from observatory.figures.compstat import compstat as compstat_figure
from observatory.figures.summary import Tally
from observatory.figures.summary import summary as summary_figure
from observatory.figures.territories import NamedPlace, TerritoryRow, read_places
from observatory.figures.territories import territories as territories_figure
from observatory.figures.timeslots import WEEKDAYS
from observatory.figures.timeslots import timeslots as timeslots_figure
from observatory.figures.trends import trends as trends_figure

router = APIRouter(tags=["statistiques"], dependencies=[AuditNarrow])

Step = Annotated[Literal["month", "week"], Query(description="month (mois) ou week (semaine)")]
ByQuery = Annotated[
    By,
    Query(description="total, category (par catégorie) ou family (par famille)"),
]


def _number(value: float | None, digits: int = 4) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(float(value), digits)


def _labels(by: str, nomenclature: Nomenclature) -> dict[str, str]:
    """The labels of a breakdown's keys."""
    return nomenclature.label if by == "category" else FAMILIES


@router.get("/stats/summary", summary="Totaux par catégorie et par famille")
@cached
def summary(
    _: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    disclosure: DisclosureDep,
    nomenclature: NomenclatureDep,
) -> SummaryAnswer:
    figure = summary_figure(snapshot, f, nomenclature.family, disclosure)
    return SummaryAnswer.model_validate(
        {
            "filter": describe_filter(f),
            "total": figure.total,
            "categories": [
                {
                    "code": c.code,
                    "label": nomenclature.label.get(c.code, c.code),
                    "family": nomenclature.family.get(c.code, "autres"),
                    **_tally(c),
                }
                for c in figure.categories
            ],
            "families": [
                {"code": fam.code, "label": nomenclature.family_label(fam.code), **_tally(fam)}
                for fam in figure.families
            ],
            "data_range": {
                "first": figure.first_day.isoformat() if figure.first_day else None,
                "last": figure.last_day.isoformat() if figure.last_day else None,
            },
            "data_version": snapshot.version,
            **disclosure.describe(),
        }
    )


def _tally(tally: Tally) -> dict[str, Any]:
    return {"count": tally.count, "suppressed": tally.suppressed}


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
) -> TimeslotsAnswer:
    disclosure.check_timeslots(f, nomenclature.family)
    figure = timeslots_figure(snapshot, f, disclosure, settings.time_slots)
    return TimeslotsAnswer.model_validate(
        {
            "filter": describe_filter(f),
            "timezone": settings.timezone,
            "weekdays": list(WEEKDAYS),
            "hours": list(range(24)),
            "matrix": [[_number(v) for v in row] for row in figure.matrix],
            "suppressed_cells": figure.suppressed_cells,
            "slots": [
                {
                    "name": s.name,
                    "hours": s.hours,
                    "value": _number(s.value),
                    "share": _number(s.share),
                }
                for s in figure.slots
            ],
            "night_share": _number(figure.night_share),
            "total": _number(figure.total),
            "data_version": snapshot.version,
            **disclosure.describe(),
        }
    )


@router.get(
    "/stats/trends",
    summary="Évolution : séries mensuelles ou hebdomadaires, tendance de Mann–Kendall",
    description=(
        "Une série par clé (total, catégorie ou famille), du premier au dernier jour du filtre "
        "(à défaut, des données). Une période coupée par ces bornes est marquée incomplète et "
        "n'entre pas dans le test de Mann–Kendall (pente de Sen en faits par période). "
        "yoy_percent et yoy_z comparent chaque période à la même un an plus tôt, lue même "
        "avant le premier jour du filtre quand les données y remontent (null sinon)."
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
    by: ByQuery = "total",
) -> TrendsAnswer:
    disclosure.check_breakdown(f, by)
    disclosure.check_step(step)
    figure = trends_figure(
        snapshot, f, step, key_of(by, nomenclature.family), _labels(by, nomenclature), disclosure
    )
    return TrendsAnswer.model_validate(
        {
            "filter": describe_filter(f),
            "step": step,
            "by": by,
            "periods": [
                {"start": p.start.isoformat(), "complete": p.complete} for p in figure.periods
            ],
            "series": [
                {
                    "key": s.key,
                    "label": s.label,
                    "counts": [c.current for c in s.changes],
                    "yoy_percent": [_number(c.percent, 2) for c in s.changes],
                    "yoy_z": [_number(c.z, 3) for c in s.changes],
                    "mann_kendall": s.mann_kendall.as_dict(),
                }
                for s in figure.series
            ],
            "data_version": snapshot.version,
            **disclosure.describe(),
        }
    )


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
    by: ByQuery = "category",
) -> CompStatAnswer:
    disclosure.check_breakdown(f, by)
    end = parse_day(at, "at") or f.date_to or snapshot.last_day()
    if end is None:
        return CompStatAnswer.model_validate(
            {"filter": describe_filter(f), "at": None, "periods": [], "rows": []}
        )
    figure = compstat_figure(
        snapshot, f, end, key_of(by, nomenclature.family), _labels(by, nomenclature), disclosure
    )
    return CompStatAnswer.model_validate(
        {
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
                for name, start, stop, prev_start, prev_stop in figure.windows
            ],
            "rows": [
                {"key": r.key, "label": r.label, "periods": [_compared(c) for c in r.changes]}
                for r in figure.rows
            ],
            "data_version": snapshot.version,
            **disclosure.describe(),
        }
    )


def _compared(change: Change) -> dict[str, Any]:
    return {
        "current": change.current,
        "previous": change.previous,
        "change_percent": _number(change.percent, 1),
        "z": _number(change.z, 2),
    }


@router.get(
    "/stats/territories",
    summary="QPV et reste de la commune : faits, parts et taux pour 1 000 habitants",
    description=(
        "Pour chaque commune (celle du filtre, sinon chacune de celles qui ont un QPV de la "
        "géographie choisie) : chaque QPV (tous ses faits, même quand il déborde sur une "
        "commune voisine), le reste de la commune hors QPV et la commune entière. Taux pour "
        "1 000 habitants là où la population est connue ; la population hors QPV est celle "
        "de la commune moins celle de ses QPV, quand tous ses QPV sont entièrement dans la "
        "commune. Un QPV 2024 sans population chargée reprend celle du QPV 2015 de même code "
        "ou de même nom (population_from = 2015)."
    ),
)
@cached
def territories(
    _: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    disclosure: DisclosureDep,
    session: SessionDep,
) -> TerritoriesAnswer:
    communes, qpvs = within_scope(*read_places(session, f.commune, f.generation), f.scope)
    if f.commune is not None and not communes:
        raise InvalidInput(
            f"Commune {f.commune} inconnue : importez son contour (observatory import communes)."
        )
    figure = territories_figure(snapshot, f, communes, qpvs, disclosure)
    return TerritoriesAnswer.model_validate(
        {
            "filter": describe_filter(f),
            "generation": f.generation,
            "communes": [
                {
                    "code": c.code,
                    "name": c.name,
                    "whole": _territory(c.whole),
                    "outside_qpv": _territory(c.outside_qpv),
                    "qpvs": [
                        {
                            "code": q.code,
                            "name": q.name,
                            "communes": list(q.communes),
                            **_territory(q),
                        }
                        for q in c.qpvs
                    ],
                }
                for c in figure
            ],
            "data_version": snapshot.version,
            **disclosure.describe(),
        }
    )


def _territory(row: TerritoryRow) -> dict[str, Any]:
    return {
        "count": row.count,
        "suppressed": row.suppressed,
        "share": _number(row.share),
        "population": row.population,
        "population_from": row.population_from,
        "rate_per_1000": _number(row.rate_per_1000, 2),
        "by_category": row.by_category,
    }


def within_scope(
    communes: list[NamedPlace], qpvs: list[NamedPlace], scope: frozenset[str] | None
) -> tuple[list[NamedPlace], list[NamedPlace]]:
    """The communes of the scope, and the QPV that touch them naming only those communes."""
    if scope is None:
        return communes, qpvs
    kept = [c for c in communes if c.code in scope]
    touching = [
        replace(q, communes=tuple(c for c in q.communes if c in scope))
        for q in qpvs
        if scope.intersection(q.communes)
    ]
    return kept, touching
