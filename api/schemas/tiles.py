"""The TileJSON of the hexagon layer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import AnswerContext


class VectorLayer(BaseModel):
    """Une couche des tuiles vectorielles."""

    id: str = Field(description="Nom de la couche dans les tuiles")
    fields: dict[str, str] = Field(description="Ses propriétés : nom → description")


class TileJSONFields(BaseModel):
    """Les champs propres au TileJSON (avant ceux de toute réponse agrégée)."""

    tilejson: str = Field(description="Version de TileJSON : 3.0.0")
    name: str = Field(description="Nom de la couche")
    tiles: list[str] = Field(description="Adresse des tuiles, filtres compris ({z}/{x}/{y})")
    minzoom: int = Field(description="Zoom minimal")
    maxzoom: int = Field(description="Zoom maximal")
    vector_layers: list[VectorLayer] = Field(description="Les couches des tuiles")
    resolution: int = Field(description="Résolution H3 du résumé des comptes")
    resolution_by_zoom: dict[str, int] = Field(description="Résolution des tuiles à chaque zoom")
    cells: int = Field(description="Nombre d'hexagones non vides à la résolution")
    suppressed: int = Field(description="Nombre de comptes masqués")
    total: int | None = Field(description="Nombre de faits du filtre ; null quand il est masqué")
    histogram: list[list[int]] = Field(
        description="Comptes visibles et leur nombre d'hexagones : [compte, hexagones]"
    )
    geojson_max_cells: int = Field(description="Au-delà de ce nombre d'hexagones : les tuiles")
    geojson_min_zoom: int = Field(description="En deçà de ce zoom : les tuiles")


# pydantic lists the fields of the last base first: the TileJSON's own, then the context's,
# the order in which the answer has always been written.
class TileJSON(AnswerContext, TileJSONFields):
    """Le TileJSON de la couche d'hexagones, avec le résumé des comptes à la résolution."""
