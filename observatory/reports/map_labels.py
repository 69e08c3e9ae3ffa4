"""Names on the pack's maps: the commune, its QPV, and its streets when the map is close enough.

The streets are those the geocoder's load drew from the BAN (observatory/places/); a street name
is written along its line, at its middle, never upside down, and left out where it would cover
another name or be longer than its street.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from pyproj import Transformer
from sqlalchemy import Connection, text

# Street names only on a map at most this wide (metres): a village, a neighbourhood.
STREET_NAMES_MAX_WIDTH_M = 4500.0
MAX_STREETS = 400
STREET_FONT = 5.0
_HALO = [patheffects.withStroke(linewidth=1.8, foreground="white")]
_TO_LAMBERT93 = Transformer.from_crs(4326, 2154, always_xy=True)

STREETS = text(
    """
    SELECT name, ST_AsBinary(geom) FROM street
    WHERE commune_code = :code
    ORDER BY points DESC, id
    LIMIT :limit
    """
)


def commune_streets(conn: Connection, code: str, outline: Any) -> list[tuple[str, Any]]:
    """The commune's drawn streets (name, line in WGS84) when its map is close enough."""
    (x0, x1), _ = _TO_LAMBERT93.transform(
        [outline.bounds[0], outline.bounds[2]], [outline.bounds[1], outline.bounds[1]]
    )
    if abs(x1 - x0) > STREET_NAMES_MAX_WIDTH_M:
        return []
    rows = conn.execute(STREETS, {"code": code, "limit": MAX_STREETS}).all()
    return [(name, shapely.from_wkb(bytes(wkb))) for name, wkb in rows]


def _readable(dx: float, dy: float) -> float:
    angle = math.degrees(math.atan2(dy, dx))
    if angle > 90:
        angle -= 180
    if angle <= -90:
        angle += 180
    return angle


def _middle(line: np.ndarray) -> tuple[float, float, float, float]:
    """x, y, angle (degrees, readable) at the middle of a projected line, and its length."""
    steps = np.hypot(*np.diff(line, axis=0).T)
    total = float(steps.sum())
    i = int(np.searchsorted(np.cumsum(steps), total / 2))
    i = min(i, len(steps) - 1)
    before = float(np.cumsum(steps)[i] - steps[i])
    t = (total / 2 - before) / steps[i] if steps[i] else 0.0
    a, b = line[i], line[i + 1]
    x, y = a + (b - a) * t
    return float(x), float(y), _readable(b[0] - a[0], b[1] - a[1]), total


def place_labels(
    ax: Axes,
    commune: Any,
    qpvs: list[Any],
    streets: list[tuple[str, Any]],
    project: Any,
) -> None:
    """Write the commune's and the QPV's names, and the streets' when the map is close."""
    x0, x1 = ax.get_xlim()
    width = x1 - x0
    if streets and width <= STREET_NAMES_MAX_WIDTH_M * 1.2:
        _street_names(ax, streets, project, width)
    for area, size, colour in [(q, 6.5, "#4a2370") for q in qpvs] + [(commune, 9.0, "#222222")]:
        point = shapely.transform(area.geometry.representative_point(), project)
        ax.text(
            point.x,
            point.y,
            area.name,
            ha="center",
            va="center",
            fontsize=size,
            fontweight="bold",
            color=colour,
            zorder=12,
            path_effects=_HALO,
            clip_on=True,
        )


def _street_names(ax: Axes, streets: list[tuple[str, Any]], project: Any, width: float) -> None:
    # Metres per point of text at this map's scale: the axes' width in points over the map's.
    fig_width_pt = ax.get_figure().get_figwidth() * 72 * ax.get_position().width  # type: ignore[union-attr]
    metres_per_pt = width / fig_width_pt
    lines = [
        [np.asarray(p.coords) for p in shapely.get_parts(shapely.transform(g, project))]
        for _, g in streets
    ]
    ax.add_collection(
        LineCollection(
            [p for parts in lines for p in parts if len(p) >= 2],
            colors="#9a9a9a",
            linewidths=0.4,
            zorder=5,
        )
    )
    placed: list[tuple[float, float, float, float]] = []
    for (name, _), parts in zip(streets, lines, strict=True):
        parts = [p for p in parts if len(p) >= 2]
        if not parts:
            continue
        x, y, angle, length = max((_middle(p) for p in parts), key=lambda m: m[3])
        text_length = len(name) * STREET_FONT * 0.5 * metres_per_pt
        if length < text_length:
            continue
        height = STREET_FONT * metres_per_pt
        r = math.radians(angle)
        half_w = (abs(math.cos(r)) * text_length + abs(math.sin(r)) * height) / 2
        half_h = (abs(math.sin(r)) * text_length + abs(math.cos(r)) * height) / 2
        box = (x - half_w, x + half_w, y - half_h, y + half_h)
        if any(b[0] < box[1] and box[0] < b[1] and b[2] < box[3] and box[2] < b[3] for b in placed):
            continue
        placed.append(box)
        ax.text(
            x,
            y,
            name,
            rotation=angle,
            rotation_mode="anchor",
            ha="center",
            va="center",
            fontsize=STREET_FONT,
            fontstyle="italic",
            color="#333333",
            zorder=11,
            path_effects=_HALO,
            clip_on=True,
        )
