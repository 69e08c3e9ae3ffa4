"""Streets drawn through their address points: the BAN gives points, the map wants lines.

A street's points are split where they lie far apart (a street in two pieces stays two lines,
never one drawn across the town), each piece ordered along its principal axis, then smoothed:
the BAN puts odd numbers on one side and even on the other, and a line through both sides in
turn would zigzag.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiLineString

from observatory.geocoder.ban import CommuneAddresses

# Two address points of one street farther apart than this are not joined by a line.
MAX_GAP_M = 150.0
# Points averaged on each side of a point along the street (odd and even sides meet).
SMOOTH_HALF_WINDOW = 2
# Lines are simplified to this (metres): a town's streets stay a small answer.
SIMPLIFY_M = 3.0

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0

Point = tuple[float, float]


@dataclass(frozen=True)
class StreetLines:
    """A street of one commune: its name, how many address points, its lines (lon, lat)."""

    name: str
    points: int
    lines: list[list[Point]]

    def wkt(self) -> str:
        return MultiLineString(self.lines).wkt


def street_lines(points: Sequence[Point], max_gap_m: float = MAX_GAP_M) -> list[list[Point]]:
    """The lines (lon, lat) through a street's points: one per group of nearby points."""
    unique = np.unique(np.asarray(points, dtype=float).reshape(-1, 2), axis=0)
    if len(unique) < 2:
        return []
    lat0 = float(unique[:, 1].mean())
    scale = np.array([_M_PER_DEG_LON * math.cos(math.radians(lat0)), _M_PER_DEG_LAT])
    xy = (unique - unique.mean(axis=0)) * scale
    lines = []
    for group in _groups(xy, max_gap_m):
        for piece in _ordered_pieces(xy[group], max_gap_m):
            if len(piece) < 2:
                continue
            smooth = _smoothed(piece)
            metres = LineString(smooth).simplify(SIMPLIFY_M)
            coords = np.asarray(metres.coords) / scale + unique.mean(axis=0)
            lines.append([(round(float(x), 6), round(float(y), 6)) for x, y in coords])
    return lines


def _groups(xy: np.ndarray, max_gap_m: float) -> list[np.ndarray]:
    """Indices of the points joined by chains of steps no longer than max_gap_m."""
    pairs = cKDTree(xy).query_pairs(max_gap_m, output_type="ndarray")
    n = len(xy)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    count, labels = connected_components(graph, directed=False)
    return [np.flatnonzero(labels == k) for k in range(count)]


def _ordered_pieces(xy: np.ndarray, max_gap_m: float) -> list[np.ndarray]:
    """The points ordered along their principal axis, cut where a step is too long."""
    if len(xy) < 2:
        return [xy]
    centred = xy - xy.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    ordered = xy[np.argsort(centred @ axes[0], kind="stable")]
    steps = np.hypot(*np.diff(ordered, axis=0).T)
    cuts = np.flatnonzero(steps > max_gap_m) + 1
    return np.split(ordered, cuts)


def _smoothed(piece: np.ndarray) -> np.ndarray:
    """Each point replaced by the mean of its neighbours along the street (ends kept short)."""
    if len(piece) <= 2:
        return piece
    k = SMOOTH_HALF_WINDOW
    sums = np.vstack([np.zeros((1, 2)), np.cumsum(piece, axis=0)])
    low = np.clip(np.arange(len(piece)) - k, 0, None)
    high = np.clip(np.arange(len(piece)) + k + 1, None, len(piece))
    return (sums[high] - sums[low]) / (high - low)[:, None]


def commune_streets(commune: CommuneAddresses, max_gap_m: float = MAX_GAP_M) -> list[StreetLines]:
    """The streets of one commune of a BAN file that have a line (two points or more)."""
    grouped: dict[str, tuple[Counter[str], list[Point]]] = {}
    for row in commune.rows:
        name = row["nom_voie"].strip()
        point = _point(row)
        if point is None or not name:
            continue
        key = row.get("id_fantoir", "").strip() or name.lower()
        names, points = grouped.setdefault(key, (Counter(), []))
        names[name] += 1
        points.append(point)
    streets = []
    for _, (names, points) in sorted(grouped.items()):
        lines = street_lines(points, max_gap_m)
        if lines:
            streets.append(StreetLines(names.most_common(1)[0][0], len(points), lines))
    return streets


def _point(row: dict[str, str]) -> Point | None:
    try:
        lon, lat = float(row["lon"]), float(row["lat"])
    except ValueError:
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or (lon == 0 and lat == 0):
        return None
    return lon, lat
