"""Static maps of the PDF pack, drawn on the server in Lambert-93 (EPSG:2154).

No base map (nothing is fetched): the commune's outline, the hexagons or the hot-spot classes,
the QPV outlines, a legend, a scale bar in metres (Lambert-93 is conformal, its scale error
over a town is far below the bar's rounding), a north arrow turned by the meridian convergence
at the map's centre (grid north and true north differ by about a degree in Toulouse), and the
attribution of the data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import h3
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle
from pyproj import Transformer

from observatory.reports.drawing import DPI, png_bytes
from observatory.reports.map_labels import place_labels
from observatory.reports.model import Area, PackFigures
from observatory.reports.style import (
    CLASS_METHOD,
    COMMUNE_COLOUR,
    GI_CLASSES,
    GI_COLOUR,
    HIDDEN_COLOUR,
    NBSP,
    QPV_COLOUR,
    colour_of,
    count_classes,
    hidden_text,
)

TO_LAMBERT93 = Transformer.from_crs(4326, 2154, always_xy=True)
SCALE_LENGTHS = (100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 25_000, 50_000)
SIZE = (7.0, 7.4)  # inches: the width of an A4 page within its margins


def attribution(figures: PackFigures, projection: str | None = "Lambert-93") -> str:
    """Where the drawn data come from; no base map is drawn."""
    parts = [
        "Contours : communes (IGN / INSEE), QPV (ANCT)",
        "grille H3",
        "faits : base de l'observatoire",
        "sans fond de carte",
    ]
    if projection:
        parts.append(f"projection {projection}")
    parts.append(f"produit le {figures.produced_at:%d/%m/%Y}")
    return " · ".join(parts)


def _project(xy: np.ndarray) -> np.ndarray:
    x, y = TO_LAMBERT93.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _rings(geometry: Any) -> list[np.ndarray]:
    """Every ring of a (multi)polygon, projected."""
    projected = shapely.transform(geometry, _project)
    rings: list[np.ndarray] = []
    for polygon in shapely.get_parts(projected):
        rings.append(np.asarray(polygon.exterior.coords))
        rings.extend(np.asarray(r.coords) for r in polygon.interiors)
    return rings


def cell_polygons(cells: np.ndarray) -> list[np.ndarray]:
    """The hexagons' outlines in Lambert-93, projected in one call."""
    outlines = [h3.api.basic_int.cell_to_boundary(int(c)) for c in cells.tolist()]
    if not outlines:
        return []
    sizes = [len(o) for o in outlines]
    latlng = np.asarray([p for o in outlines for p in o], dtype=np.float64)
    xy = _project(latlng[:, ::-1])
    return np.split(xy, np.cumsum(sizes)[:-1])


def _frame(figures: PackFigures) -> tuple[Figure, Axes]:
    fig = Figure(figsize=SIZE, dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.17, 0.98, 0.82))
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#999999")
    rings = _rings(figures.commune.drawn())
    ax.add_collection(PolyCollection(rings, facecolors="#f4f4f4", edgecolors="none", zorder=0))
    allxy = np.vstack(rings)
    (x0, y0), (x1, y1) = allxy.min(axis=0), allxy.max(axis=0)
    pad = 0.04 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    return fig, ax


def _outlines(ax: Axes, commune: Area, qpvs: Sequence[Area]) -> list[Any]:
    ax.add_collection(
        PolyCollection(
            _rings(commune.drawn()),
            facecolors="none",
            edgecolors=COMMUNE_COLOUR,
            linewidths=1.2,
            zorder=3,
        )
    )
    handles: list[Any] = [Line2D([], [], color=COMMUNE_COLOUR, lw=1.2, label="Limite communale")]
    rings = [r for q in qpvs for r in _rings(q.drawn())]
    if rings:
        ax.add_collection(
            PolyCollection(
                rings,
                facecolors="none",
                edgecolors=QPV_COLOUR,
                linewidths=1.0,
                linestyles="--",
                zorder=4,
            )
        )
        handles.append(Line2D([], [], color=QPV_COLOUR, lw=1.0, ls="--", label="QPV"))
    return handles


def _scale_bar(ax: Axes) -> None:
    """A bar of a round length, a fifth of the map's width at most, lower left."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width = x1 - x0
    length = max((s for s in SCALE_LENGTHS if s <= width / 5), default=SCALE_LENGTHS[0])
    left, bottom = x0 + 0.04 * width, y0 + 0.04 * (y1 - y0)
    height = 0.012 * (y1 - y0)
    ax.add_patch(
        Rectangle(
            (left - 0.015 * width, bottom - 0.6 * height),
            length + 0.03 * width,
            5.2 * height,
            facecolor="white",
            edgecolor="none",
            alpha=0.85,
            zorder=8,
        )
    )
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (left + i * length / 4, bottom),
                length / 4,
                height,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.6,
                zorder=9,
            )
        )
    kilometres = f"{length / 1000:g}".replace(".", ",")
    label = f"{kilometres}{NBSP}km" if length >= 1000 else f"{length}{NBSP}m"
    for x, text in ((left, "0"), (left + length, label)):
        ax.text(x, bottom + 1.6 * height, text, ha="center", va="bottom", fontsize=7, zorder=10)


def _north_arrow(ax: Axes, center: tuple[float, float]) -> None:
    """An arrow to true north: the direction of the meridian through the map's centre."""
    lon, lat = center
    (x0, x1), (y0, y1) = TO_LAMBERT93.transform([lon, lon], [lat, lat + 0.01])
    angle = math.atan2(x1 - x0, y1 - y0)  # from grid north, clockwise positive
    length = 0.07
    base = (0.93 - 0.5 * length * math.sin(angle), 0.86 - 0.5 * length * math.cos(angle))
    tip = (base[0] + length * math.sin(angle), base[1] + length * math.cos(angle))
    ax.add_patch(
        FancyArrowPatch(
            base,
            tip,
            transform=ax.transAxes,
            arrowstyle="simple,head_width=0.9,head_length=1.1,tail_width=0.35",
            mutation_scale=14,
            color="black",
            zorder=10,
        )
    )
    ax.text(
        tip[0] + 0.012 * math.sin(angle),
        tip[1] + 0.012 * math.cos(angle),
        "N",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=11,
        fontweight="bold",
        zorder=10,
    )


def _finish(fig: Figure, ax: Axes, figures: PackFigures, handles: list[Any], title: str) -> bytes:
    place_labels(ax, figures.commune, figures.qpvs, figures.streets, _project)
    _scale_bar(ax)
    centroid = figures.commune.geometry.centroid
    _north_arrow(ax, (centroid.x, centroid.y))
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.035),
        ncols=3,
        fontsize=7,
        frameon=False,
        title=title,
        title_fontsize=8,
    )
    fig.text(0.01, 0.008, attribution(figures), fontsize=5.5, color="#555555", ha="left")
    return png_bytes(fig)


def hexagon_map(figures: PackFigures) -> bytes:
    """PNG: the facts of the period per hexagon, natural-breaks classes, hidden cells in grey."""
    fig, ax = _frame(figures)
    layer = figures.hexagons
    classes = count_classes(layer.counts)
    polygons = cell_polygons(layer.cells)
    if polygons:
        ax.add_collection(
            PolyCollection(
                polygons,
                facecolors=[colour_of(classes, c) for c in layer.counts],
                edgecolors="white",
                linewidths=0.15,
                zorder=2,
            )
        )
    handles: list[Any] = [
        Patch(facecolor=c.colour, edgecolor="none", label=c.label()) for c in classes
    ]
    if any(c is None for c in layer.counts):
        handles.append(
            Patch(
                facecolor=HIDDEN_COLOUR,
                edgecolor="none",
                label=f"{hidden_text(figures.threshold)} faits (masqué)",
            )
        )
    handles += _outlines(ax, figures.commune, figures.qpvs)
    title = f"Faits par hexagone H3 (résolution {layer.resolution}), classes par {CLASS_METHOD}"
    return _finish(fig, ax, figures, handles, title)


def hotspot_map(figures: PackFigures) -> bytes:
    """PNG: Gi* classes of the commune's cells (FDR), as the hot-spot layer of the API."""
    fig, ax = _frame(figures)
    layer = figures.hotspots
    handles: list[Any] = []
    if layer is not None:
        ax.add_collection(
            PolyCollection(
                cell_polygons(layer.cells),
                facecolors=[GI_COLOUR[c] for c in layer.codes],
                edgecolors="#d9d9d9",
                linewidths=0.1,
                zorder=2,
            )
        )
        present = set(layer.codes)
        handles = [
            Patch(facecolor=colour, edgecolor="#999999", linewidth=0.3, label=label)
            for code, label, colour in GI_CLASSES
            if code in present
        ]
    handles += _outlines(ax, figures.commune, figures.qpvs)
    title = "Points chauds (Gi* de Getis–Ord, correction FDR)"
    return _finish(fig, ax, figures, handles, title)
