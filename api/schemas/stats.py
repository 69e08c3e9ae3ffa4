"""The answers of /stats/summary, /stats/timeslots, /stats/trends, /stats/compstat and
/stats/territories (api/routers/stats.py). Their fields keep the order the answers have always
had: a model's own fields after the ones it inherits."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import (
    DATA_VERSION,
    PRIVACY,
    THRESHOLD,
    Answer,
    Count,
    Disclosed,
    PartnerPrivacy,
    Suppressed,
)

# -- /stats/summary ----------------------------------------------------------------------------


class CategoryCount(BaseModel):
    code: str = Field(description="Code de la catégorie")
    label: str = Field(description="Libellé de la catégorie")
    family: str = Field(description="Code de sa famille")
    count: Count
    suppressed: Suppressed


class FamilyCount(BaseModel):
    code: str = Field(description="Code de la famille")
    label: str = Field(description="Libellé de la famille")
    count: Count
    suppressed: Suppressed


class DataRange(BaseModel):
    first: date | None = Field(description="Premier jour de faits de la base ; null : base vide")
    last: date | None = Field(description="Dernier jour de faits de la base ; null : base vide")


class Summary(Answer):
    total: Count
    categories: list[CategoryCount] = Field(
        description="Par catégorie, la plus fréquente d'abord ; vide pour un partenaire dans un "
        "QPV ou un rectangle (la diffusion mesure les catégories par commune)"
    )
    families: list[FamilyCount] = Field(description="Par famille, la plus fréquente d'abord")
    data_range: DataRange = Field(description="Les jours couverts par les données (tout filtre)")


class SummaryAnswer(Disclosed, Summary):
    """Totaux par catégorie et par famille."""


# -- /stats/timeslots --------------------------------------------------------------------------


class SlotAnswer(BaseModel):
    name: str = Field(description="Nom du créneau (réglage OBS_TIME_SLOTS)")
    hours: str = Field(description="Ses heures locales, ex. 22-6")
    value: float | None = Field(description="Faits du créneau (aoristiques) ; null : masqué")
    share: float | None = Field(description="Part du total, 0 à 1 ; null : masquée ou total nul")


class Timeslots(Answer):
    timezone: str = Field(description="Fuseau des heures locales")
    weekdays: list[str] = Field(description="Les jours des lignes de la matrice, lundi d'abord")
    hours: list[int] = Field(description="Les heures des colonnes, 0 à 23")
    matrix: list[list[float | None]] = Field(
        description="7 lignes de 24 heures : faits commencés ce jour à cette heure (un fait "
        "connu dans un intervalle réparti sur ses heures) ; null : masqué (« < 5 »)"
    )
    suppressed_cells: int = Field(description="Nombre de cases masquées")
    slots: list[SlotAnswer] = Field(description="Les créneaux nommés")
    night_share: float | None = Field(
        description="Part du créneau « nuit », 0 à 1 ; null : pas de tel créneau, ou masquée"
    )
    total: float | None = Field(description="Total de la matrice ; null : masqué")


class TimeslotsAnswer(Disclosed, Timeslots):
    """La matrice jour × heure et les créneaux nommés."""


# -- /stats/trends -----------------------------------------------------------------------------


class PeriodAnswer(BaseModel):
    start: date = Field(description="Premier jour du mois ou de la semaine (lundi)")
    complete: bool = Field(description="Faux quand le filtre ou les données coupent la période")


class MannKendallAnswer(BaseModel):
    """Test de Mann–Kendall (bilatéral) et pente de Sen, sur les périodes complètes."""

    n: int = Field(description="Nombre de périodes testées (les complètes)")
    s: int = Field(description="Statistique S")
    var_s: float | None = Field(description="Variance de S (ex æquo corrigés)")
    z: float | None = Field(description="z de S, avec correction de continuité")
    p: float | None = Field(description="p bilatéral")
    tau: float | None = Field(description="τ de Kendall")
    trend: Literal["hausse", "baisse", "stable"] = Field(description="Verdict au seuil de 5 %")
    h: bool = Field(description="Vrai quand la tendance est significative (p < 0,05)")
    slope: float | None = Field(description="Pente de Sen, en faits par période")
    intercept: float | None = Field(description="Ordonnée à l'origine (Conover) ; null : aucune")


class SeriesAnswer(BaseModel):
    key: str = Field(description="total, code de catégorie ou de famille")
    label: str = Field(description="Son libellé")
    counts: list[int | None] = Field(description="Faits de chaque période ; null : masqué")
    yoy_percent: list[float | None] = Field(
        description="Évolution en % sur la même période un an plus tôt ; null : pas de période "
        "un an plus tôt, aucun fait alors, ou un des deux nombres masqué"
    )
    yoy_z: list[float | None] = Field(
        description="z = 2(√C − √P) contre la même période un an plus tôt ; null de même, et "
        "toujours pour un partenaire (valeurs bruitées)"
    )
    mann_kendall: MannKendallAnswer = Field(description="Test de tendance sur les périodes")


class Trends(Answer):
    step: Literal["month", "week"] = Field(description="Périodes : mois ou semaines")
    by: Literal["total", "category", "family"] = Field(description="Une série par … ")
    periods: list[PeriodAnswer] = Field(description="Les périodes, dans l'ordre")
    series: list[SeriesAnswer] = Field(
        description="Une série par clé ; une catégorie ou une famille sans fait est omise"
    )


class TrendsAnswer(Disclosed, Trends):
    """Les séries et leur tendance."""


# -- /stats/compstat ---------------------------------------------------------------------------


class WindowAnswer(BaseModel):
    name: str = Field(description="7 jours, 28 jours, depuis le 1er janvier (partenaire : mois)")
    start: date = Field(description="Premier jour de la période")
    end: date = Field(description="Dernier jour de la période")
    previous_start: date = Field(description="Premier jour de la même période un an plus tôt")
    previous_end: date = Field(description="Son dernier jour")


class ComparedAnswer(BaseModel):
    current: int | None = Field(description="Faits de la période ; null : masqué")
    previous: int | None = Field(description="Faits un an plus tôt ; null : masqué")
    change_percent: float | None = Field(
        description="Évolution en % ; null : aucun fait un an plus tôt, ou un nombre masqué"
    )
    z: float | None = Field(
        description="z = 2(√C − √P) ; null : un nombre masqué, ou partenaire (valeurs bruitées)"
    )


class CompStatRowAnswer(BaseModel):
    key: str = Field(description="total, code de catégorie ou de famille")
    label: str = Field(description="Son libellé")
    periods: list[ComparedAnswer] = Field(description="Une comparaison par période, dans l'ordre")


class CompStatAnswer(Answer):
    at: date | None = Field(
        description="Dernier jour des périodes ; null : pas de jour où les arrêter (base vide)"
    )
    periods: list[WindowAnswer] = Field(description="Les périodes comparées")
    rows: list[CompStatRowAnswer] = Field(description="Le total, puis une ligne par clé")
    # Absent with ``at`` null: there is nothing to describe.
    data_version: int | None = Field(None, description=f"{DATA_VERSION} ; absente si at est null")
    suppression_threshold: int | None = Field(None, description=THRESHOLD)
    privacy: PartnerPrivacy | None = Field(None, description=PRIVACY)


# -- /stats/territories ------------------------------------------------------------------------


class TerritoryAnswer(BaseModel):
    """Un QPV, le reste d'une commune hors de tout QPV, ou la commune entière."""

    count: Count
    suppressed: Suppressed
    share: float | None = Field(
        description="Part des faits de la commune entière, 0 à 1 ; null : un nombre masqué"
    )
    population: int | None = Field(
        description="Habitants ; null : inconnue (celle hors QPV n'est connue que si celle de "
        "chaque QPV l'est et qu'aucun ne déborde sur une autre commune)"
    )
    population_from: int | None = Field(
        description="Génération des QPV dont la population est reprise (2015 pour un QPV 2024 "
        "sans population chargée, de même code ou de même nom) ; null : sa propre population"
    )
    rate_per_1000: float | None = Field(
        description="Faits pour 1 000 habitants ; null : population inconnue ou nombre masqué"
    )
    by_category: dict[str, int | None] | None = Field(
        description="Faits par catégorie, la plus fréquente d'abord (null : masqué) ; null pour "
        "un QPV ou le reste de la commune d'un partenaire (catégories mesurées par commune)"
    )


class QpvName(BaseModel):
    code: str = Field(description="Code du QPV")
    name: str = Field(description="Nom du QPV")
    communes: list[str] = Field(description="Codes INSEE des communes qu'il couvre")


class QpvAnswer(TerritoryAnswer, QpvName):  # the last base's fields come first: the name
    """Un QPV : tous ses faits, même au-delà de la commune."""


class CommuneAnswer(BaseModel):
    code: str = Field(description="Code INSEE de la commune")
    name: str = Field(description="Nom de la commune")
    whole: TerritoryAnswer = Field(description="La commune entière")
    outside_qpv: TerritoryAnswer = Field(description="La commune hors de tout QPV")
    qpvs: list[QpvAnswer] = Field(description="Ses QPV de la géographie choisie")


class Territories(Answer):
    generation: int = Field(description="Géographie prioritaire des QPV : 2015 ou 2024")
    communes: list[CommuneAnswer] = Field(
        description="La commune du filtre, sinon chacune de celles qui ont un QPV"
    )


class TerritoriesAnswer(Disclosed, Territories):
    """Les QPV, le reste et l'ensemble de chaque commune."""
