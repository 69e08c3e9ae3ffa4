"""Individual incidents as GeoJSON points: police and admin only, every read audited.

The common filters apply with the meanings of docs/guide/lire-la-carte.md « Les filtres » (the
condition is the one of the exports, observatory.exports.incident_filter). Pages run in id order:
``offset`` for a page number, or ``after`` (the last id of the page before) for a keyset that stays
cheap deep into the list.
Each call writes one audit_log row, in the transaction of the read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Float,
    Numeric,
    Select,
    Text,
    cast,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from api.datadeps import FilterDep, describe_filter
from api.deps import BIGINT_MAX, Caller, SessionDep, SettingsDep, require_role
from api.responses import GeoJSONResponse
from api.schemas.layers import IncidentLayer
from observatory import audit, exports, geojson
from observatory.exports import (
    CATEGORY,
    COMMUNE,
    INCIDENT,
    LOCAL_ISO,
    incident_chunk,
    json_object,
    with_names,
)

router = APIRouter(tags=["couches"])

MAX_LIMIT = 5000

PointReader = Annotated[Caller, Depends(require_role("admin", "police"))]


@router.get(
    "/layers/incidents",
    summary="Les faits, un point chacun (police et administrateur ; chaque lecture est tracée)",
    description=(
        "Points GeoJSON des faits du filtre, par pages dans l'ordre des identifiants : limit "
        f"(1 à {MAX_LIMIT}, 1 000 par défaut) et offset, ou after (dernier identifiant de la "
        "page précédente). Propriétés : id, occurred_at et occurred_until (heure locale ISO "
        "8601), category et category_label, address, commune et commune_name, qpv_2015, "
        "qpv_2024, et pour un fait placé par le géocodeur geocode_score (0 à 1), geocode_label "
        "(l'adresse trouvée) et geocode_type (housenumber, street ou locality ; null pour les "
        "coordonnées du fichier). metadata.total compte tous les faits du filtre ; "
        "metadata.next_after donne la suite (null à la dernière page). Chaque appel est inscrit "
        "au journal d'audit."
    ),
    response_class=GeoJSONResponse,
    response_model=IncidentLayer,
)
def incidents(
    caller: PointReader,
    f: FilterDep,
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Taille de la page")] = 1000,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX, description="Décalage")] = 0,
    after: Annotated[
        int | None,
        Query(ge=0, le=BIGINT_MAX, description="Après cet identifiant (pagination par clé)"),
    ] = None,
) -> Response:
    where = exports.incident_filter(f, settings.timezone)
    exports.start_reading(session.connection(), settings.timezone)
    total = exports.count_incidents(session.connection(), where)
    features, returned, last_id = session.execute(_page(where, limit, offset, after)).one()
    page = {"limit": limit, "offset": offset, "after": after}
    audit.record(
        session,
        **caller.audit(),
        action="layers/incidents",
        filters={**describe_filter(f), **page},
        row_count=returned,
    )
    more = returned == limit and _any_after(session, where, last_id)
    meta: dict[str, Any] = {
        "total": total,
        "returned": returned,
        **page,
        "next_after": last_id if more else None,
        "filter": describe_filter(f),
        "timezone": settings.timezone,
    }
    return GeoJSONResponse(geojson.collection([features or ""], metadata=meta))


def _page(
    where: ColumnElement[bool], limit: int, offset: int, after: int | None
) -> Select[str, int, Any]:
    """The page as (its features as JSON text joined by commas, how many, last id), in id order.

    The page is cut on `incident` alone, then joined; timestamps are written in the session's
    zone, set to the local one for this transaction.
    """
    chunk = incident_chunk(where, limit, after=after, offset=literal(offset, BigInteger))
    properties = json_object(
        id=chunk.c.id,
        occurred_at=func.to_char(chunk.c.occurred_at, LOCAL_ISO),
        occurred_until=func.to_char(chunk.c.occurred_until, LOCAL_ISO),
        category=chunk.c.category_code,
        category_label=func.coalesce(CATEGORY.c.label, chunk.c.category_code),
        address=chunk.c.address,
        commune=chunk.c.commune_code,
        commune_name=COMMUNE.c.name,
        qpv_2015=chunk.c.qpv_2015,
        qpv_2024=chunk.c.qpv_2024,
        geocode_score=cast(func.round(cast(chunk.c.geocode_score, Numeric), 2), Float),
        geocode_label=chunk.c.geocode_label,
        geocode_type=chunk.c.geocode_type,
    )
    feature = json_object(
        type="Feature",
        id=chunk.c.id,
        properties=properties,
        geometry=cast(func.ST_AsGeoJSON(chunk.c.geom, 6), JSON),
    )
    return select(
        func.string_agg(cast(feature, Text), aggregate_order_by(literal(","), chunk.c.id)),
        func.count(),
        func.max(chunk.c.id),
    ).select_from(with_names(chunk))


def _any_after(session: Session, where: ColumnElement[bool], last_id: int) -> bool:
    """Whether the filter has facts past the page (so that next_after is never a dead end)."""
    later = exists().where(where, INCIDENT.c.id > last_id)
    return bool(session.execute(select(later)).scalar_one())
