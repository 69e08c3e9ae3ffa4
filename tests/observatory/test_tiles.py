"""Tile maths: bounds, the tile of a point, the zoom → resolution rule, the cell reach."""

from __future__ import annotations

import math

import h3
import pytest
import shapely
from numpy.testing import assert_allclose

from observatory.errors import InvalidInput
from observatory.tiles import (
    MAX_ZOOM,
    check_tile,
    reach,
    resolution_for_zoom,
    tile_bounds,
    tile_of,
    tile_resolution,
)

CAPITOLE = (1.4442, 43.6045)


def test_the_z12_tile_of_the_capitole_by_hand() -> None:
    # x = floor((1.4442 + 180) / 360 * 4096) = floor(2064.43) = 2064.
    # y = floor((1 - asinh(tan(43.6045°)) / π) / 2 * 4096) = floor((1 - 0.847723 / π) / 2 * 4096)
    #   = floor(1495.37) = 1495.
    assert tile_of(*CAPITOLE, 12) == (2064, 1495)
    # West and east: 2064 / 4096 * 360 - 180 and 2065 / 4096 * 360 - 180, exactly.
    # North and south: the latitudes of PostGIS's ST_TileEnvelope(12, 2064, 1495), y from
    # 5400734.6705 to 5410518.6101 m, through lat = 2 atan(exp(y / 6378137)) - 90°.
    assert_allclose(
        tile_bounds(12, 2064, 1495),
        (1.40625, 43.580390855607845, 1.494140625, 43.64402584769949),
        rtol=0,
        atol=1e-9,
    )


def test_whole_world_and_corners() -> None:
    west, south, east, north = tile_bounds(0, 0, 0)
    assert (west, east) == (-180.0, 180.0)
    assert_allclose((south, north), (-85.0511287798066, 85.0511287798066), atol=1e-9)
    # The four z1 tiles split the world at the Greenwich meridian and the equator.
    assert tile_bounds(1, 1, 1)[:3] == pytest.approx((0.0, -85.0511287798066, 180.0))
    assert tile_bounds(1, 0, 0)[1] == pytest.approx(0.0, abs=1e-12)


def test_a_buffer_grows_the_tile_but_not_past_the_world() -> None:
    west, south, east, north = tile_bounds(12, 2064, 1495, buffer=64 / 4096)
    width = 360 / 4096
    assert west == pytest.approx(1.40625 - width / 64)
    assert east == pytest.approx(1.494140625 + width / 64)
    assert south < 43.580390855607845 and north > 43.64402584769949
    assert tile_bounds(2, 0, 0, buffer=0.5)[0] == -180.0
    assert tile_bounds(2, 0, 0, buffer=0.5)[3] == pytest.approx(85.0511287798066)


def test_tile_of_agrees_with_tile_bounds() -> None:
    for z in (0, 5, 9, 14, 18):
        x, y = tile_of(*CAPITOLE, z)
        west, south, east, north = tile_bounds(z, x, y)
        assert west <= CAPITOLE[0] < east and south < CAPITOLE[1] <= north


@pytest.mark.parametrize(
    ("z", "res"),
    [(0, 6), (5, 6), (9, 6), (10, 7), (11, 8), (12, 9), (13, 10), (14, 11), (19, 11), (22, 11)],
)
def test_resolution_follows_the_zoom(z: int, res: int) -> None:
    assert resolution_for_zoom(z) == res


def test_an_asked_resolution_may_be_coarser_never_finer() -> None:
    assert tile_resolution(12) == 9
    assert tile_resolution(12, 7) == 7
    assert tile_resolution(12, 11) == 9
    assert tile_resolution(16, 11) == 11


@pytest.mark.parametrize(
    ("z", "x", "y", "word"),
    [(-1, 0, 0, "zoom"), (MAX_ZOOM + 1, 0, 0, "zoom"), (3, 8, 0, "« x »"), (3, 0, -1, "« y »")],
)
def test_out_of_range_tiles_are_refused_in_french(z: int, x: int, y: int, word: str) -> None:
    with pytest.raises(InvalidInput, match=word):
        check_tile(z, x, y)


def test_check_tile_accepts_the_pyramid() -> None:
    check_tile(0, 0, 0)
    check_tile(12, 2064, 1495)
    check_tile(MAX_ZOOM, (1 << MAX_ZOOM) - 1, 0)


@pytest.mark.parametrize("res", range(6, 12))
def test_reach_holds_every_cell_that_meets_the_bounds(res: int) -> None:
    """Any cell touching the bounds lies wholly inside the grown bounds (so its facts do)."""
    bounds = tile_bounds(12, 2064, 1495)
    grown = shapely.box(*reach(bounds, res))
    # The cells of the bounds' corners and edges' midpoints: those that stick out most.
    west, south, east, north = bounds
    points = [(west, south), (west, north), (east, south), (east, north)]
    points += [((west + east) / 2, south), ((west + east) / 2, north)]
    points += [(west, (south + north) / 2), (east, (south + north) / 2)]
    for lon, lat in points:
        for cell in h3.grid_disk(h3.latlng_to_cell(lat, lon, res), 1):
            outline = shapely.Polygon([(b, a) for a, b in h3.cell_to_boundary(cell)])
            if outline.intersects(shapely.box(*bounds)):
                assert grown.contains(outline), (res, cell)


def test_reach_widens_longitude_more_than_latitude_in_france() -> None:
    west, south, east, north = reach((1.0, 43.0, 2.0, 44.0), 9)
    dlat = north - 44.0
    assert dlat > 0 and 43.0 - south == pytest.approx(dlat)
    assert east - 2.0 == pytest.approx(1.0 - west)
    assert (east - 2.0) / dlat == pytest.approx(1 / math.cos(math.radians(north)))
