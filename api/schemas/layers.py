"""The map layers: hexagon counts, QPV and commune outlines, individual incidents."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import AnswerContext, CellCount, FilterEcho
from api.schemas.geojson import CellOutline, Feature, FeatureCollection, Geometry, Point

# -- hexagons ----------------------------------------------------------------------------------


class HexagonProperties(CellCount):
    """Un hexagone et son nombre de faits."""


class HexagonFeature(Feature[HexagonProperties, CellOutline]):
    """Un hexagone H3 non vide du filtre."""


class HexagonMetadata(AnswerContext):
    """Ce que la couche d'hexagones a compté."""

    resolution: int = Field(description="Résolution H3 des hexagones (6 à 11)")
    total: int | None = Field(description="Nombre de faits du filtre ; null quand il est masqué")


class HexagonLayer(FeatureCollection[HexagonFeature]):
    """Les hexagones non vides du filtre et leurs comptes."""

    metadata: HexagonMetadata = Field(description="Résolution, total, filtre, secret statistique")


# -- outlines ----------------------------------------------------------------------------------


class QpvProperties(BaseModel):
    """Un quartier prioritaire de la politique de la ville."""

    code: str = Field(description="Code du QPV")
    name: str = Field(description="Nom du QPV")
    generation: int = Field(description="Géographie prioritaire : 2015 ou 2024")
    communes: list[str] = Field(description="Codes INSEE des communes qu'il touche")
    population: int | None = Field(description="Population (INSEE) ; null si inconnue")


class QpvFeature(Feature[QpvProperties, Geometry]):
    """Le contour d'un QPV."""


class QpvLayer(FeatureCollection[QpvFeature]):
    """Les contours des QPV d'une géographie, par code."""


class CommuneProperties(BaseModel):
    """Une commune importée."""

    code: str = Field(description="Code INSEE")
    name: str = Field(description="Nom de la commune")
    population: int | None = Field(description="Population légale ; null si inconnue")


class CommuneFeature(Feature[CommuneProperties, Geometry]):
    """Le contour d'une commune."""


class CommuneLayer(FeatureCollection[CommuneFeature]):
    """Les contours des communes importées, par code INSEE."""


# -- incidents ---------------------------------------------------------------------------------


class IncidentProperties(BaseModel):
    """Un fait, tel que la police et l'administrateur le lisent."""

    id: int = Field(description="Identifiant du fait")
    occurred_at: str = Field(description="Début, heure locale ISO 8601 avec le décalage")
    occurred_until: str | None = Field(description="Fin, heure locale ISO 8601 ; null si aucune")
    category: str = Field(description="Code de la catégorie")
    category_label: str = Field(description="Libellé de la catégorie")
    address: str | None = Field(description="Adresse telle qu'importée")
    commune: str | None = Field(description="Code INSEE de la commune")
    commune_name: str | None = Field(description="Nom de la commune")
    qpv_2015: str | None = Field(description="Code du QPV 2015 où il a eu lieu ; null : hors QPV")
    qpv_2024: str | None = Field(description="Code du QPV 2024 où il a eu lieu ; null : hors QPV")
    geocode_score: float | None = Field(
        default=None,
        description="Score du géocodeur (0 à 1) ; null : coordonnées du fichier",
    )
    geocode_label: str | None = Field(
        default=None, description="Adresse trouvée par le géocodeur ; null : coordonnées du fichier"
    )
    geocode_type: str | None = Field(
        default=None,
        description="Précision du géocodage : housenumber (le numéro), street (la rue), "
        "locality (le lieu-dit) ; null : coordonnées du fichier",
        json_schema_extra={"enum": ["housenumber", "street", "locality", None]},
    )


class IncidentFeature(Feature[IncidentProperties, Point]):
    """Un fait et son point."""

    id: int = Field(description="Identifiant du fait")


class IncidentMetadata(BaseModel):
    """La page et le filtre."""

    total: int = Field(description="Nombre de faits du filtre (toutes pages)")
    returned: int = Field(description="Nombre de faits de cette page")
    limit: int = Field(description="Taille de page demandée")
    offset: int = Field(description="Décalage demandé")
    after: int | None = Field(description="Identifiant après lequel la page commence")
    next_after: int | None = Field(
        description="« after » de la page suivante ; null à la dernière page"
    )
    filter: FilterEcho = Field(description="Le filtre tel qu'il a été compris")
    timezone: str = Field(description="Fuseau des heures locales")


class IncidentLayer(FeatureCollection[IncidentFeature]):
    """Une page de faits, dans l'ordre des identifiants."""

    metadata: IncidentMetadata = Field(description="La page, le total et le filtre")
