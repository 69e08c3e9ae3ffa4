"""The état 4001: its nomenclature, figures, yearly series and services."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import Number

# -- nomenclature ------------------------------------------------------------------------------


class CodeLabel(BaseModel):
    """Un code et son libellé."""

    code: str = Field(description="Code")
    label: str = Field(description="Libellé")


class Indicator(BaseModel):
    """Un indicateur du SSMSI et les index qui le composent."""

    code: str = Field(description="Code de l'indicateur")
    label: str = Field(description="Libellé de l'indicateur")
    unit: str = Field(description="Unité de compte de ses index")
    index: list[int] = Field(description="Les index qui le composent")


class IndexEntry(BaseModel):
    """Un des 107 index de l'état 4001."""

    index: int = Field(description="Numéro de l'index (1 à 107)")
    published_label: str = Field(description="Libellé tel que l'état 4001 le publie")
    label: str = Field(description="Libellé court")
    unit: str = Field(description="Code de l'unité de compte")
    unit_label: str = Field(description="Unité de compte (victimes, faits, véhicules, …)")
    indicator: str | None = Field(description="Code de l'indicateur SSMSI ; null : aucun")
    indicator_label: str | None = Field(description="Libellé de l'indicateur ; null : aucun")
    family: str = Field(description="Code de la famille")
    family_label: str = Field(description="Libellé de la famille")
    unused: bool = Field(description="Index inutilisé (96, 97, 99, 100)")


class Nomenclature(BaseModel):
    """La nomenclature de l'état 4001."""

    units: list[CodeLabel] = Field(description="Les unités de compte")
    families: list[CodeLabel] = Field(description="Les familles")
    indicators: list[Indicator] = Field(description="Les indicateurs du SSMSI")
    index: list[IndexEntry] = Field(description="Les 107 index, dans l'ordre")


# -- figures and series ------------------------------------------------------------------------


class FigureRow(BaseModel):
    """Un chiffre de l'état 4001."""

    period: str = Field(description="Période : AAAA (annuelle) ou AAAA-MM (mensuelle)")
    perimeter: str = Field(description="PN police ou GN gendarmerie")
    department: str = Field(description="Code du département")
    service: str = Field(description="Nom du service ; vide : le département")
    index: int = Field(description="Numéro de l'index")
    label: str = Field(description="Libellé de l'index")
    count: int = Field(description="Le chiffre")
    unit: str = Field(description="Code de l'unité de compte")
    family: str = Field(description="Code de la famille")


class SeriesFilters(BaseModel):
    """Les filtres tels qu'ils ont été compris."""

    departments: list[str] = Field(description="Codes de départements")
    services: list[str] = Field(description="Noms de services")
    perimeter: str | None = Field(description="PN ou GN ; null : les deux")
    indexes: list[int] = Field(description="Numéros d'index")
    families: list[str] = Field(description="Codes de familles")
    indicators: list[str] = Field(description="Codes d'indicateurs SSMSI")
    start: str | None = Field(description="Première période (AAAA ou AAAA-MM)")
    end: str | None = Field(description="Dernière période, incluse")
    commune: str | None = Field(description="Code INSEE : les services qui la couvrent")


class YearPoint(BaseModel):
    """Une année de la série."""

    year: int = Field(description="Année")
    count: int = Field(description="Le chiffre de l'année (ou des mois connus)")
    months: int = Field(description="Mois couverts (12 : année complète)")
    complete: bool = Field(description="Année complète")
    previous: int | None = Field(
        description="Le chiffre de l'année d'avant à comparer (mêmes mois) ; null : aucun"
    )
    change: int | None = Field(description="Évolution en nombre ; null sans comparaison")
    change_pct: Number | None = Field(description="Évolution en % ; null sans comparaison")
    z: Number | None = Field(description="z de Poisson 2(√C − √P) ; null sans comparaison")


class Series(BaseModel):
    """Une série annuelle : un groupe d'index d'une même unité."""

    key: str = Field(description="Code du groupe (famille, indicateur, index ou selection)")
    label: str = Field(description="Libellé du groupe")
    unit: str = Field(description="Code de l'unité de compte")
    unit_label: str = Field(description="Unité de compte")
    index: list[int] = Field(description="Les index additionnés")
    points: list[YearPoint] = Field(description="Une année par point, la plus ancienne d'abord")


class YearlySeries(BaseModel):
    """Séries annuelles, évolution et z de Poisson."""

    filters: SeriesFilters = Field(description="Les filtres tels qu'ils ont été compris")
    group: str = Field(
        description="Regroupement des index",
        json_schema_extra={"enum": ["family", "indicator", "index", "selection"]},
    )
    note: str = Field(description="Comment lire les unités de compte")
    series: list[Series] = Field(description="Les séries")


# -- services ----------------------------------------------------------------------------------


class Service(BaseModel):
    """Un service de police ou de gendarmerie."""

    perimeter: str = Field(description="PN police ou GN gendarmerie")
    department: str = Field(description="Code du département")
    service: str = Field(description="Nom du service tel que l'état 4001 l'écrit")


class ServiceOut(Service):
    """Un service de police ou de gendarmerie, ses chiffres et ses communes."""

    direction: str | None = Field(description="Direction dont il relève")
    first_period: str | None = Field(description="Première période importée ; null : aucune")
    last_period: str | None = Field(description="Dernière période importée ; null : aucune")
    figures: int = Field(description="Nombre de chiffres importés")
    communes: list[str] = Field(description="Codes INSEE des communes qu'il couvre")


class ServiceMapping(Service):
    """Les communes couvertes par un service."""

    communes: list[str] = Field(description="Codes INSEE des communes couvertes")
