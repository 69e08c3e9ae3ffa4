"""The map page (`/`), its settings inlined, the API documentation (`/docs`), and the
JavaScript libraries served from npm.

Leaflet, leaflet.markercluster, Leaflet.VectorGrid, Chart.js and Swagger UI come from the npm
registry (package.json and its lock file, installed by `npm ci`) and are served from
node_modules under /vendor: the pages fetch nothing from the internet. Without a tile URL
(OBS_TILE_URL) the map adds no base map.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

from api.routers.basemap import page_basemap
from observatory import __version__

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"

# URL prefix -> the only folder of each package the page needs.
VENDOR = {
    "/vendor/leaflet": NODE_MODULES / "leaflet" / "dist",
    "/vendor/leaflet.markercluster": NODE_MODULES / "leaflet.markercluster" / "dist",
    "/vendor/leaflet.vectorgrid": NODE_MODULES / "leaflet.vectorgrid" / "dist",
    "/vendor/chart.js": NODE_MODULES / "chart.js" / "dist",
}
# swagger-ui-dist is its own dist folder (with a demo page that asks the internet): only these.
SWAGGER_UI = NODE_MODULES / "swagger-ui-dist"
SWAGGER_UI_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css"})

CONFIG_MARK = "<!--CONFIG-->"

router = APIRouter(include_in_schema=False)


def page_config(request: Request) -> dict[str, object]:
    """What the page needs to know before signing in: base map, time slots, thresholds."""
    settings = request.app.state.settings
    return {
        "tile_url": settings.tile_url,
        "tile_attribution": settings.tile_attribution,
        "basemap": page_basemap(request.app.state, settings),
        "time_slots": settings.time_slots,
        "secrecy_threshold": settings.secrecy_threshold,
        "timezone": settings.timezone,
        "version": __version__,
    }


@router.get("/")
def index(request: Request) -> HTMLResponse:
    # "<" escaped so that no setting can close the script element.
    config = json.dumps(page_config(request), ensure_ascii=False).replace("<", "\\u003c")
    inline = f'<script type="application/json" id="configuration">{config}</script>'
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8").replace(CONFIG_MARK, inline)
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


@router.get("/docs")
def docs() -> HTMLResponse:
    """Swagger UI over /api/v1/openapi.json, started by a local script: FastAPI's own page
    inlines its script and loads Swagger UI from a CDN, both refused by the page's CSP."""
    html = (STATIC_DIR / "docs.html").read_text(encoding="utf-8")
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


class RevalidatedFiles(StaticFiles):
    """Static files that the browser revalidates (ETag) before each use.

    The ES modules import one another by plain names: without this, a browser's heuristic
    cache could mix the modules of two versions after an upgrade.
    """

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.setdefault("Cache-Control", "no-cache")
        return response


class ListedFiles(RevalidatedFiles):
    """Only the named files of a folder; anything else is a 404."""

    def __init__(self, *, names: frozenset[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.names = names

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path not in self.names:
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


def mount_assets(app: FastAPI) -> None:
    """Serve the page's own files under /static and the npm packages' dist folders."""
    app.mount("/static", RevalidatedFiles(directory=STATIC_DIR), name="static")
    for prefix, folder in VENDOR.items():
        # check_dir=False: without `npm ci` the API still starts; the page then says so.
        app.mount(prefix, RevalidatedFiles(directory=folder, check_dir=False), name=prefix[1:])
    swagger = ListedFiles(names=SWAGGER_UI_FILES, directory=SWAGGER_UI, check_dir=False)
    app.mount("/vendor/swagger-ui", swagger, name="vendor/swagger-ui")
