"""Vector tiles of the hexagon layer, for maps of large areas (observatory/tiles.py does the work).

The tiles take the filters and roles of /layers/hexagons and apply the same disclosure. They are
derived from personal data: only the caller's browser may keep them, for a minute, and a
cached tile is never reused for another token (``Vary: Authorization``). A tile with no cell
is a 204 with no body. The TileJSON tells the map whether a filter is large enough for tiles.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query, Request, Response

from api.datadeps import AuditNarrow, MapRequestDep
from api.deps import SessionDep
from api.schemas.tiles import TileJSON
from observatory.analytics.engine import hexagon_counts
from observatory.tiles import (
    LAYER,
    MAX_ZOOM,
    candidate_counts,
    check_tile,
    encode_tile,
    resolution_for_zoom,
    tile_resolution,
)

router = APIRouter(tags=["couches"], dependencies=[AuditNarrow])

MVT = "application/vnd.mapbox-vector-tile"
PRIVATE_CACHE = {"Cache-Control": "private, max-age=60", "Vary": "Authorization"}
# The map draws the hexagons as GeoJSON up to this many cells, at this zoom or closer; beyond,
# as vector tiles (an SVG path per cell stops being smooth past ~10,000).
GEOJSON_MAX_CELLS = 10_000
GEOJSON_MIN_ZOOM = 10


@router.get(
    "/tiles/hexagons/{z}/{x}/{y}.pbf",
    summary="Tuile vectorielle (Mapbox Vector Tile) des faits par hexagone H3",
    description=(
        "Couche « hexagons » : chaque hexagone non vide du filtre qui touche la tuile (marge "
        "de 64/4096). Propriétés : h3, count (absent si masqué), suppressed. Résolution : "
        "celle du zoom, max(6, min(11, z − 3)), ou « res » si elle est plus grossière. "
        "Tuile sans hexagone : 204 sans contenu."
    ),
    response_class=Response,
    responses={200: {"content": {MVT: {}}}, 204: {"description": "Aucun hexagone"}},
)
def hexagon_tile(
    ask: MapRequestDep,
    session: SessionDep,
    z: int,
    x: int,
    y: int,
    res: Annotated[
        int | None,
        Query(ge=6, le=11, description="Résolution H3 voulue (6 à 11), plafonnée par le zoom"),
    ] = None,
) -> Response:
    check_tile(z, x, y)
    # A tile's resolution follows the zoom: capped at what the caller may get unaudited.
    disclosure = ask.disclosure
    resolution = min(tile_resolution(z, res), disclosure.unasked_resolution_limit(ask.filter))
    f = ask.query(resolution).filter
    cells, counts = candidate_counts(ask.snapshot, f, z, x, y, resolution)
    body = encode_tile(session, z, x, y, cells, counts, disclosure.hidden(counts))
    headers = {**PRIVATE_CACHE, "X-H3-Resolution": str(resolution)}
    if not body:
        return Response(status_code=204, headers=headers)
    return Response(body, media_type=MVT, headers=headers)


@router.get(
    "/tiles/hexagons.json",
    summary="TileJSON de la couche d'hexagones, avec le résumé des comptes à la résolution",
    description=(
        "L'adresse des tuiles pour ces filtres, et à la résolution « res » : le nombre "
        "d'hexagones, de comptes masqués, le total visible et l'histogramme des comptes "
        "visibles (pour les classes de couleur). geojson_max_cells et geojson_min_zoom disent "
        "quand la carte passe des hexagones GeoJSON aux tuiles."
    ),
    response_model=TileJSON,
    # The members an answer does not have (an analyst's notes, a partner's privacy) stay out.
    response_model_exclude_unset=True,
)
def hexagon_tilejson(
    request: Request,
    ask: MapRequestDep,
    res: Annotated[int, Query(ge=6, le=11, description="Résolution H3, de 6 à 11")] = 9,
) -> dict[str, object]:
    disclosure = ask.disclosure
    query = ask.query(res)
    f, res = query.filter, query.resolution
    cells, counts = hexagon_counts(ask.snapshot, f, res)
    hidden = disclosure.hidden(counts)
    values, frequencies = np.unique(counts[~hidden], return_counts=True)
    asked = f"?{request.url.query}" if request.url.query else ""
    template = f"{request.base_url}api/v1/tiles/hexagons/{{z}}/{{x}}/{{y}}.pbf{asked}"
    return {
        "tilejson": "3.0.0",
        "name": "Faits par hexagone H3",
        "tiles": [template],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "vector_layers": [
            {
                "id": LAYER,
                "fields": {
                    "h3": "Identifiant H3 de l'hexagone (hexadécimal)",
                    "count": "Nombre de faits (absent si masqué)",
                    "suppressed": "Compte masqué sous le seuil de secret statistique",
                },
            }
        ],
        "resolution": res,
        "resolution_by_zoom": {
            str(z): min(res, resolution_for_zoom(z), disclosure.unasked_resolution_limit(f))
            for z in range(MAX_ZOOM + 1)
        },
        "cells": int(cells.size),
        "suppressed": int(hidden.sum()),
        "total": disclosure.count(int(counts.sum())),
        "histogram": [[int(v), int(n)] for v, n in zip(values, frequencies, strict=True)],
        "geojson_max_cells": GEOJSON_MAX_CELLS,
        "geojson_min_zoom": GEOJSON_MIN_ZOOM,
        **ask.echo(query),
    }
