"""The daily questions: the list of a selection's incidents, and two periods compared by cell."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import FilterEcho
from api.schemas.geojson import CellOutline, Feature, FeatureCollection

# -- the list ----------------------------------------------------------------------------------


class IncidentRow(BaseModel):
    """Un fait de la liste, tel que la police le retrouve dans ses fichiers."""

    id: int = Field(description="Identifiant du fait dans l'observatoire")
    occurred_at: str = Field(description="Début, heure locale ISO 8601 avec le décalage")
    occurred_until: str | None = Field(description="Fin, heure locale ISO 8601 ; null si aucune")
    category: str = Field(description="Code de la catégorie")
    category_label: str = Field(description="Libellé de la catégorie")
    address: str | None = Field(description="Adresse du fichier ; null si aucune")
    geocode_label: str | None = Field(description="Adresse trouvée par le géocodeur ; null sinon")
    commune: str | None = Field(description="Code INSEE de la commune")
    commune_name: str | None = Field(description="Nom de la commune")
    source: str = Field(description="Source de l'import (le logiciel ou le service)")
    source_ref: str = Field(description="Référence du fait dans la source (numéro de procédure)")
    geocode_type: str | None = Field(
        description="Précision du géocodage : housenumber, street ou locality ; null : "
        "coordonnées du fichier"
    )
    geocode_score: float | None = Field(description="Score du géocodeur (0 à 1) ; null sinon")
    lon: float = Field(description="Longitude (WGS84)")
    lat: float = Field(description="Latitude (WGS84)")


class IncidentList(BaseModel):
    """Une page de la liste des faits du filtre."""

    total: int = Field(description="Nombre de faits du filtre")
    page: int = Field(description="Numéro de la page (1 = la première)")
    size: int = Field(description="Nombre de faits par page")
    sort: str = Field(description="Tri : une colonne, précédée de « - » pour l'ordre décroissant")
    items: list[IncidentRow] = Field(description="Les faits de la page")
    filter: FilterEcho = Field(description="Le filtre tel qu'il a été compris")
    timezone: str = Field(description="Fuseau des heures locales")


# -- two periods compared ----------------------------------------------------------------------


class ChangeProperties(BaseModel):
    """Un hexagone, ses comptes sur les deux périodes et le z de Poisson de l'écart."""

    h3: str = Field(description="Identifiant H3 de l'hexagone (hexadécimal)")
    count_a: int = Field(description="Nombre de faits de la période A")
    count_b: int = Field(description="Nombre de faits de la période B")
    expected_b: float = Field(
        description="Le compte de A ramené à la durée de B (A × jours de B / jours de A)"
    )
    z: float = Field(description="z de Poisson de B contre A : 2(√B − √(A ramené à B))")
    p: float = Field(description="p bilatéral du test exact de deux comptes de Poisson")
    level: str = Field(
        description="Lecture : hausse ou baisse quand p < 5 %, hausse_forte ou baisse_forte "
        "quand p < 0,1 %, stable sinon"
    )


class ChangeFeature(Feature[ChangeProperties, CellOutline]):
    """Un hexagone non vide sur l'une des deux périodes."""


class PeriodEcho(BaseModel):
    """Une des deux périodes comparées."""

    start: str = Field(alias="from", description="Premier jour inclus (AAAA-MM-JJ)")
    to: str = Field(description="Dernier jour inclus (AAAA-MM-JJ)")
    days: int = Field(description="Nombre de jours")
    total: int = Field(description="Nombre de faits de la période")


class ChangeMetadata(BaseModel):
    """Ce que la carte des écarts a comparé."""

    resolution: int = Field(description="Résolution H3 des hexagones")
    period_a: PeriodEcho = Field(description="La période de référence (A)")
    period_b: PeriodEcho = Field(description="La période comparée (B)")
    z_total: float = Field(description="z de Poisson de l'ensemble (B contre A ramené à B)")
    p_total: float = Field(description="p du test exact sur l'ensemble")
    significant_p: float = Field(description="Seuil de lecture : p en deçà duquel on conclut")
    reading: str = Field(description="Comment lire z, en une phrase")
    filter: FilterEcho = Field(description="Les autres filtres, tels qu'ils ont été compris")
    resolution_note: str | None = Field(
        default=None, description="Analyste : pourquoi la résolution a été ramenée"
    )


class ChangeLayer(FeatureCollection[ChangeFeature]):
    """Les hexagones des deux périodes, leurs comptes et le z de l'écart."""

    metadata: ChangeMetadata = Field(description="Périodes, résolution, seuil, lecture")
