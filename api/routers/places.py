"""Places without a tile server: the BAN's streets, the names of QPV and communes, the search.

All of it is public reference data (the BAN, the QPV and commune outlines): every signed-in
role reads it, and nothing here is computed from the facts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import CallerDep, SessionDep, SettingsDep
from api.responses import GeoJSONResponse
from api.schemas.places import GeocodeAnswer, NameLayer, PlaceFound, StreetLayer
from observatory.analytics.filters import parse_bbox, parse_generation
from observatory.errors import InvalidInput
from observatory.places import layers
from observatory.places.search import MAX_LIMIT, MAX_QUERY, geocode

router = APIRouter(tags=["lieux"])


@router.get(
    "/layers/streets",
    summary="Voies de la Base adresse nationale dans une emprise",
    description=(
        "Chaque voie tracée par ses points d'adresse (chargés avec le géocodeur), les plus "
        f"longues d'abord, au plus {layers.MAX_STREETS}. Propriétés : name, commune, points."
    ),
    response_class=GeoJSONResponse,
    response_model=StreetLayer,
)
def street_layer(
    _: CallerDep,
    session: SessionDep,
    bbox: Annotated[str, Query(description="ouest,sud,est,nord en degrés WGS84")],
) -> Response:
    box = parse_bbox(bbox)
    if box is None:
        raise InvalidInput("« bbox » est obligatoire : ouest,sud,est,nord en degrés WGS84.")
    return GeoJSONResponse(layers.streets_in(session.connection(), box))


@router.get(
    "/layers/names",
    summary="Noms des QPV et des communes, en un point intérieur à chacun",
    response_class=GeoJSONResponse,
    response_model=NameLayer,
)
def name_layer(
    _: CallerDep,
    session: SessionDep,
    generation: Annotated[int, Query(description="QPV de 2015 ou de 2024")] = 2024,
) -> Response:
    return GeoJSONResponse(layers.names(session.connection(), parse_generation(str(generation))))


@router.get(
    "/geocode",
    summary="Recherche d'une adresse, d'une voie, d'un QPV ou d'une commune",
    description=(
        "Adresses, voies et lieux-dits du géocodeur (la BAN chargée), QPV et communes de la "
        "base par leur nom. Géocodeur arrêté : 503 avec Retry-After."
    ),
    response_model=GeocodeAnswer,
)
def geocode_route(
    _: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[str, Query(description=f"Ce qui est cherché, au plus {MAX_QUERY} caractères")],
    limit: Annotated[int, Query(description=f"Nombre de réponses, 1 à {MAX_LIMIT}")] = 5,
    generation: Annotated[int, Query(description="QPV de 2015 ou de 2024")] = 2024,
) -> GeocodeAnswer:
    found = geocode(session.connection(), settings, q, limit, parse_generation(str(generation)))
    return GeocodeAnswer(
        query=" ".join(q.split()), results=[PlaceFound(**f.as_dict()) for f in found]
    )
