"""Map layers: the hexagon counts of a filter, as GeoJSON (RFC 7946, lon/lat)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.analytics import AggregateReader, FilterDep, SecrecyDep, SnapshotDep, describe_filter
from observatory.analytics.engine import hexagon_counts
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
)
def hexagons(
    _: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    secrecy: SecrecyDep,
    res: Annotated[int, Query(ge=6, le=11, description="Résolution H3, de 6 à 11")] = 9,
) -> Response:
    cells, counts = hexagon_counts(snapshot, f, res)
    features = []
    for cell, count in zip(cells.tolist(), counts.tolist(), strict=True):
        hidden = secrecy.hides(count)
        shown = "null" if hidden else str(count)
        features.append(
            f'{{"type":"Feature","properties":{{"h3":"{cell:x}","count":{shown},'
            f'"suppressed":{"true" if hidden else "false"}}},'
            f'"geometry":{cell_geojson(cell)}}}'
        )
    meta = {
        "resolution": res,
        # For partners, the total of the counts shown: a full total would give the hidden ones.
        "total": int(sum(c for c in counts.tolist() if not secrecy.hides(c))),
        "filter": describe_filter(f),
        "data_version": snapshot.version,
        **secrecy.describe(),
    }
    body = (
        '{"type":"FeatureCollection",'
        f'"metadata":{json.dumps(meta, ensure_ascii=False)},'
        f'"features":[{",".join(features)}]}}'
    )
    return Response(body, media_type=GEOJSON)
