"""The incident nomenclature."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import CallerDep, SessionDep
from api.schemas.categories import CategoryOut
from observatory.categories import FAMILIES
from observatory.models import Category

router = APIRouter(tags=["nomenclature"])


@router.get("/categories", summary="Les catégories d'incidents, par famille")
def categories(_: CallerDep, session: SessionDep) -> list[CategoryOut]:
    rows = session.scalars(select(Category).order_by(Category.family, Category.code))
    return [
        CategoryOut(
            code=c.code,
            label=c.label,
            family=c.family,
            family_label=FAMILIES.get(c.family, c.family),
            etat4001_index=c.etat4001_index,
        )
        for c in rows
    ]
