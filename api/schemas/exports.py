"""The GeoJSON files of the exports (the CSV and GeoPackage files hold the same fields)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import Number
from api.schemas.geojson import Feature, FeatureCollection, Point
from api.schemas.layers import HexagonLayer


class HexagonExport(HexagonLayer):
    """Les comptes de /layers/hexagons, en fichier."""

    name: str = Field(description="Nom de la couche dans QGIS : hexagones")


class ExportedIncidentProperties(BaseModel):
    """Un fait exporté."""

    id: int = Field(description="Identifiant du fait")
    occurred_start: str = Field(description="Début, heure locale ISO 8601 avec le décalage")
    occurred_end: str | None = Field(description="Fin, heure locale ISO 8601 ; null si aucune")
    category: str = Field(description="Code de la catégorie")
    category_label: str = Field(description="Libellé de la catégorie")
    commune: str | None = Field(description="Code INSEE de la commune")
    commune_name: str | None = Field(description="Nom de la commune")
    qpv_2015: str | None = Field(description="Code du QPV 2015 ; null : hors QPV")
    qpv_2024: str | None = Field(description="Code du QPV 2024 ; null : hors QPV")
    source: str = Field(description="Source des données (police municipale, …)")
    source_ref: str | None = Field(description="Référence du fait dans sa source")
    lon: Number = Field(description="Longitude (WGS84)")
    lat: Number = Field(description="Latitude (WGS84)")


class ExportedIncident(Feature[ExportedIncidentProperties, Point]):
    """Un fait exporté et son point."""

    id: int = Field(description="Identifiant du fait")


class IncidentExport(FeatureCollection[ExportedIncident]):
    """Les faits du filtre, en fichier."""

    name: str = Field(description="Nom de la couche dans QGIS : incidents")
