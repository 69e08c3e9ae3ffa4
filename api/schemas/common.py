"""What many answers share: numbers, the filter as understood, the privacy treatment."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

# A number as it was computed: pydantic would write an integral value given to a float field
# as 1.0, which is not what the endpoints wrote before they had models.
Number = Annotated[int | float, WithJsonSchema({"type": "number"})]


class FilterEcho(BaseModel):
    """Le filtre tel qu'il a été compris (et, pour un analyste ou un partenaire, restreint)."""

    model_config = ConfigDict(populate_by_name=True)

    date_from: str | None = Field(alias="from", description="Premier jour inclus (AAAA-MM-JJ)")
    to: str | None = Field(description="Dernier jour inclus (AAAA-MM-JJ)")
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
        description="Analyste, période courte : résolution demandée, ramenée à 9",
    )
    resolution_note: str | None = Field(
        default=None, description="Analyste : pourquoi la résolution a été ramenée"
    )
    period_widened: str | None = Field(
        default=None, description="Analyste, résolution fine : période étendue aux semaines"
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
