"""A zone drawn on the map or uploaded (GeoJSON polygon, WGS84): checked, and its filter.

Who is told what (observatory/privacy/policy.py): admin and police count the facts inside the
polygon; an analyst counts whole H3 cells of the finest resolution the analyst may read (by
their centre, as a bbox keeps whole resolution-9 cells), so a zone's answer is a sum of cell
counts the analyst already reads — a thin sliver or the difference of two zones places no fact
more finely than a cell. A partner is refused: a free polygon over the noisy release would let
many answers be differenced down to one fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import shapely
from pyproj import Geod

from observatory.actions.places import geometry_of
from observatory.analytics.engine import Series
from observatory.analytics.filters import Filter
from observatory.analytics.studyarea import study_area_cells
from observatory.errors import InvalidInput, NotAllowed
from observatory.privacy.policy import ANALYST_MIN_AREA_M2, Disclosure

MAX_VERTICES = 2_000
MAX_AREA_M2 = 1_000e6  # 1 000 km², a large French town and its neighbours
MAX_PARTS = 50
GEOD = Geod(ellps="WGS84")
PARTNER_REFUSAL = (
    "Les chiffres d'une zone dessinée ne sont pas diffusés aux partenaires : des zones libres, "
    "comparées deux à deux, isoleraient un fait de la diffusion bruitée. Lisez les communes, les "
    "QPV et les hexagones publiés."
)


@dataclass(frozen=True)
class Zone:
    """A checked polygon, its area on the ellipsoid (m²) and its number of vertices."""

    polygon: shapely.Geometry
    area_m2: float
    vertices: int


def area_m2(polygon: shapely.Geometry) -> float:
    """The area on the WGS84 ellipsoid, in square metres."""
    area, _ = GEOD.geometry_area_perimeter(shapely.orient_polygons(polygon))
    return abs(float(area))


def check_zone(document: Any) -> Zone:
    """The polygon of a GeoJSON geometry, Feature or FeatureCollection, bounded and valid."""
    polygon = geometry_of(document, "polygon", "zone")
    parts = shapely.get_num_geometries(polygon)
    if parts > MAX_PARTS:
        raise InvalidInput(f"« zone » : {parts} polygones ; {MAX_PARTS} au plus.")
    vertices = int(shapely.get_num_coordinates(polygon))
    if vertices > MAX_VERTICES:
        raise InvalidInput(
            f"« zone » : {vertices} sommets ; {MAX_VERTICES} au plus (simplifiez le tracé)."
        )
    area = area_m2(polygon)
    if area > MAX_AREA_M2:
        raise InvalidInput(
            f"« zone » : {area / 1e6:.0f} km² ; {MAX_AREA_M2 / 1e6:.0f} km² au plus. Pour une "
            "commune entière, utilisez le filtre de commune."
        )
    return Zone(shapely.normalize(polygon), area, vertices)


def zone_filter(
    disclosure: Disclosure, f: Filter, zone: Zone, family_of: Mapping[str, str]
) -> tuple[Filter, dict[str, Any]]:
    """The filter narrowed to the zone as the caller may be answered, and what was done."""
    if disclosure.kind == "partner":
        raise NotAllowed(PARTNER_REFUSAL)
    if disclosure.kind != "analyst":
        return f.but(area=zone.polygon, area_cells=None), {"cells": None, "resolution": None}
    if zone.area_m2 < ANALYST_MIN_AREA_M2:
        raise InvalidInput(
            f"Zone trop petite pour un analyste ({zone.area_m2:,.0f} m² ; "
            f"{ANALYST_MIN_AREA_M2:,.0f} m² au moins, la surface d'un hexagone de résolution 10) : "
            "les faits ne se lisent pas un par un.".replace(",", "\u202f")
        )
    resolution = disclosure.max_resolution(f)
    cells = study_area_cells(zone.polygon, resolution)
    if cells.size == 0:
        raise InvalidInput(
            f"La zone ne contient le centre d'aucun hexagone de résolution {resolution} : pour un "
            "analyste, une zone compte des hexagones entiers. Agrandissez-la."
        )
    # Through the table filter, the sensitive categories are left out as for a bbox.
    query = disclosure.map_query(f, resolution, family_of)
    narrowed = query.filter
    notes: dict[str, Any] = {
        **query.notes,
        "cells": int(cells.size),
        "resolution": resolution,
        "note": (
            f"Zone comptée en hexagones entiers de résolution {resolution} (par leur centre) : "
            f"{cells.size} hexagone{'s' if cells.size > 1 else ''}."
            # The period counted, when resolution 10 keeps to the data's whole weeks.
            + (f" {query.notes['period_widened']}" if "period_widened" in query.notes else "")
        ),
    }
    return narrowed.but(area=zone.polygon, area_cells=resolution), notes


def by_whole_weeks(disclosure: Disclosure, resolution: int | None) -> bool:
    """Whether the zone's time detail must keep to whole weeks: an analyst's resolution-10 cells
    are read over whole weeks only (policy.py), so neither a month cut in a week nor the day ×
    hour of such a zone may be told (one week's matrix is each fact's day and hour)."""
    return disclosure.kind == "analyst" and resolution is not None and resolution >= 10


def months_of_weeks(weeks: Series) -> list[dict[str, Any]]:
    """Weekly counts gathered by the month of each week's Monday: every figure whole weeks."""
    months: dict[date, dict[str, Any]] = {}
    for start, complete, count in zip(
        weeks.starts, weeks.complete, weeks.counts[:, 0].tolist(), strict=True
    ):
        month = months.setdefault(
            start.replace(day=1), {"start": start.replace(day=1), "count": 0, "complete": True}
        )
        month["count"] += int(count)
        month["complete"] = month["complete"] and complete
    return list(months.values())


WEEKS_NOTE = (
    " Les mois comptent les semaines entières qui y commencent (lundi) ; pas de tableau jour × "
    "heure à cette résolution : il donnerait le jour et l'heure de chaque fait."
)
