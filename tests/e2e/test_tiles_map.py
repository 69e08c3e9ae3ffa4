"""The hexagons of a large view come as vector tiles, drawn by Leaflet.VectorGrid in Chromium.

Zoomed out (zoom 9 < geojson_min_zoom), the map asks for .pbf tiles with the token, draws
their cells at the zoom's resolution (6) with the counts of the GeoJSON layer at that
resolution, and goes back to GeoJSON hexagons when zoomed in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, Site, page_errors, sign_in

pytestmark = pytest.mark.e2e

TILE_PATHS = ".leaflet-hexagones-pane svg.leaflet-tile path[data-h3]"
GEOJSON_PATHS = ".leaflet-hexagones-pane path[data-count]:not(svg.leaflet-tile path)"


def api(site: Site, path: str, role: str, **params: Any) -> dict[str, Any]:
    answer = httpx.get(
        f"{site.url}/api/v1{path}",
        params=params,
        headers={"Authorization": f"Bearer {site.tokens[role]}"},
        timeout=30,
    )
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def tile_cells(page: Any) -> dict[str, str]:
    """h3 → count of the cells drawn in the vector tiles."""
    return dict(
        page.eval_on_selector_all(
            TILE_PATHS, "els => els.map(e => [e.dataset.h3, e.dataset.count])"
        )
    )


def tiles_drawn(page: Any, resolution: int) -> dict[str, str]:
    """The cells drawn once the legend says tiles of this resolution and the network is idle."""
    page.wait_for_selector(f".legende [data-mode=tuiles][data-resolution='{resolution}']")
    page.wait_for_function(f"() => document.querySelectorAll({TILE_PATHS!r}).length > 0")
    page.wait_for_load_state("networkidle")
    return tile_cells(page)


def test_a_low_zoom_draws_vector_tiles_then_geojson_closer(
    open_page: Callable[..., Any], site: Site
) -> None:
    page = open_page()
    tiles: list[Any] = []
    page.on("request", lambda r: tiles.append(r) if ".pbf" in urlsplit(r.url).path else None)
    sign_in(page, site, "analyst", "/?vue=43.6045,1.4442,9&periode=tout&couches=hexagones")
    page.wait_for_selector(".legende [data-mode=tuiles][data-resolution='6']")
    page.wait_for_function(
        f"() => document.querySelectorAll({TILE_PATHS!r}).length > 0"
        " && document.querySelectorAll('.leaflet-hexagones-pane .leaflet-tile-loaded').length"
        " === document.querySelectorAll('.leaflet-hexagones-pane .leaflet-tile').length"
    )

    # The tiles were asked of the API at zoom 9, with the page's filter and the session cookie.
    assert tiles
    first = urlsplit(tiles[0].url)
    assert first.path.startswith("/api/v1/tiles/hexagons/9/")
    assert parse_qs(first.query)["res"] == ["9"]
    assert "obs_session=" in tiles[0].all_headers()["cookie"]
    assert all(r.response() and r.response().status in (200, 204) for r in tiles)

    # Every cell drawn is a res-6 cell of the GeoJSON layer, with its count; none is missing.
    drawn = tile_cells(page)
    want = {
        f["properties"]["h3"]: str(f["properties"]["count"])
        for f in api(site, "/layers/hexagons", "analyst", res=6)["features"]
    }
    assert drawn == want
    fills = page.eval_on_selector_all(TILE_PATHS, "els => els.map(e => e.getAttribute('fill'))")
    assert all(fill and fill.startswith("#") for fill in fills)
    legend = page.inner_text(".legende section[data-couche=hexagones]")
    assert "tuiles vectorielles" in legend and "résolution 6" in legend

    # A tooltip in French on a drawn cell.
    page.hover(TILE_PATHS)
    assert "fait" in page.inner_text(".leaflet-tooltip")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "carte-tuiles-vectorielles.png")

    # Closer in, the hexagons come back as GeoJSON at the chosen resolution (9).
    page.click(".leaflet-control-zoom-in")
    page.wait_for_function(
        "() => !document.querySelector('.legende [data-mode=tuiles]')"
        f" && document.querySelectorAll({GEOJSON_PATHS!r}).length > 0"
    )
    assert page.locator("svg.leaflet-tile").count() == 0
    counts = page.eval_on_selector_all(
        GEOJSON_PATHS, "els => els.map(e => Number(e.dataset.count))"
    )
    full = api(site, "/layers/hexagons", "analyst", res=9)
    assert (len(counts), sum(counts)) == (len(full["features"]), full["metadata"]["total"])

    assert site.external == []
    assert page_errors(page) == []


def test_a_filter_with_many_cells_comes_as_tiles_even_close_in(
    open_page: Callable[..., Any], site: Site
) -> None:
    """All the sample's facts at resolution 11 fill more than 10,000 cells: tiles at zoom 14."""
    page = open_page()
    sign_in(page, site, "police", "/?vue=43.6045,1.4442,14&periode=tout&res=11&couches=hexagones")
    drawn = tiles_drawn(page, 11)
    cells = api(site, "/layers/hexagons", "police", res=11)["features"]
    assert len(cells) > 10_000
    want = {f["properties"]["h3"]: str(f["properties"]["count"]) for f in cells}
    assert len(drawn) > 50
    assert {h: want.get(h) for h in drawn} == drawn  # the visible part of the layer
    assert page_errors(page) == []


def test_partners_see_suppressed_cells_in_tiles(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page()
    sign_in(page, site, "partner", "/?vue=43.6045,1.4442,8&periode=1m&couches=hexagones")
    drawn = tiles_drawn(page, 6)
    # The last published month, as the release gives it (whole months, res ≤ 8).
    last = date.fromisoformat(api(site, "/stats/compstat", "partner", by="total")["at"])
    month = {"from": last.replace(day=1).isoformat(), "to": last.isoformat()}
    cells = api(site, "/layers/hexagons", "partner", res=6, **month)["features"]
    want = {
        f["properties"]["h3"]: ""
        if f["properties"]["suppressed"]
        else str(f["properties"]["count"])
        for f in cells
    }
    assert drawn == want
    assert all(v == "" or int(v) >= 5 for v in drawn.values())
    grey = page.eval_on_selector_all(
        TILE_PATHS,
        "els => els.filter(e => e.dataset.count === '').map(e => e.getAttribute('fill'))",
    )
    assert set(grey) <= {"#c8c8c8"}
    legend = page.inner_text(".legende section[data-couche=hexagones]")
    assert ("< 5 (valeur non publiée)" in legend) == bool(grey)
    assert page_errors(page) == []


def test_the_switch_rule_as_the_page_computes_it(open_page: Callable[..., Any], site: Site) -> None:
    page = open_page()
    page.goto(site.url + "/")
    got = page.evaluate(
        """async () => {
            const t = await import('/static/js/tuiles.js');
            const byZoom = {};
            for (let z = 0; z <= 22; z += 1) {
                byZoom[z] = Math.min(9, Math.max(6, Math.min(11, z - 3)));
            }
            const small = {cells: 10000, geojson_max_cells: 10000, geojson_min_zoom: 10,
                           resolution_by_zoom: byZoom};
            const large = {...small, cells: 10001};
            return {
                small: [9, 9.4, 9.5, 10, 16].map(z => t.modeTuiles(small, z)),
                large: [9, 12, 19].map(z => t.modeTuiles(large, z)),
                res: [4, 9, 10, 11, 12, 13, 19, 23].map(z => t.resolutionTuiles(small, z)),
                counts: t.comptesDeplies([[1, 2], [5, 1]]),
                url: t.modeleTuiles({res: 9, categories: 'vols,tapage', from: '', to: null}),
            };
        }"""
    )
    assert got["small"] == [True, True, False, False, False]
    assert got["large"] == [True, True, True]
    assert got["res"] == [6, 6, 7, 8, 9, 9, 9, 9]
    assert got["counts"] == [1, 1, 5]
    assert got["url"] == (
        f"{site.url}/api/v1/tiles/hexagons/{{z}}/{{x}}/{{y}}.pbf?res=9&categories=vols%2Ctapage"
    )
