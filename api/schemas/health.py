"""Liveness and readiness."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Alive(BaseModel):
    """Le processus répond."""

    status: str = Field(description="Toujours ok")


class Ready(BaseModel):
    """La base répond et son schéma est à jour."""

    status: str = Field(description="Toujours ok")
    revision: str = Field(description="Révision Alembic du schéma de la base")
