"""Hot spots (Gi* with FDR), emerging hot spots (space-time cube) and near repeats (Knox).

The study area of Gi*: with a ``commune`` filter (or for a caller with a scope, its communes),
the cells whose centres fall inside the outline; without one, the cells of the filtered
incidents grown by k rings. Every
cell of the area is returned, empty ones included: they are part of what the z-scores compare.
Without ``res`` or ``k``, both are chosen from the data (observatory/analytics/hotspots.py,
``choose_resolution_and_k``, after Esri's Optimized Hot Spot Analysis) and the answer says why.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from typing import Annotated, Any, Literal

import numpy as np
import shapely
from fastapi import APIRouter, Query, Response
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.cache import cached
from api.datadeps import AuditNarrow, MapRequestDep, describe_filter
from api.deps import SessionDep, SettingsDep
from api.heavy import client_left
from api.responses import GeoJSONResponse
from api.schemas.hotspots import EmergingLayer, HotspotLayer, NearRepeat
from observatory import geojson
from observatory.analytics import engine
from observatory.analytics.emerging import emerging_hotspots
from observatory.analytics.filters import Filter
from observatory.analytics.hotspots import (
    KS,
    RESOLUTIONS,
    at_confidence,
    choose_resolution_and_k,
    class_labels,
    grown_cells,
    hotspots,
    study_area_cells,
)
from observatory.analytics.nearrepeat import (
    MAX_DAY_BANDS,
    MAX_DAYS,
    MAX_DISTANCE_BANDS,
    MAX_DISTANCE_M,
    check_bands,
    knox_test,
)
from observatory.errors import InvalidInput
from observatory.privacy.policy import Disclosure
from observatory.store.snapshot import FINEST_RESOLUTION, Snapshot

router = APIRouter(tags=["points chauds"], dependencies=[AuditNarrow])

STAT_DIGITS = 6  # significant digits of z and p in the layers
MAX_CELLS = 400_000
MIN_STEPS = 6

Resolution = Annotated[
    int | None, Query(ge=6, le=11, description="Résolution H3 (6 à 11) ; absente : choisie")
]
Ring = Annotated[
    int | None, Query(ge=1, le=6, description="Voisinage : anneaux H3 autour de la cellule")
]
Fdr = Annotated[bool, Query(description="Correction du taux de fausses découvertes (FDR)")]
Step = Annotated[Literal["month", "week"], Query(description="Pas de temps du cube")]


def _commune_outline(session: Session, code: str) -> Any:
    wkb = session.execute(
        text("SELECT ST_AsBinary(geom) FROM commune WHERE code = :code"), {"code": code}
    ).scalar_one_or_none()
    if wkb is None:
        raise InvalidInput(
            f"Commune {code} inconnue : importez son contour (observatory import communes) "
            "pour en faire la zone d'étude."
        )
    return shapely.from_wkb(bytes(wkb))


def _scope_outline(session: Session, scope: frozenset[str]) -> Any:
    """The union of the scope's communes' outlines (None when none is known)."""
    wkb = session.execute(
        text("SELECT ST_AsBinary(ST_Union(geom)) FROM commune WHERE code = ANY(:codes)"),
        {"codes": sorted(scope)},
    ).scalar_one_or_none()
    return shapely.from_wkb(bytes(wkb)) if wkb is not None else None


def _area_outline(session: Session, f: Filter) -> Any:
    """The outline of the study area: the commune asked about, else the caller's scope (a
    scoped caller's area stops at its communes' edge: the rings of a fact near the border do
    not reach into a commune it does not see), else None (the facts and their rings)."""
    if f.commune:
        return _commune_outline(session, f.commune)
    if f.scope is not None:
        return _scope_outline(session, f.scope)
    return None


def _area_name(f: Filter) -> str:
    if f.commune:
        return "commune " + f.commune
    if f.scope is not None:
        return "communes du périmètre : " + ", ".join(sorted(f.scope))
    return "faits filtrés et leurs anneaux"


def _incident_cells(snapshot: Snapshot, f: Filter) -> np.ndarray:
    """The filtered incidents' cells at the finest resolution, one per incident."""
    chosen = engine.select(snapshot, f)
    parents, parent = snapshot.parent_index(FINEST_RESOLUTION)
    return parents[parent[chosen.take(snapshot.cell)]]


def _study_area(
    session: Session,
    snapshot: Snapshot,
    f: Filter,
    res: int | None,
    k: int | None,
    finest: int = FINEST_RESOLUTION,
) -> tuple[int, int, np.ndarray, str]:
    """(resolution, k, the area's sorted cells, how they were chosen); a chosen resolution is
    no finer than ``finest`` (the caller's query space)."""
    outline = _area_outline(session, f)
    reason = "résolution et voisinage donnés par la requête"
    if res is None or k is None:
        facts = _incident_cells(snapshot, f)
        if facts.size == 0:
            raise InvalidInput("Aucun fait pour ce filtre : pas de points chauds à chercher.")
        area = study_area_cells(outline, res or min(10, finest)) if outline is not None else None
        res, k, reason = choose_resolution_and_k(
            facts,
            area_cells=area,
            resolutions=(res,) if res is not None else tuple(r for r in RESOLUTIONS if r <= finest),
            ks=(k,) if k is not None else KS,
        )
    if outline is not None:
        cells = study_area_cells(outline, res)
    else:
        nonempty, _ = engine.hexagon_counts(snapshot, f, res)
        cells = grown_cells(nonempty, k)
    if cells.size > MAX_CELLS:
        raise InvalidInput(
            f"Zone d'étude trop grande à la résolution {res} ({cells.size} hexagones) : "
            "choisissez une résolution plus grossière ou une commune."
        )
    if cells.size < 3:
        raise InvalidInput(
            "Zone d'étude trop petite (moins de 3 hexagones) : élargissez le filtre."
        )
    return res, k, cells, reason


def _shown(values: np.ndarray, precise: bool) -> list[Any]:
    """A statistic's values, or nulls where the caller may not see them."""
    return values.tolist() if precise else [None] * values.size


def _cell_features(
    cells: np.ndarray,
    counts: np.ndarray,
    disclosure: Disclosure,
    columns: dict[str, list[Any]],
    *,
    tally: str,
) -> tuple[list[str], dict[str, int]]:
    """Each cell's feature (h3, its count unless hidden, suppressed, then the columns) and how
    many cells have each value of the column ``tally``, in order of first appearance."""
    features = []
    for i, (cell, count) in enumerate(zip(cells.tolist(), counts.tolist(), strict=True)):
        hidden = disclosure.hides(count)
        properties = {
            "h3": f"{cell:x}",
            "count": None if hidden else count,
            "suppressed": hidden,
            **{name: values[i] for name, values in columns.items()},
        }
        features.append(geojson.cell_feature(cell, properties, digits=STAT_DIGITS))
    return features, dict(Counter(columns[tally]))


def _collection(meta: dict[str, Any], features: list[str]) -> GeoJSONResponse:
    return GeoJSONResponse(geojson.collection(features, metadata=meta))


@router.get(
    "/layers/hotspots",
    summary="Points chauds : Gi* de Getis–Ord, avec correction FDR",
    description=(
        "Chaque hexagone de la zone d'étude, vides compris : h3, count, gi_z, gi_p, class "
        "(hot_99 … cold_99, not_significant) et label. Poids binaires sur les k anneaux, la "
        "cellule comprise ; p analytique (ou par permutations si permutations > 0) ; classes "
        "à 90, 95 et 99 % de confiance, corrigées par FDR (Benjamini–Hochberg) par défaut. "
        "alpha ne garde que les classes de confiance au moins 1 − alpha."
    ),
    response_class=GeoJSONResponse,
    response_model=HotspotLayer,
)
@cached(heavy=lambda arguments: arguments["permutations"] > 0)
def hotspot_layer(
    ask: MapRequestDep,
    session: SessionDep,
    res: Resolution = None,
    k: Ring = None,
    alpha: Annotated[float, Query(gt=0, le=0.1, description="0,10 ; 0,05 ou 0,01")] = 0.1,
    fdr: Fdr = True,
    permutations: Annotated[int, Query(ge=0, le=9999, description="0 : p analytique")] = 0,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1, description="Graine des permutations")] = 0,
) -> Response:
    snapshot, disclosure = ask.snapshot, ask.disclosure
    query = ask.query(res or 6)
    f, res = query.filter, (query.resolution if res is not None else None)
    finest = disclosure.unasked_resolution_limit(f)
    res, k, cells, reason = _study_area(session, snapshot, f, res, k, finest)
    counts = engine.study_counts(snapshot, f, res, cells)
    # A partner gets the class only: z and p would carry the counts' precision.
    precise = not disclosure.release
    result = hotspots(
        cells, counts, k, fdr=fdr, permutations=permutations, seed=seed, cancelled=client_left
    )
    # The classes the asked confidence keeps, counted as the features show them.
    codes = at_confidence(result.code, alpha)
    features, classes = _cell_features(
        result.cells,
        counts,
        disclosure,
        {
            "gi_z": _shown(result.z, precise),
            "gi_p": _shown(result.p, precise),
            "class": codes.tolist(),
            "label": class_labels(codes).tolist(),
        },
        tally="class",
    )
    meta = {
        "method": "Gi* de Getis–Ord, poids binaires (anneaux H3, cellule comprise)",
        "resolution": res,
        "k": k,
        "alpha": alpha,
        "fdr": fdr,
        "permutations": permutations,
        "seed": seed if permutations else None,
        "chosen_because": reason,
        "study_area": _area_name(f),
        "cells": int(cells.size),
        "classes": classes,
        **ask.echo(query),
    }
    return _collection(meta, features)


@router.get(
    "/layers/emerging-hotspots",
    summary="Points chauds émergents : cube espace-temps, Gi* par pas, Mann–Kendall",
    description=(
        "Le cube hexagone × mois (ou semaine) sur la période du filtre, périodes complètes "
        "seulement ; Gi* à chaque pas ; tendance de Mann–Kendall des z de chaque hexagone ; "
        "les classes d'Esri (nouveau, consécutif, intensifié, persistant, en déclin, "
        "sporadique, oscillant, ancien ; chaud et froid ; aucune tendance)."
    ),
    response_class=GeoJSONResponse,
    response_model=EmergingLayer,
)
@cached(heavy=True)
def emerging_layer(
    ask: MapRequestDep,
    session: SessionDep,
    res: Resolution = None,
    k: Ring = None,
    step: Step = "month",
    alpha: Annotated[float, Query(gt=0, le=0.1, description="Seuil de chaque pas")] = 0.05,
    fdr: Fdr = True,
) -> Response:
    snapshot, disclosure = ask.snapshot, ask.disclosure
    query = ask.query(res or 6)
    f, res = query.filter, (query.resolution if res is not None else None)
    if disclosure.release and step != "month":
        raise InvalidInput("Pour un partenaire, le cube est mensuel : step=month.")
    finest = disclosure.unasked_resolution_limit(f)
    res, k, cells, reason = _study_area(session, snapshot, f, res, k, finest)
    periods, cube = engine.cube(snapshot, f, res, cells, step)
    precise = not disclosure.release
    complete = np.array(periods.complete, dtype=bool)
    if int(complete.sum()) < MIN_STEPS:
        unit = "mois complets" if step == "month" else "semaines complètes"
        raise InvalidInput(
            f"Les points chauds émergents suivent chaque hexagone sur au moins {MIN_STEPS} "
            f"{unit} ; la période choisie en compte {int(complete.sum())} : étendez-la à "
            f"{MIN_STEPS} {unit} ou plus (par exemple les 12 derniers mois)."
        )
    cube = cube[:, complete]
    starts = [s for s, c in zip(periods.starts, periods.complete, strict=True) if c]
    result = emerging_hotspots(cells, cube, k=k, alpha=alpha, fdr=fdr, cancelled=client_left)
    features, patterns = _cell_features(
        cells,
        cube.sum(axis=1),
        disclosure,
        {
            "pattern": result.pattern.tolist(),
            "label": result.label.tolist(),
            "trend_z": _shown(result.trend_z, precise),
            "trend_p": _shown(result.trend_p, precise),
        },
        tally="pattern",
    )
    meta = {
        "method": "analyse des points chauds émergents (cube espace-temps, Gi*, Mann–Kendall)",
        "resolution": res,
        "k": k,
        "step": step,
        "alpha": alpha,
        "fdr": fdr,
        "periods": [s.isoformat() for s in starts],
        "chosen_because": reason,
        "study_area": _area_name(f),
        "cells": int(cells.size),
        "patterns": patterns,
        **ask.echo(query),
    }
    return _collection(meta, features)


def _edges(value: str, name: str) -> list[float]:
    try:
        edges = [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise InvalidInput(
            f"« {name} » attend des bornes croissantes séparées par des virgules (reçu "
            f"« {value} »)."
        ) from None
    if len(edges) < 2 or any(b <= a for a, b in pairwise(edges)):
        raise InvalidInput(
            f"« {name} » attend au moins deux bornes strictement croissantes (reçu « {value} »)."
        )
    if edges[0] < 0:
        raise InvalidInput(f"« {name} » : les bornes sont positives (reçu « {value} »).")
    return edges


@router.get(
    "/stats/near-repeat",
    summary="Répétitions proches : test de Knox (distance × délai), p par Monte-Carlo",
    description=(
        "Les paires de faits du filtre rangées par distance (mètres, Lambert-93) et par délai "
        "(jours) ; comparées aux mêmes paires quand les dates sont mélangées entre les faits "
        "(permutations). Un rapport de Knox > 1 avec p < 0,05 dans les premières cases : après "
        "un fait, un autre suit près de là plus souvent que le hasard ne le voudrait. Au plus "
        f"{MAX_DISTANCE_BANDS} bandes de distance jusqu'à {MAX_DISTANCE_M:.0f} m et "
        f"{MAX_DAY_BANDS} bandes de délai jusqu'à {MAX_DAYS} jours ; au-delà, comme au-delà des "
        "plafonds de faits et de paires (OBS_NEAR_REPEAT_MAX_FACTS, OBS_NEAR_REPEAT_MAX_PAIRS), "
        "la question est refusée (422) avec ce qu'il faut resserrer."
    ),
    response_model=NearRepeat,
)
@cached(heavy=True)
def near_repeat(
    ask: MapRequestDep,
    settings: SettingsDep,
    distances: Annotated[str, Query(description="Bornes en mètres : 0,100,200,400")] = (
        "0,100,200,400"
    ),
    days: Annotated[str, Query(description="Bornes en jours : 0,7,14,28")] = "0,7,14,28",
    permutations: Annotated[int, Query(ge=19, le=9999)] = 999,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = 0,
) -> dict[str, Any]:
    snapshot, disclosure = ask.snapshot, ask.disclosure
    disclosure.check_near_repeat()
    # Pairs of facts with their distance are read at the scale of the facts: no sensitive
    # category for an analyst (observatory/privacy/policy.py).
    query = ask.query(6)
    f = query.filter
    distance_edges = _edges(distances, "distances")
    day_edges = _edges(days, "days")
    check_bands(distance_edges, day_edges)  # before any work: 422 beyond the caps on bands
    chosen = engine.select(snapshot, f)
    if chosen.count < 2:
        raise InvalidInput("Il faut au moins deux faits pour chercher des répétitions proches.")
    table = knox_test(
        chosen.take(snapshot.lon),
        chosen.take(snapshot.lat),
        chosen.take(snapshot.day).astype(np.int64),
        distance_edges,
        day_edges,
        permutations=permutations,
        seed=seed,
        max_facts=settings.near_repeat_max_facts,
        max_pairs=settings.near_repeat_max_pairs,
        cancelled=client_left,
    )
    cells = []
    for i in range(len(distance_edges) - 1):
        for j in range(len(day_edges) - 1):
            observed = int(table.observed[i, j])
            hidden = disclosure.hides(observed)
            cells.append(
                {
                    "distance": [distance_edges[i], distance_edges[i + 1]],
                    "days": [day_edges[j], day_edges[j + 1]],
                    "observed": None if hidden else observed,
                    # Rounded as the Near Repeat Calculator (Ratcliffe) publishes it.
                    "expected": round(float(table.expected[i, j]), 2),
                    "ratio": None
                    if hidden or not np.isfinite(table.ratio[i, j])
                    else round(float(table.ratio[i, j]), 3),
                    "p": round(float(table.p[i, j]), 4),
                    "significant": bool(table.significant[i, j]),
                }
            )
    # The pairs counted would give a hidden cell back when the bands cover them all.
    any_hidden = any(c["observed"] is None for c in cells)
    return {
        "filter": describe_filter(f),
        "events": disclosure.count(table.events),
        "pairs": None if any_hidden else table.pairs,
        "permutations": table.permutations,
        "seed": table.seed,
        "distance_edges": distance_edges,
        "day_edges": day_edges,
        "cells": cells,
        **query.notes,
        "data_version": snapshot.version,
        **disclosure.describe(),
    }
