"""The H3 grid: vectorised indexing of points and parents through the H3 bit layout.

An H3 cell index is 64 bits: the resolution sits in bits 52–55, then 15 three-bit digits, one
per resolution, from bit 42 down; digits below the cell's resolution are 7. The parent at
resolution r therefore sets the resolution field to r and every digit below r to 7 — a few
integer operations that numpy vectorises and PostgreSQL evaluates on bigint without an H3
extension.
"""

from __future__ import annotations

from functools import lru_cache

import h3
import numpy as np
from h3ronpy.vector import coordinates_to_cells
from sqlalchemy import BigInteger, ColumnElement, literal

RES_SHIFT = 52
RES_MASK = np.uint64(0xF) << np.uint64(RES_SHIFT)
MAX_RES = 15


def cells_from_lonlat(lon: np.ndarray, lat: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cells (int64) of WGS84 points, vectorised."""
    lat = np.ascontiguousarray(lat, dtype=np.float64)
    lon = np.ascontiguousarray(lon, dtype=np.float64)
    if lat.size == 0:
        return np.empty(0, dtype=np.int64)
    cells = np.asarray(coordinates_to_cells(lat, lon, resolution).to_numpy(), dtype=np.uint64)
    return cells.view(np.int64)


def _digit_fill_mask(resolution: int) -> np.uint64:
    """Bits of every digit below resolution, all set (digit 7)."""
    bits = 3 * (MAX_RES - resolution)
    return np.uint64((1 << bits) - 1)


def parent_cells(cells: np.ndarray, resolution: int) -> np.ndarray:
    """Parents (int64) at a coarser resolution, by the bit layout."""
    if not 0 <= resolution <= MAX_RES:
        raise ValueError(f"résolution H3 hors de 0..15 : {resolution}")
    raw = np.asarray(cells, dtype=np.int64).view(np.uint64)
    out = (raw & ~RES_MASK) | (np.uint64(resolution) << np.uint64(RES_SHIFT))
    return (out | _digit_fill_mask(resolution)).view(np.int64)


def parent_expression(column: ColumnElement[int], resolution: int) -> ColumnElement[int]:
    """The parent of an int8 H3 column at a resolution, as a SQL expression (bit operations)."""
    if not 0 <= resolution <= MAX_RES:
        raise ValueError(f"résolution H3 hors de 0..15 : {resolution}")
    fill = (1 << (3 * (MAX_RES - resolution))) - 1
    clear = ~(0xF << RES_SHIFT) & 0xFFFFFFFFFFFFFFFF
    clear_signed = clear - (1 << 64) if clear >= 1 << 63 else clear
    return (
        column.bitwise_and(literal(clear_signed, BigInteger))
        .bitwise_or(literal(resolution << RES_SHIFT, BigInteger))
        .bitwise_or(literal(fill, BigInteger))
    )


def to_hex(cells: np.ndarray) -> list[str]:
    """Hexadecimal string ids, the form the API gives."""
    return [format(int(c), "x") for c in np.asarray(cells, dtype=np.int64).view(np.uint64)]


@lru_cache(maxsize=300_000)
def cell_geojson(cell: int) -> str:
    """The cell's outline as a GeoJSON Polygon text: lon/lat, closed ring, 6 decimals.

    Cached: a map asks for the same cells again and again, and the outline never changes.
    """
    ring = [(lng, lat) for lat, lng in h3.api.basic_int.cell_to_boundary(int(cell))]
    ring.append(ring[0])
    points = ",".join(f"[{lng:.6f},{lat:.6f}]" for lng, lat in ring)
    return f'{{"type":"Polygon","coordinates":[[{points}]]}}'
