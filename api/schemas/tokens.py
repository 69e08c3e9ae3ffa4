"""The caller's token, and the tokens (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, Field


class Me(BaseModel):
    """Le jeton ou la session utilisés."""

    name: str = Field(description="Nom du jeton, ou adresse e-mail du compte connecté")
    role: str = Field(description="Rôle : admin, police, analyst ou partner")
    communes: list[str] | None = Field(
        default=None, description="Codes INSEE du périmètre ; null : toutes les communes"
    )
    account: int | None = Field(
        default=None, description="Numéro du compte (session ou jeton d'un compte) ; null : aucun"
    )


class TokenFields(BaseModel):
    """Un jeton (jamais sa valeur)."""

    name: str = Field(description="Nom du jeton")
    role: str = Field(description="Rôle : admin, police, analyst ou partner")
    prefix: str = Field(description="Premiers caractères du jeton, pour le reconnaître")
    created_at: datetime = Field(description="Créé le")
    last_used_at: datetime | None = Field(description="Dernier usage ; null : jamais")
    expires_at: datetime | None = Field(default=None, description="Expire le ; null : jamais")
    revoked: bool = Field(description="Révoqué")

    @classmethod
    def of(cls, token: Any, communes: list[str] | None) -> Self:
        """The answer for a stored token (observatory/models.py ApiToken) and its communes."""
        return cls(
            name=token.name,
            role=token.role,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            expires_at=token.expires_at,
            revoked=token.revoked_at is not None,
            communes=communes,
        )


class TokenOut(TokenFields):
    """Un jeton (jamais sa valeur), avec le périmètre qu'il a à l'usage."""

    communes: list[str] | None = Field(
        default=None, description="Codes INSEE du périmètre ; null : toutes les communes"
    )
