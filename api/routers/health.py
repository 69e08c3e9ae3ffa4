"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.exc import SQLAlchemyError

from api.errors import DB_DOWN, problem
from api.schemas.health import Alive, Ready
from observatory.db import current_revision, head_revision

router = APIRouter(tags=["santé"])


@router.get("/healthz", summary="Le processus répond")
def healthz() -> Alive:
    return Alive(status="ok")


@router.get(
    "/readyz",
    summary="La base répond et son schéma est à jour",
    response_model=Ready,
    responses={503: {"description": "Base injoignable ou schéma en retard"}},
)
def readyz(request: Request) -> object:
    try:
        current = current_revision(request.app.state.engine)
    except SQLAlchemyError:
        return problem(503, DB_DOWN, request)
    head = head_revision()
    if current != head:
        return problem(
            503,
            f"Le schéma de la base n'est pas à jour (révision {current or 'aucune'}, attendue "
            f"{head}) : lancez « observatory db upgrade ».",
            request,
        )
    return Ready(status="ok", revision=current)
