"""A town's own base map (OBS_BASEMAP_FILE: MBTiles or PMTiles), served tile by tile.

Public like the page's own files: Leaflet asks for tiles without a token, and a town's plan or
orthophoto holds no personal data. Outside the file (zoom, grid, missing tile, other format,
no file set): 404.
"""

from __future__ import annotations

import logging
import threading

from fastapi import APIRouter, HTTPException, Request, Response

from observatory.errors import ObservatoryError
from observatory.places.basemap import Basemap, open_basemap
from observatory.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(tags=["lieux"])
_opening = threading.Lock()
URL = "/api/v1/basemap/{z}/{x}/{y}.{ext}"


def basemap_of(state: object, settings: Settings) -> Basemap | None:
    """The app's open base map, opened on first use; None when no usable file is set."""
    if settings.basemap_file is None:
        return None
    with _opening:
        if not hasattr(state, "basemap"):
            try:
                state.basemap = open_basemap(settings.basemap_file)  # type: ignore[attr-defined]
            except ObservatoryError as exc:
                log.error("%s", exc)
                state.basemap = None  # type: ignore[attr-defined]
        return state.basemap  # type: ignore[attr-defined]


def page_basemap(state: object, settings: Settings) -> dict[str, object] | None:
    """What the page needs to draw the base map (the CONFIG), or None."""
    basemap = basemap_of(state, settings)
    if basemap is None:
        return None
    return {
        "url": URL.replace("{ext}", basemap.extension),
        "minzoom": basemap.minzoom,
        "maxzoom": basemap.maxzoom,
        "bounds": list(basemap.bounds) if basemap.bounds else None,
        "attribution": settings.basemap_attribution or basemap.name,
    }


@router.get(
    "/basemap/{z}/{x}/{y}.{ext}",
    summary="Tuile du fond de carte local (fichier MBTiles ou PMTiles du réglage)",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}},
        404: {"description": "Hors du fichier, ou aucun fond de carte local"},
    },
)
def basemap_tile(request: Request, z: int, x: int, y: int, ext: str) -> Response:
    basemap = basemap_of(request.app.state, request.app.state.settings)
    if basemap is None or ext.lower() != basemap.extension:
        raise HTTPException(status_code=404)
    data = basemap.tile(z, x, y)
    if data is None:
        raise HTTPException(status_code=404)
    return Response(
        data, media_type=basemap.media_type, headers={"Cache-Control": "public, max-age=86400"}
    )
