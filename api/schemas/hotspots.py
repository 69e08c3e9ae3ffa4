"""Hot spots (Gi*), emerging hot spots (space-time cube) and near repeats (Knox)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import AnswerContext, CellCount, Number
from api.schemas.geojson import CellOutline, Feature, FeatureCollection
from observatory.analytics.emerging import PATTERNS
from observatory.analytics.hotspots import CLASS_LABELS

# -- Gi* ---------------------------------------------------------------------------------------


class HotspotProperties(CellCount):
    """Un hexagone de la zone d'étude et sa classe de Gi*."""

    model_config = ConfigDict(populate_by_name=True)

    gi_z: Number | None = Field(description="z de Gi* (6 chiffres) ; null pour un partenaire")
    gi_p: Number | None = Field(description="p de Gi* (6 chiffres) ; null pour un partenaire")
    hotspot_class: str = Field(
        alias="class",
        description="Classe : chaud ou froid à 99, 95 ou 90 % de confiance, ou non significatif",
        json_schema_extra={"enum": list(CLASS_LABELS)},
    )
    label: str = Field(description="La classe en français (chaud 99 %, …)")


class HotspotFeature(Feature[HotspotProperties, CellOutline]):
    """Un hexagone de la zone d'étude, vide ou non."""


class StudyAreaMetadata(AnswerContext):
    """Ce que disent les couches de Gi* de leur zone d'étude."""

    method: str = Field(description="La méthode, en clair")
    resolution: int = Field(description="Résolution H3 des hexagones")
    k: int = Field(description="Voisinage : anneaux H3 autour de chaque hexagone")
    fdr: bool = Field(description="Correction du taux de fausses découvertes appliquée")
    chosen_because: str = Field(description="Pourquoi cette résolution et ce voisinage")
    cells: int = Field(description="Nombre d'hexagones de la zone d'étude")
    study_area: str = Field(
        description="La zone d'étude : la commune demandée, les communes du périmètre, ou les "
        "faits filtrés et leurs anneaux"
    )


class HotspotMetadata(StudyAreaMetadata):
    """Comment les points chauds ont été cherchés."""

    alpha: Number = Field(description="Seuil demandé : seules les classes de confiance ≥ 1 − alpha")
    permutations: int = Field(description="Nombre de permutations ; 0 : p analytique")
    seed: int | None = Field(description="Graine des permutations ; null sans permutations")
    classes: dict[str, int] = Field(description="Nombre d'hexagones par classe")


class HotspotLayer(FeatureCollection[HotspotFeature]):
    """Chaque hexagone de la zone d'étude, vides compris, avec sa classe de Gi*."""

    metadata: HotspotMetadata = Field(description="Méthode, paramètres, filtre, secret")


# -- emerging hot spots ------------------------------------------------------------------------


class EmergingProperties(CellCount):
    """Un hexagone et sa tendance dans le cube espace-temps."""

    # The same count, over the complete periods of the cube only.
    count: int | None = Field(description="Faits sur les périodes complètes ; null si masqué")
    pattern: str = Field(
        description="Catégorie d'Esri : nouveau, consécutif, intensifié, … (chaud ou froid)",
        json_schema_extra={"enum": list(PATTERNS)},
    )
    label: str = Field(description="La catégorie en français")
    trend_z: Number | None = Field(
        description="z de Mann–Kendall des z de Gi* (6 chiffres) ; null pour un partenaire"
    )
    trend_p: Number | None = Field(
        description="p de Mann–Kendall (6 chiffres) ; null pour un partenaire"
    )


class EmergingFeature(Feature[EmergingProperties, CellOutline]):
    """Un hexagone de la zone d'étude."""


class EmergingMetadata(StudyAreaMetadata):
    """Comment le cube a été construit et lu."""

    step: str = Field(
        description="Pas de temps : month ou week", json_schema_extra={"enum": ["month", "week"]}
    )
    alpha: Number = Field(description="Seuil de Gi* à chaque pas")
    periods: list[str] = Field(description="Premier jour de chaque période complète (AAAA-MM-JJ)")
    patterns: dict[str, int] = Field(description="Nombre d'hexagones par catégorie")


class EmergingLayer(FeatureCollection[EmergingFeature]):
    """Chaque hexagone de la zone d'étude et sa catégorie de tendance."""

    metadata: EmergingMetadata = Field(description="Méthode, périodes, filtre, secret")


# -- near repeats ------------------------------------------------------------------------------


class KnoxCell(BaseModel):
    """Une case du tableau de Knox : une bande de distance × une bande de délai."""

    distance: list[Number] = Field(description="Bande de distance [de, à[, en mètres")
    days: list[Number] = Field(description="Bande de délai [de, à[, en jours")
    observed: int | None = Field(description="Paires observées ; null quand masqué")
    expected: Number = Field(
        description="Paires attendues sous le hasard (moyenne des permutations)"
    )
    ratio: Number | None = Field(description="Rapport de Knox observé / attendu ; null si masqué")
    p: Number = Field(description="p de Monte-Carlo")
    significant: bool = Field(description="p < 0,05")


class NearRepeat(AnswerContext):
    """Le test de Knox des répétitions proches."""

    events: int | None = Field(description="Nombre de faits testés ; null quand masqué")
    pairs: int | None = Field(description="Paires comptées ; null si une case est masquée")
    permutations: int = Field(description="Nombre de permutations")
    seed: int = Field(description="Graine des permutations")
    distance_edges: list[Number] = Field(description="Bornes des bandes de distance (mètres)")
    day_edges: list[Number] = Field(description="Bornes des bandes de délai (jours)")
    cells: list[KnoxCell] = Field(description="Les cases, distance par distance puis délai")
