"""Saved mappings (the import assistant) and what a batch left unknown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.imports import Suggestion


class MappingIn(BaseModel):
    """Le contenu d'une correspondance à enregistrer."""

    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any] = Field(
        description="Les clés du fichier de correspondance TOML, en JSON : columns (champ → "
        "colonne du fichier), categories (libellé → code de catégorie), source, timezone, crs, "
        "date_order, separator, encoding, territory, month_is_interval, sheet, header_row"
    )


class SavedMappingOut(BaseModel):
    """Une correspondance enregistrée."""

    name: str = Field(description="Nom de la correspondance")
    document: dict[str, Any] = Field(description="Les clés du fichier de correspondance, en JSON")
    created_at: datetime = Field(description="Créée le (ISO 8601)")
    updated_at: datetime = Field(description="Modifiée le (ISO 8601)")
    created_by: str | None = Field(
        description="Créée par (api:nom du jeton, cli:utilisateur) ; null pour qui ne peut pas "
        "la modifier"
    )
    communes: list[str] | None = Field(
        default=None,
        description="Périmètre de son auteur : qui la lit et la modifie (null : toutes les "
        "communes, lue par tous, modifiée par un administrateur sans périmètre)",
    )


class RemapIn(BaseModel):
    """La correspondance avec laquelle relancer les rejets d'un lot."""

    model_config = ConfigDict(extra="forbid")

    mapping: str = Field(
        min_length=1, max_length=80, description="Nom de la correspondance enregistrée"
    )


class UnknownLabel(BaseModel):
    """Un libellé de catégorie que l'import n'a pas reconnu."""

    label: str = Field(description="Le libellé, tel qu'écrit dans le fichier")
    rows: int = Field(description="Nombre de lignes rejetées pour ce libellé, pas encore relancées")
    suggestions: list[Suggestion] = Field(
        description="Les trois catégories les plus proches, la plus proche d'abord"
    )


class Assistant(BaseModel):
    """Ce qu'un lot n'a pas reconnu : colonnes d'un fichier refusé, libellés inconnus."""

    batch_id: int = Field(description="Numéro du lot")
    mapping: str | None = Field(description="Correspondance enregistrée utilisée par le lot")
    missing_fields: list[str] = Field(
        description="Fichier refusé : les champs sans colonne (date, category, place)"
    )
    header: list[str] = Field(description="Fichier refusé : les colonnes lues dans le fichier")
    unknown_labels: list[UnknownLabel] = Field(
        description="Les libellés de catégorie inconnus, du plus fréquent au moins fréquent"
    )
    rerunnable: int = Field(description="Lignes rejetées qu'une correspondance peut relancer")
    file_kept: bool = Field(description="Le fichier téléversé est-il conservé (non : jamais)")
    advice: str | None = Field(description="Que faire ensuite, pour un fichier refusé")
