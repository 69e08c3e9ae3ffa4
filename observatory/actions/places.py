"""The place of an action: a point with a radius, a line with a buffer, or a polygon.

Input is GeoJSON in WGS84 (a geometry, a Feature or a FeatureCollection, as a drawing tool or
a GIS exports it); it is checked here, in Python, so that a mistake gets a French sentence
rather than a PostGIS error. PostGIS then turns it into the treated area: ST_Buffer on the
geography (metres on the ellipsoid) for a point or a line, ST_MakeValid for a polygon.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape

from observatory.errors import InvalidInput

PLACE_KINDS = ("point", "line", "polygon")
RADIUS_RANGE = (5.0, 5000.0)  # a camera's field … a whole neighbourhood
LINE_BUFFER_RANGE = (1.0, 1000.0)
LINES = ("LineString", "MultiLineString")
POLYGONS = ("Polygon", "MultiPolygon")
FAMILY_WORDS = {"line": "une ligne (LineString)", "polygon": "un polygone (Polygon)"}


@dataclass(frozen=True)
class Place:
    """A checked place: its kind, the geometry as given (GeoJSON text) and the width in m."""

    kind: str
    geojson: str
    buffer_m: float | None


def _number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"« {name} » doit être un nombre (reçu « {value} »).") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InvalidInput(f"« {name} » doit être un nombre fini (reçu « {value} »).")
    return number


def _width(value: Any, name: str, bounds: tuple[float, float]) -> float:
    width = _number(value, name)
    low, high = bounds
    if not low <= width <= high:
        raise InvalidInput(f"« {name} » va de {low:g} à {high:g} mètres (reçu {width:g}).")
    return width


def point_place(lon: Any, lat: Any, radius: Any) -> Place:
    """A point (WGS84 degrees) and a radius in metres."""
    x, y = _number(lon, "longitude"), _number(lat, "latitude")
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise InvalidInput(
            f"Point hors des coordonnées WGS84 : longitude {x:g}, latitude {y:g} (longitude de "
            "−180 à 180, latitude de −90 à 90 ; l'ordre est longitude puis latitude)."
        )
    width = _width(radius, "rayon", RADIUS_RANGE)
    return Place("point", json.dumps({"type": "Point", "coordinates": [x, y]}), width)


def parse_lonlat(text: str) -> tuple[float, float]:
    """« 1.4442,43.6045 » as (longitude, latitude)."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2:
        raise InvalidInput(
            f"Le point s'écrit LONGITUDE,LATITUDE en degrés, par exemple 1.4442,43.6045 "
            f"(reçu « {text} »)."
        )
    return _number(parts[0], "longitude"), _number(parts[1], "latitude")


def geometry_of(document: Any, family: str, name: str = "geometry") -> shapely.Geometry:
    """The line or polygon of a GeoJSON geometry, Feature or FeatureCollection (all merged)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"« {name} » n'est pas un GeoJSON lisible : {exc.msg}.") from None
    if not isinstance(document, dict) or "type" not in document:
        raise InvalidInput(f"« {name} » doit être un objet GeoJSON (géométrie ou Feature).")
    kind = document["type"]
    if kind == "FeatureCollection":
        features = document.get("features") or []
        if not features:
            raise InvalidInput(f"« {name} » : la FeatureCollection est vide.")
        parts = [geometry_of(f, family, name) for f in features]
        merged = (
            shapely.union_all(parts)
            if family == "polygon"
            else shapely.line_merge(shapely.union_all(parts))
        )
        return merged
    if kind == "Feature":
        return geometry_of(document.get("geometry"), family, name)
    allowed = LINES if family == "line" else POLYGONS
    if kind not in allowed:
        raise InvalidInput(
            f"« {name} » doit être {FAMILY_WORDS[family]} ; reçu une géométrie « {kind} »."
        )
    try:
        geometry = shape(document)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, GEOSException) as exc:
        # GEOS refuses a ring whose NaN first vertex never equals its last.
        raise InvalidInput(f"« {name} » : coordonnées GeoJSON illisibles ({exc}).") from None
    _check(geometry, family, name)
    return geometry


def _check(geometry: shapely.Geometry, family: str, name: str) -> None:
    if shapely.is_empty(geometry):
        raise InvalidInput(f"« {name} » : la géométrie est vide.")
    west, south, east, north = shapely.bounds(geometry).tolist()
    # JSON as Python reads it takes NaN and Infinity, and the bounds skip a NaN vertex.
    finite = bool(np.isfinite(shapely.get_coordinates(geometry)).all())
    if not (finite and -180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise InvalidInput(
            f"« {name} » : coordonnées hors de WGS84 (longitude, latitude en degrés) ; un "
            "fichier en Lambert-93 doit être reprojeté en EPSG:4326 avant l'envoi."
        )
    if family == "polygon":
        if not shapely.is_valid(geometry):
            reason = shapely.is_valid_reason(geometry)
            raise InvalidInput(
                f"« {name} » : polygone invalide ({reason}) ; corrigez le tracé (un contour ne "
                "doit pas se recouper)."
            )
        if shapely.area(geometry) <= 0:
            raise InvalidInput(f"« {name} » : le polygone n'a pas de surface.")
    elif shapely.length(geometry) <= 0:
        raise InvalidInput(f"« {name} » : la ligne n'a pas de longueur.")


def line_place(document: Any, buffer: Any) -> Place:
    """A line (a street) widened by ``buffer`` metres on each side."""
    line = geometry_of(document, "line", "ligne")
    width = _width(buffer, "tampon", LINE_BUFFER_RANGE)
    return Place("line", shapely.to_geojson(line), width)


def polygon_place(document: Any, name: str = "polygone") -> Place:
    """A polygon drawn or uploaded, taken as it is."""
    polygon = geometry_of(document, "polygon", name)
    return Place("polygon", shapely.to_geojson(polygon), None)


def make_place(spec: dict[str, Any]) -> Place:
    """A place from the API's description: {"kind": "point", "lon", "lat", "radius"} …"""
    kind = spec.get("kind")
    if kind == "point":
        coordinates = spec.get("coordinates")
        if coordinates is not None:
            if not isinstance(coordinates, list | tuple) or len(coordinates) != 2:
                raise InvalidInput("« coordinates » attend [longitude, latitude].")
            lon, lat = coordinates
        else:
            lon, lat = spec.get("lon"), spec.get("lat")
        if lon is None or lat is None:
            raise InvalidInput("Un lieu « point » demande lon et lat (ou coordinates).")
        if spec.get("radius") is None:
            raise InvalidInput("Un lieu « point » demande un rayon en mètres (radius).")
        return point_place(lon, lat, spec.get("radius"))
    if kind == "line":
        if spec.get("geometry") is None:
            raise InvalidInput("Un lieu « line » demande une géométrie GeoJSON (geometry).")
        if spec.get("buffer") is None:
            raise InvalidInput("Un lieu « line » demande un tampon en mètres (buffer).")
        return line_place(spec.get("geometry"), spec.get("buffer"))
    if kind == "polygon":
        if spec.get("geometry") is None:
            raise InvalidInput("Un lieu « polygon » demande une géométrie GeoJSON (geometry).")
        return polygon_place(spec.get("geometry"))
    raise InvalidInput(f"« place.kind » vaut point, line ou polygon (reçu « {kind} »).")
