"""What many answers share: numbers, the filter as understood, the privacy treatment."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

# A number as it was computed: pydantic would write an integral value given to a float field
# as 1.0, which is not what the endpoints wrote before they had models.
Number = Annotated[int | float, WithJsonSchema({"type": "number"})]


class FilterEcho(BaseModel):
    """Le filtre tel qu'il a été compris (et, pour un analyste ou un partenaire, restreint)."""

    model_config = ConfigDict(populate_by_name=True)

    date_from: date | None = Field(alias="from", description="Premier jour inclus (AAAA-MM-JJ)")
    to: date | None = Field(description="Dernier jour inclus (AAAA-MM-JJ)")
    categories: list[str] | None = Field(
        description="Codes des catégories retenues ; null : toutes"
    )
    hours: list[int] | None = Field(description="Heures locales retenues (0 à 23) ; null : toutes")
    weekdays: list[int] | None = Field(
        description="Jours retenus, lundi 1 … dimanche 7 ; null : tous"
    )
    commune: str | None = Field(description="Code INSEE de la commune ; null : toutes")
    qpv: str | None = Field(description="in, out ou un code de QPV ; null : sans condition")
    generation: int = Field(description="Géographie prioritaire : 2015 ou 2024")
    bbox: list[float] | None = Field(description="Rectangle ouest, sud, est, nord (WGS84)")
    precision: str | None = Field(
        default=None,
        description="housenumber : sans les faits géocodés à la rue ou au lieu-dit ; null : tous",
    )
    night: date | None = Field(
        default=None,
        description="La nuit de ce jour 18 h au lendemain 6 h (heure locale) ; null : sans",
    )


class PartnerPrivacy(BaseModel):
    """La protection des chiffres diffusés aux partenaires."""

    release: str = Field(description="Ce qu'est la diffusion partenaires")
    epsilon_per_fact: Number = Field(
        description="Budget de confidentialité différentielle par fait (epsilon)"
    )
    note: str = Field(description="La mention à reproduire avec les chiffres")


class AnswerContext(BaseModel):
    """Ce que toute réponse agrégée dit d'elle-même : les restrictions de l'espace de requête
    (analystes), le filtre compris, la version des données et le secret statistique."""

    resolution_coarsened_from: int | None = Field(
        default=None,
        description=(
            "Analyste : résolution demandée, ramenée à 9 (période courte, quelques jours de la "
            "semaine, aucune semaine entière de données)"
        ),
    )
    resolution_note: str | None = Field(
        default=None, description="Analyste : pourquoi la résolution a été ramenée"
    )
    period_widened: str | None = Field(
        default=None,
        description=(
            "Analyste, résolution 10 : période ramenée aux semaines entières (lundi–dimanche) "
            "couvertes par les données"
        ),
    )
    excluded_categories: list[str] | None = Field(
        default=None,
        description="Analyste : catégories sensibles exclues des hexagones et des rectangles",
    )
    filter: FilterEcho = Field(description="Le filtre tel qu'il a été compris")
    data_version: int = Field(description="Version des données (change à chaque import)")
    suppression_threshold: int | None = Field(
        description="Partenaires : seuil sous lequel un compte est masqué (null : aucun)"
    )
    privacy: PartnerPrivacy | None = Field(
        default=None, description="Partenaires : le traitement des chiffres diffusés"
    )


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
    privacy: PartnerPrivacy | None = Field(None, description=PRIVACY)


class CellCount(BaseModel):
    """Un hexagone H3 et son compte."""

    h3: str = Field(description="Identifiant H3 de l'hexagone (hexadécimal)")
    count: int | None = Field(description="Nombre de faits ; null quand il est masqué")
    suppressed: bool = Field(description="Compte masqué sous le seuil de secret statistique")


# A count, and whether it was masked.
Count = Annotated[
    int | None, Field(description="Nombre de faits ; null : sous le seuil d'affichage (« < 5 »)")
]
Suppressed = Annotated[bool, Field(description="Vrai quand le nombre est masqué (« < 5 »)")]
