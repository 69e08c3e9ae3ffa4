"""The audit log of reads of individual incidents."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AuditEntry(BaseModel):
    """Une lecture de faits individuels (ou une lecture fine d'un analyste)."""

    id: int = Field(description="Numéro de l'entrée")
    at: str = Field(description="Quand (ISO 8601)")
    actor: str = Field(description="Nom du jeton")
    role: str = Field(description="Son rôle")
    action: str = Field(description="Ce qui a été lu (route ou export)")
    filters: dict[str, Any] = Field(description="Le filtre et les paramètres de la lecture")
    row_count: int = Field(description="Nombre de faits lus")


class AuditPage(BaseModel):
    """Une page du journal, la plus récente entrée d'abord."""

    entries: list[AuditEntry] = Field(description="Les entrées de la page")
    limit: int = Field(description="Taille de page demandée")
    offset: int = Field(description="Décalage demandé")
