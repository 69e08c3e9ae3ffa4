"""The audit log: reads of individual incidents, sign-ins, account and scope changes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AuditEntry(BaseModel):
    """Une entrée du journal : lecture de faits individuels (ou lecture fine d'un analyste),
    connexion, connexion refusée, déconnexion, compte, groupe ou jeton créé ou modifié."""

    id: int = Field(description="Numéro de l'entrée")
    at: str = Field(description="Quand (ISO 8601)")
    actor: str = Field(description="Nom du jeton ou adresse e-mail du compte")
    role: str = Field(description="Son rôle")
    action: str = Field(description="Ce qui a été fait (route lue, export, connexion…)")
    filters: dict[str, Any] = Field(description="Le filtre, les paramètres ou les changements")
    row_count: int = Field(description="Nombre de faits lus")
    communes: list[str] | None = Field(
        default=None, description="Périmètre de l'auteur à ce moment ; null : toutes les communes"
    )
    address: str | None = Field(default=None, description="Adresse IP du client, si connue")


class AuditPage(BaseModel):
    """Une page du journal, la plus récente entrée d'abord."""

    entries: list[AuditEntry] = Field(description="Les entrées de la page")
    limit: int = Field(description="Taille de page demandée")
    offset: int = Field(description="Décalage demandé")
