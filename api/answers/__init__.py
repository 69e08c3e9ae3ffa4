"""The shapes of the JSON answers, as the OpenAPI shows them to analysts (/docs).

An endpoint returns one of these models; the answer cache writes it (api/cache.py, json_body)
with the fields it set, so that a field an answer leaves out (a partner's privacy note) is not
written as null. A value the reader may not be told (under the display threshold) is null.
The models' docstrings and descriptions are in French: /docs shows them to the analysts.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field


class FilterEcho(BaseModel):
    """Le filtre tel que l'API l'a compris (jours locaux, bornes incluses)."""

    from_: date | None = Field(alias="from", description="Premier jour retenu ; null : aucun")
    to: date | None = Field(description="Dernier jour retenu ; null : aucun")
    categories: list[str] | None = Field(
        description="Codes des catégories retenues (une famille demandée y est détaillée) ; "
        "null : toutes"
    )
    hours: list[int] | None = Field(description="Heures locales retenues, 0 à 23 ; null : toutes")
    weekdays: list[int] | None = Field(
        description="Jours retenus, lundi 1 … dimanche 7 ; null : tous"
    )
    commune: str | None = Field(description="Code INSEE de la commune ; null : toutes")
    qpv: str | None = Field(
        description="in (dans un QPV), out (hors de tout QPV) ou code d'un QPV ; null : partout"
    )
    generation: int = Field(description="Géographie prioritaire des QPV : 2015 ou 2024")
    bbox: list[float] | None = Field(
        description="Rectangle ouest, sud, est, nord (degrés WGS84) ; null : aucun"
    )


class PrivacyNote(BaseModel):
    """Pour un partenaire : comment ses valeurs ont été protégées."""

    release: str = Field(description="La diffusion dont viennent les valeurs")
    epsilon_per_fact: float = Field(
        description="ε de confidentialité différentielle que chaque fait dépense par mois"
    )
    note: str = Field(description="Ce que le lecteur doit savoir des valeurs")


class Answer(BaseModel):
    """Le début de toute réponse statistique : le filtre auquel elle répond."""

    filter: FilterEcho = Field(description="Le filtre tel qu'il a été compris")


DATA_VERSION = "Version des données (change à chaque import ou suppression)"
THRESHOLD = (
    "Seuil d'affichage : une valeur de 1 à seuil − 1 est masquée (null, « < 5 ») ; "
    "null : rien n'est masqué"
)
PRIVACY = "Pour un partenaire seulement : la protection de ses valeurs"


class Disclosed(BaseModel):
    """Ce que toute réponse statistique dit, à la fin, de ses données et de leur protection."""

    # An answer is ``class XAnswer(Disclosed, X)``: the last base's fields come first, so these
    # end the answer, as they always have.
    data_version: int = Field(description=DATA_VERSION)
    suppression_threshold: int | None = Field(description=THRESHOLD)
    privacy: PrivacyNote | None = Field(None, description=PRIVACY)


# A count, and whether it was masked.
Count = Annotated[
    int | None, Field(description="Nombre de faits ; null : sous le seuil d'affichage (« < 5 »)")
]
Suppressed = Annotated[bool, Field(description="Vrai quand le nombre est masqué (« < 5 »)")]
