"""Map layers: the hexagon counts of a filter, as GeoJSON (RFC 7946, lon/lat)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.cache import cached
from api.datadeps import AuditNarrow, MapRequestDep
from api.deps import Caller, CallerDep, SessionDep
from api.responses import GeoJSONResponse
from api.schemas.layers import CommuneLayer, HexagonLayer, QpvLayer
from api.scoping import check_commune
from observatory import geojson
from observatory.analytics.filters import parse_commune, parse_generation
from observatory.exports import hexagon_features

router = APIRouter(tags=["couches"])


@router.get(
    "/layers/hexagons",
    summary="Nombre de faits par hexagone H3",
    description=(
        "Chaque hexagone non vide du filtre, à la résolution demandée (6 : la ville, 11 : la "
        "rue). Propriétés : h3 (identifiant hexadécimal), count, suppressed (compte masqué "
        "sous le seuil de secret statistique pour les partenaires)."
    ),
    response_class=GeoJSONResponse,
    response_model=HexagonLayer,
    dependencies=[AuditNarrow],
)
@cached
def hexagons(
    ask: MapRequestDep,
    res: Annotated[int, Query(ge=6, le=11, description="Résolution H3, de 6 à 11")] = 9,
) -> Response:
    layer = ask.hexagons(res)
    body = geojson.collection(hexagon_features(layer.table), metadata=layer.metadata)
    return GeoJSONResponse(body)


# PostgreSQL writes the features (joined by commas); observatory/geojson.py the collection.
# A caller with a scope (:scope, NULL for every commune) gets its communes and the QPV that
# touch them, each QPV naming only the communes of the scope.
BOUNDARIES = {
    "qpv": """
        SELECT string_agg(json_build_object(
                'type', 'Feature',
                'properties', json_build_object(
                    'code', code, 'name', name, 'generation', generation,
                    'communes', ARRAY(SELECT c FROM unnest(commune_codes) AS c
                                      WHERE CAST(:scope AS varchar(5)[]) IS NULL
                                         OR c = ANY(:scope)),
                    'population', population),
                'geometry', ST_AsGeoJSON(geom, 6)::json)::text, ',' ORDER BY code)
        FROM qpv
        WHERE generation = :generation
          AND (CAST(:commune AS text) IS NULL OR CAST(:commune AS varchar(5)) = ANY(commune_codes))
          AND (CAST(:scope AS varchar(5)[]) IS NULL
               OR commune_codes && CAST(:scope AS varchar(5)[]))
    """,
    "communes": """
        SELECT string_agg(json_build_object(
                'type', 'Feature',
                'properties', json_build_object(
                    'code', code, 'name', name, 'population', population),
                'geometry', ST_AsGeoJSON(geom, 6)::json)::text, ',' ORDER BY code)
        FROM commune
        WHERE (CAST(:commune AS text) IS NULL OR code = :commune)
          AND (CAST(:scope AS varchar(5)[]) IS NULL OR code = ANY(:scope))
    """,
}


def _boundaries(
    session: Session, layer: str, caller: Caller, params: dict[str, object]
) -> Response:
    commune = params.get("commune")
    check_commune(caller.communes, commune if isinstance(commune, str) else None)
    scope = None if caller.communes is None else sorted(caller.communes)
    features = session.execute(text(BOUNDARIES[layer]), {**params, "scope": scope}).scalar_one()
    return GeoJSONResponse(geojson.collection([features or ""]))


@router.get(
    "/layers/qpv",
    summary="Contours des QPV d'une géographie (2015 ou 2024)",
    response_class=GeoJSONResponse,
    response_model=QpvLayer,
)
def qpv_layer(
    caller: CallerDep,
    session: SessionDep,
    generation: Annotated[int, Query(description="2015 ou 2024")] = 2024,
    commune: Annotated[str | None, Query(description="Code INSEE : ses QPV seulement")] = None,
) -> Response:
    return _boundaries(
        session,
        "qpv",
        caller,
        {"generation": parse_generation(str(generation)), "commune": parse_commune(commune)},
    )


@router.get(
    "/layers/communes",
    summary="Contours des communes importées",
    response_class=GeoJSONResponse,
    response_model=CommuneLayer,
)
def commune_layer(
    caller: CallerDep,
    session: SessionDep,
    commune: Annotated[
        str | None, Query(description="Code INSEE : cette commune seulement")
    ] = None,
) -> Response:
    return _boundaries(session, "communes", caller, {"commune": parse_commune(commune)})
