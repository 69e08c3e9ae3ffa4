"""A CLSPD pack prepared in the background (api/routers/packjobs.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class PackJobOut(BaseModel):
    """Une préparation de pack CLSPD et où elle en est."""

    id: str = Field(description="Identifiant de la préparation (visible de son seul auteur)")
    state: Literal["en_attente", "en_cours", "pret", "echec"] = Field(
        description="en_attente (dans la file), en_cours, pret (fichier disponible) ou echec"
    )
    label: str = Field(description="L'état en une phrase, à afficher tel quel")
    place: int | None = Field(
        description="Rang dans la file des analyses lourdes (1 : la prochaine) ; null hors file"
    )
    message: str | None = Field(description="Pourquoi la préparation a échoué ; null sinon")
    filename: str = Field(description="Nom du fichier produit")
    format: Literal["html", "pdf"] = Field(description="html (carte hors ligne) ou pdf (A4)")
    file: str | None = Field(description="Chemin du fichier quand il est prêt ; null sinon")
    expires_in: int | None = Field(
        description="Secondes pendant lesquelles le fichier reste disponible ; null avant la fin"
    )
