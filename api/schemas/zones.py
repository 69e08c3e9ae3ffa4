"""The answer of POST /stats/zone: a drawn or uploaded zone's figures."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from api.schemas.common import Number
from api.schemas.stats import SummaryAnswer


class ZoneMonth(BaseModel):
    """Un mois de la série de la zone."""

    start: date = Field(description="Premier jour du mois")
    count: int = Field(description="Faits du mois dans la zone")
    complete: bool = Field(description="Mois entier dans la période (sinon coupé)")


class ZoneShape(BaseModel):
    """La zone telle qu'elle a été comptée."""

    area_m2: Number = Field(description="Surface de la zone (ellipsoïde WGS84), en m²")
    vertices: int = Field(description="Nombre de sommets du tracé")
    cells: int | None = Field(
        description="Analyste : hexagones entiers comptés (par leur centre) ; null : les faits"
    )
    resolution: int | None = Field(description="Analyste : résolution de ces hexagones")
    note: str | None = Field(default=None, description="Comment la zone a été comptée")


class ZoneAnswer(SummaryAnswer):
    """Les chiffres d'une zone dessinée ou téléversée, pour le filtre courant."""

    zone: ZoneShape = Field(description="La zone comptée")
    months: list[ZoneMonth] = Field(
        description="La série mensuelle de la zone (analyste en résolution 10 : les semaines "
        "entières, chacune dans le mois de son lundi)"
    )
    timeslots: list[list[Number]] = Field(
        description="Jour × heure (7 lignes, lundi d'abord, de 24 heures ; aoristique) ; "
        "vide pour un analyste dont la zone est comptée en hexagones de résolution 10"
    )
