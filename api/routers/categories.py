"""The incident nomenclature."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from api.deps import CallerDep, SessionDep
from observatory.categories import FAMILIES
from observatory.models import Category

router = APIRouter(tags=["nomenclature"])


class CategoryOut(BaseModel):
    code: str
    label: str
    family: str
    family_label: str
    etat4001_index: int | None


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
