"""The list of the selection's incidents, a page at a time: police and admin only, audited.

The same filters as the map (docs/guide/lire-la-carte.md « Les filtres »); a page is cut after
sorting on one column of an allow-list, ties broken by id, so that the pages never overlap.
Each call writes one audit_log row, in the transaction of the read, like /layers/incidents.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import ColumnElement, Float, Numeric, cast, func, select

from api.datadeps import FilterDep, describe_filter
from api.deps import SessionDep, SettingsDep
from api.routers.incidents import PointReader
from api.schemas.daily import IncidentList
from observatory import audit, exports
from observatory.errors import InvalidInput
from observatory.exports import CATEGORY, COMMUNE, INCIDENT, LOCAL_ISO

router = APIRouter(tags=["faits"])

MAX_SIZE = 200
MAX_PAGE = 100_000
DEFAULT_SORT = "-occurred_at"

i = INCIDENT.c
SORTS: dict[str, ColumnElement[Any]] = {
    "occurred_at": i.occurred_at,
    "category": func.coalesce(CATEGORY.c.label, i.category_code),
    "address": func.coalesce(i.address, i.geocode_label),
    "commune": COMMUNE.c.name,
    "source_ref": i.source_ref,
    "geocode_type": i.geocode_type,
    "id": i.id,
}


def parse_sort(value: str) -> tuple[str, bool]:
    """(column, descending) of « occurred_at » or « -occurred_at »; 422 for another column."""
    text = value.strip()
    descending = text.startswith("-")
    column = text.removeprefix("-").removeprefix("+")
    if column not in SORTS:
        raise InvalidInput(
            f"« sort » vaut l'une des colonnes {', '.join(SORTS)}, précédée de « - » pour "
            f"l'ordre décroissant (reçu « {value} »)."
        )
    return column, descending


@router.get(
    "/incidents",
    summary="La liste des faits du filtre (police et administrateur ; chaque lecture est tracée)",
    description=(
        "Les faits du filtre, par pages (page à partir de 1, size de 1 à "
        f"{MAX_SIZE}), triés par sort : {', '.join(SORTS)}, précédé de « - » pour l'ordre "
        "décroissant (défaut -occurred_at, les plus récents d'abord). Chaque ligne donne la "
        "date et l'heure locales, la catégorie, l'adresse, la commune, la référence du fait "
        "dans la source (source_ref) et la précision du géocodage. Chaque appel est inscrit au "
        "journal d'audit."
    ),
    response_model=IncidentList,
)
def incident_list(
    caller: PointReader,
    f: FilterDep,
    session: SessionDep,
    settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Numéro de page")] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_SIZE, description="Faits par page")] = 50,
    sort: Annotated[str, Query(max_length=40, description="Colonne de tri")] = DEFAULT_SORT,
) -> dict[str, Any]:
    column, descending = parse_sort(sort)
    where = exports.incident_filter(f, settings.timezone)
    conn = session.connection()
    exports.start_reading(conn, settings.timezone)
    total = exports.count_incidents(conn, where)
    key = SORTS[column]
    order = [key.desc().nulls_last() if descending else key.asc().nulls_last()]
    order.append(i.id.desc() if descending else i.id.asc())
    query = (
        select(
            i.id,
            func.to_char(i.occurred_at, LOCAL_ISO).label("occurred_at"),
            func.to_char(i.occurred_until, LOCAL_ISO).label("occurred_until"),
            i.category_code.label("category"),
            func.coalesce(CATEGORY.c.label, i.category_code).label("category_label"),
            i.address,
            i.geocode_label,
            i.commune_code.label("commune"),
            COMMUNE.c.name.label("commune_name"),
            i.source,
            i.source_ref,
            i.geocode_type,
            cast(func.round(cast(i.geocode_score, Numeric), 2), Float).label("geocode_score"),
            func.ST_X(i.geom).label("lon"),
            func.ST_Y(i.geom).label("lat"),
        )
        .select_from(
            INCIDENT.outerjoin(CATEGORY, CATEGORY.c.code == i.category_code).outerjoin(
                COMMUNE, COMMUNE.c.code == i.commune_code
            )
        )
        .where(where)
        .order_by(*order)
        .limit(size)
        .offset((page - 1) * size)
    )
    items = [dict(row._mapping) for row in conn.execute(query)]
    audit.record(
        conn,
        **caller.audit(),
        action="incidents",
        filters={**describe_filter(f), "page": page, "size": size, "sort": sort},
        row_count=len(items),
    )
    return {
        "total": total,
        "page": page,
        "size": size,
        "sort": ("-" if descending else "") + column,
        "items": items,
        "filter": describe_filter(f),
        "timezone": settings.timezone,
    }
