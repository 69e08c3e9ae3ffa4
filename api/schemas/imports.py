"""Import batches and their rejected rows."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field


class Batch(BaseModel):
    """Un lot d'import : ses comptes (les clés d'« import --json ») et son état."""

    batch_id: int = Field(description="Numéro du lot")
    status: str = Field(
        description="running, succeeded ou failed",
        json_schema_extra={"enum": ["running", "succeeded", "failed"]},
    )
    rows_read: int = Field(description="Lignes lues = importées + doublons + rejetées")
    rows_imported: int = Field(description="Lignes importées")
    rows_duplicate: int = Field(description="Lignes déjà importées (doublons)")
    rows_rejected: int = Field(description="Lignes rejetées")
    kind: str = Field(description="Nature : incidents, qpv, communes ou etat4001")
    file_name: str = Field(description="Nom du fichier importé")
    source: str | None = Field(description="Source des faits (police municipale, …)")
    started_at: str = Field(description="Début (ISO 8601)")
    finished_at: str | None = Field(description="Fin (ISO 8601) ; null : en cours")
    run_by: str | None = Field(description="Lancé par (cli, api:nom du jeton, …)")
    message: str | None = Field(
        description="Pourquoi l'import a échoué ; son détail est réservé à l'administrateur "
        "et à la police"
    )
    details: dict[str, Any] = Field(
        description="Détails du lot (catégories inconnues, génération, …) ; les valeurs brutes "
        "du fichier réservées à l'administrateur et à la police, comptées pour les autres"
    )


class Suggestion(BaseModel):
    """Une catégorie de la nomenclature proposée pour un libellé inconnu."""

    code: str = Field(description="Code de la catégorie")
    label: str = Field(description="Libellé de la catégorie")


class Reject(BaseModel):
    """Une ligne rejetée."""

    row_number: int = Field(description="Ligne du fichier (1 = en-tête)")
    reason: str = Field(description="Pourquoi elle a été rejetée")
    raw: dict[str, Any] = Field(description="Ses valeurs brutes, par colonne")
    suggestions: list[Suggestion] = Field(
        default_factory=list,
        description="Pour une catégorie inconnue : les trois catégories les plus proches",
    )
    rerun_batch_id: int | None = Field(
        default=None,
        description="Le lot qui l'a relancée (correspondance, regéocodage) ; null : pas relancée",
    )


T = TypeVar("T", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    """Une page d'une liste."""

    items: list[T] = Field(description="Les éléments de la page")
    total: int = Field(description="Nombre d'éléments en tout")
    limit: int = Field(description="Taille de page demandée")
    offset: int = Field(description="Décalage demandé")


class BatchPage(Page[Batch]):
    """Une page de lots, du plus récent au plus ancien."""


class RejectPage(Page[Reject]):
    """Une page de lignes rejetées d'un lot, dans l'ordre du fichier."""
