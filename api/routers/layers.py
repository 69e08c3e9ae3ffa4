"""Map layers: the hexagon counts of a filter, as GeoJSON (RFC 7946, lon/lat)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import text

from api.cache import cached
from api.datadeps import (
    AggregateReader,
    AuditNarrow,
    DisclosureDep,
    FilterDep,
    NomenclatureDep,
    SnapshotDep,
    describe_filter,
    map_query,
)
from api.deps import CallerDep, SessionDep
from observatory.analytics.engine import hexagon_counts
from observatory.analytics.filters import GENERATIONS, parse_commune
from observatory.errors import InvalidInput
from observatory.grid import cell_geojson

router = APIRouter(tags=["couches"])

GEOJSON = "application/geo+json"


@router.get(
    "/layers/hexagons",
    summary="Nombre de faits par hexagone H3",
    description=(
        "Chaque hexagone non vide du filtre, à la résolution demandée (6 : la ville, 11 : la "
        "rue). Propriétés : h3 (identifiant hexadécimal), count, suppressed (compte masqué "
        "sous le seuil de secret statistique pour les partenaires)."
    ),
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    dependencies=[AuditNarrow],
)
@cached
def hexagons(
    _: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    disclosure: DisclosureDep,
    nomenclature: NomenclatureDep,
    res: Annotated[int, Query(ge=6, le=11, description="Résolution H3, de 6 à 11")] = 9,
) -> Response:
    query = map_query(disclosure, f, res, nomenclature)
    f, res = query.filter, query.resolution
    cells, counts = hexagon_counts(snapshot, f, res)
    features = []
    for cell, count in zip(cells.tolist(), counts.tolist(), strict=True):
        hidden = disclosure.hides(count)
        shown = "null" if hidden else str(count)
        features.append(
            f'{{"type":"Feature","properties":{{"h3":"{cell:x}","count":{shown},'
            f'"suppressed":{"true" if hidden else "false"}}},'
            f'"geometry":{cell_geojson(cell)}}}'
        )
    meta = {
        "resolution": res,
        "total": disclosure.count(int(counts.sum())),
        **query.notes,
        "filter": describe_filter(f),
        "data_version": snapshot.version,
        **disclosure.describe(),
    }
    body = (
        '{"type":"FeatureCollection",'
        f'"metadata":{json.dumps(meta, ensure_ascii=False)},'
        f'"features":[{",".join(features)}]}}'
    )
    return Response(body, media_type=GEOJSON)


BOUNDARIES = {
    "qpv": """
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature',
                'properties', json_build_object(
                    'code', code, 'name', name, 'generation', generation,
                    'communes', commune_codes, 'population', population),
                'geometry', ST_AsGeoJSON(geom, 6)::json) ORDER BY code), '[]'::json))::text
        FROM qpv
        WHERE generation = :generation
          AND (CAST(:commune AS text) IS NULL OR CAST(:commune AS varchar(5)) = ANY(commune_codes))
    """,
    "communes": """
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature',
                'properties', json_build_object(
                    'code', code, 'name', name, 'population', population),
                'geometry', ST_AsGeoJSON(geom, 6)::json) ORDER BY code), '[]'::json))::text
        FROM commune
        WHERE CAST(:commune AS text) IS NULL OR code = :commune
    """,
}


@router.get(
    "/layers/qpv",
    summary="Contours des QPV d'une géographie (2015 ou 2024)",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
)
def qpv_layer(
    _: CallerDep,
    session: SessionDep,
    generation: Annotated[int, Query(description="2015 ou 2024")] = 2024,
    commune: Annotated[str | None, Query(description="Code INSEE : ses QPV seulement")] = None,
) -> Response:
    if generation not in GENERATIONS:
        raise InvalidInput(f"« generation » vaut 2015 ou 2024, reçu « {generation} ».")
    body = session.execute(
        text(BOUNDARIES["qpv"]), {"generation": generation, "commune": parse_commune(commune)}
    ).scalar_one()
    return Response(body, media_type=GEOJSON)


@router.get(
    "/layers/communes",
    summary="Contours des communes importées",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
)
def commune_layer(
    _: CallerDep,
    session: SessionDep,
    commune: Annotated[
        str | None, Query(description="Code INSEE : cette commune seulement")
    ] = None,
) -> Response:
    body = session.execute(
        text(BOUNDARIES["communes"]), {"commune": parse_commune(commune)}
    ).scalar_one()
    return Response(body, media_type=GEOJSON)
