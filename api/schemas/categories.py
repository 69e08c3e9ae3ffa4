"""The incident nomenclature."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CategoryOut(BaseModel):
    """Une catégorie de faits."""

    code: str = Field(description="Code de la catégorie")
    label: str = Field(description="Libellé")
    family: str = Field(description="Code de sa famille")
    family_label: str = Field(description="Libellé de sa famille")
    etat4001_index: int | None = Field(
        description="Index de l'état 4001 correspondant, s'il y a lieu"
    )
