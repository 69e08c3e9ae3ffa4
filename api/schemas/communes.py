"""The answer of /stats/communes (api/routers/communes.py): the communes of a scope compared."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from api.schemas.common import Answer, Count, Disclosed, Suppressed


class ComparedPeriod(BaseModel):
    """La période comparée et la précédente, de même durée."""

    start: date = Field(description="Premier jour de la période (AAAA-MM-JJ)")
    end: date = Field(description="Dernier jour de la période (AAAA-MM-JJ)")
    days: int = Field(description="Nombre de jours de la période")
    previous_start: date = Field(
        description="Premier jour de la période précédente, de même durée (en mois entiers "
        "quand la période est faite de mois entiers)"
    )
    previous_end: date = Field(description="Dernier jour de la période précédente")
    comparable: bool = Field(
        description="Vrai quand les données couvrent toute la période précédente ; sinon, "
        "pas de comparaison (previous, change_percent et z valent null)"
    )


class CommuneFigures(BaseModel):
    """Une commune, ou l'ensemble des communes du tableau (code null)."""

    code: str | None = Field(description="Code INSEE de la commune ; null : la ligne du total")
    name: str = Field(description="Nom de la commune, ou « Ensemble des communes »")
    population: int | None = Field(
        description="Habitants ; null : inconnue (pour le total : une commune avec des faits "
        "n'a pas de population chargée)"
    )
    count: Count
    suppressed: Suppressed
    rate_per_1000: float | None = Field(
        description="Faits pour 1 000 habitants ; null : population inconnue ou nombre masqué"
    )
    previous: int | None = Field(
        description="Faits de la période précédente ; null : masqué ou période non comparable"
    )
    previous_suppressed: bool = Field(
        description="Vrai quand le nombre de la période précédente est masqué (« < 5 »)"
    )
    previous_rate_per_1000: float | None = Field(
        description="Taux pour 1 000 habitants de la période précédente ; null : non calculable"
    )
    change_percent: float | None = Field(
        description="Évolution en % par rapport à la période précédente ; null : non calculable "
        "(période non comparable, nombre masqué, ou aucun fait avant)"
    )
    z: float | None = Field(
        description="z = 2(√C − √P) de CompStat : au-delà de ±2, l'écart est peu vraisemblable "
        "sous un même rythme ; null pour un partenaire (valeurs bruitées) ou sans comparaison"
    )
    qpv_count: int | None = Field(
        description="Faits situés dans un QPV de la géographie choisie ; null : masqué, ou "
        "aucun QPV de cette géographie importé dans la commune"
    )
    qpv_share: float | None = Field(
        description="Part des faits situés dans un QPV, 0 à 1 ; null : un nombre masqué, aucun "
        "fait, ou aucun QPV de cette géographie importé dans la commune (part inconnue)"
    )


class Communes(Answer):
    scope: list[str] | None = Field(
        description="Codes INSEE des communes que l'appelant peut voir ; null : toutes"
    )
    period: ComparedPeriod | None = Field(
        description="La période comparée ; null : aucune date ni aucun fait"
    )
    communes: list[CommuneFigures] = Field(
        description="Chaque commune du périmètre qui a des faits ou une population connue "
        "(seulement celle du filtre commune, s'il en nomme une), par code INSEE"
    )
    total: CommuneFigures = Field(description="L'ensemble des communes du tableau")


class CommunesAnswer(Disclosed, Communes):
    """Les communes du périmètre comparées : faits, taux, évolution, part en QPV."""
