"""GeoJSON (RFC 7946) as the layers write it: the generic shapes each layer's model fills in."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from api.schemas.common import Number

GEOMETRY_TYPES = ("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon")


class Geometry(BaseModel):
    """Une géométrie GeoJSON en WGS84 (longitude, latitude)."""

    type: str = Field(
        description="Point, LineString, Polygon, MultiPoint, MultiLineString ou MultiPolygon",
        json_schema_extra={"enum": list(GEOMETRY_TYPES)},
    )
    coordinates: list[Any] = Field(
        description="Coordonnées [longitude, latitude], imbriquées selon le type (RFC 7946)"
    )


class CellOutline(BaseModel):
    """Le contour d'un hexagone H3 : un anneau fermé de 7 points, 6 décimales."""

    type: Literal["Polygon"] = Field(description="Toujours Polygon")
    coordinates: list[list[list[Number]]] = Field(
        description="Un anneau : les 6 sommets [longitude, latitude] puis le premier à nouveau"
    )


class Point(BaseModel):
    """Un point GeoJSON en WGS84."""

    type: Literal["Point"] = Field(description="Toujours Point")
    coordinates: list[Number] = Field(description="[longitude, latitude]")


P = TypeVar("P", bound=BaseModel)
G = TypeVar("G", bound=BaseModel)
F = TypeVar("F", bound=BaseModel)


class Feature(BaseModel, Generic[P, G]):
    """Un objet de la couche : ses propriétés et sa géométrie."""

    type: Literal["Feature"] = Field(description="Toujours Feature")
    properties: P = Field(description="Les propriétés de l'objet")
    geometry: G = Field(description="La géométrie de l'objet (WGS84)")


class FeatureCollection(BaseModel, Generic[F]):
    """Une couche GeoJSON : ses objets."""

    type: Literal["FeatureCollection"] = Field(description="Toujours FeatureCollection")
    features: list[F] = Field(description="Les objets de la couche")
