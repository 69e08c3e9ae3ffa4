"""Mapbox vector tiles of the hexagon counts: tile maths, the zoom → resolution rule, encoding.

Tiles are numbered as Leaflet and PostGIS's ST_TileEnvelope number them (XYZ, Web Mercator,
y from the north). A tile of zoom z shows the cells at ``resolution_for_zoom(z)`` =
clamp(z − 3, 6, 11), the finest resolution whose hexagons are still about ten pixels wide or
more on a 256-pixel tile (z ≤ 9 → 6, 10 → 7, 11 → 8, 12 → 9, 13 → 10, z ≥ 14 → 11); a caller
may ask for a coarser resolution, never a finer one.

A tile holds every non-empty cell of the filter whose outline intersects the tile grown by
BUFFER / EXTENT of its width on each side, with the cell's full count. (At zoom 0 a res-6
cell is smaller than a unit of the 4096 grid and PostGIS may drop it; the map starts at 4.)

Encoding: PostGIS (ST_AsMVTGeom, ST_AsMVT) fed with arrays of (h3, count, suppressed, WKB
outline) — the counts come from the in-memory engine, the outlines from h3ronpy (vectorised);
Python only lists the tile's own cells as bind parameters. On ~2,000 res-10 cells PostGIS
encodes, clips and quantises in ~30 ms round trip included, where the pure-Python
`mapbox-vector-tile` package takes ~240 ms without clipping; it only decodes tiles in the tests.
"""

from __future__ import annotations

import math

import h3
import numpy as np
import pyarrow as pa
from h3ronpy.vector import cells_to_wkb_polygons
from sqlalchemy import text
from sqlalchemy.orm import Session

from observatory.analytics.engine import hexagon_counts
from observatory.analytics.filters import Filter
from observatory.errors import InvalidInput
from observatory.store.snapshot import Snapshot

MAX_ZOOM = 22
EXTENT = 4096
BUFFER = 64
# Outlines are clipped further out than the buffer that selects them: a cell that only grazes
# the buffer keeps more than a sliver, which the tile grid would round away.
CLIP = 256
LAYER = "hexagons"
MIN_RESOLUTION = 6
MAX_RESOLUTION = 11
# Web Mercator stops short of the poles.
MAX_LATITUDE = math.degrees(math.atan(math.sinh(math.pi)))
# Degrees of latitude per metre, rounded so that distances come out a little long.
DEGREES_PER_METRE = 1 / 110_000
# Longest distance across a cell, in metres, with room to spare: four average edges (a regular
# hexagon spans two; H3 cells vary in area by about 2 over the globe).
CELL_REACH_M = {
    r: 4 * h3.average_hexagon_edge_length(r, "m") for r in range(MIN_RESOLUTION, MAX_RESOLUTION + 1)
}


def check_tile(z: int, x: int, y: int) -> None:
    """Refuse a tile address outside the Web Mercator pyramid (a French message)."""
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInput(f"Tuile {z}/{x}/{y} : le zoom « z » va de 0 à {MAX_ZOOM}, reçu {z}.")
    last = (1 << z) - 1
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value <= last:
            raise InvalidInput(
                f"Tuile {z}/{x}/{y} : au zoom {z}, « {name} » va de 0 à {last}, reçu {value}."
            )


def resolution_for_zoom(z: int) -> int:
    """The H3 resolution a tile of zoom z shows: clamp(z − 3, 6, 11)."""
    return max(MIN_RESOLUTION, min(MAX_RESOLUTION, z - 3))


def tile_resolution(z: int, asked: int | None = None) -> int:
    """The resolution of a tile: the zoom's, or a coarser one if asked (never a finer one)."""
    rule = resolution_for_zoom(z)
    return rule if asked is None else min(asked, rule)


def _lon(x: float, z: int) -> float:
    return x / (1 << z) * 360.0 - 180.0


def _lat(y: float, z: int) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * y / (1 << z)))))


def tile_bounds(z: int, x: int, y: int, buffer: float = 0.0) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a tile in WGS84, grown by ``buffer`` tile widths a side.

    A grown tile stops at the edges of the Mercator world (±180°, ±85.05°).
    """
    size = 1 << z
    west = _lon(max(0.0, x - buffer), z)
    east = _lon(min(float(size), x + 1 + buffer), z)
    north = _lat(max(0.0, y - buffer), z)
    south = _lat(min(float(size), y + 1 + buffer), z)
    return west, south, east, north


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """(x, y) of the tile of zoom z holding a WGS84 point."""
    size = 1 << z
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    x = math.floor((lon + 180.0) / 360.0 * size)
    rad = math.radians(lat)
    y = math.floor((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * size)
    return min(max(x, 0), size - 1), min(max(y, 0), size - 1)


def reach(
    bounds: tuple[float, float, float, float], resolution: int
) -> tuple[float, float, float, float]:
    """The bounds grown by the width of a cell: every fact of a cell that meets them is inside."""
    west, south, east, north = bounds
    dlat = CELL_REACH_M[resolution] * DEGREES_PER_METRE
    widest = min(89.0, max(abs(south), abs(north)) + dlat)
    dlon = dlat / math.cos(math.radians(widest))
    return (
        max(-180.0, west - dlon),
        max(-90.0, south - dlat),
        min(180.0, east + dlon),
        min(90.0, north + dlat),
    )


def _overlap(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> tuple[float, float, float, float] | None:
    west, south = max(a[0], b[0]), max(a[1], b[1])
    east, north = min(a[2], b[2]), min(a[3], b[3])
    return (west, south, east, north) if west <= east and south <= north else None


def candidate_counts(
    snapshot: Snapshot, f: Filter, z: int, x: int, y: int, resolution: int
) -> tuple[np.ndarray, np.ndarray]:
    """(cells, full counts) of the filter around a tile: a superset of the cells it shows.

    Only the facts within a cell's width of the grown tile are counted: a cell meeting the tile
    has all of its facts there, so its count is the whole-area count.
    """
    near = reach(tile_bounds(z, x, y, BUFFER / EXTENT), resolution)
    box = near if f.bbox is None else _overlap(near, f.bbox)
    if box is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return hexagon_counts(snapshot, f.but(bbox=box), resolution)


MVT_SQL = text(
    """
    SELECT ST_AsMVT(tile, :layer, :extent, 'geom')
    FROM (
        SELECT c.h3, c.count, c.suppressed,
               ST_AsMVTGeom(ST_Transform(c.outline, 3857), ST_TileEnvelope(:z, :x, :y),
                            :extent, :clip, true) AS geom
        FROM (
            SELECT h3, count, suppressed, ST_GeomFromWKB(wkb, 4326) AS outline
            FROM unnest(CAST(:h3 AS text[]), CAST(:counts AS int8[]),
                        CAST(:suppressed AS boolean[]), CAST(:wkb AS bytea[]))
                 AS u(h3, count, suppressed, wkb)
        ) AS c
        WHERE ST_Intersects(c.outline, ST_MakeEnvelope(:west, :south, :east, :north, 4326))
    ) AS tile
    WHERE tile.geom IS NOT NULL
    """
)


def encode_tile(
    session: Session,
    z: int,
    x: int,
    y: int,
    cells: np.ndarray,
    counts: np.ndarray,
    hidden: np.ndarray,
) -> bytes:
    """The MVT of the cells meeting the grown tile; hidden counts are left out (suppressed).

    Empty bytes when no cell meets the tile.
    """
    if cells.size == 0:
        return b""
    outlines = pa.array(cells_to_wkb_polygons(np.asarray(cells, dtype=np.int64).view(np.uint64)))
    west, south, east, north = tile_bounds(z, x, y, BUFFER / EXTENT)
    shown = [None if h else int(c) for c, h in zip(counts.tolist(), hidden.tolist(), strict=True)]
    body = session.execute(
        MVT_SQL,
        {
            "layer": LAYER,
            "extent": EXTENT,
            "clip": CLIP,
            "z": z,
            "x": x,
            "y": y,
            "west": west,
            "south": south,
            "east": east,
            "north": north,
            "h3": [format(int(c), "x") for c in np.asarray(cells, dtype=np.int64).view(np.uint64)],
            "counts": shown,
            "suppressed": [bool(h) for h in hidden.tolist()],
            "wkb": outlines.to_pylist(),
        },
    ).scalar_one()
    return bytes(body) if body else b""
