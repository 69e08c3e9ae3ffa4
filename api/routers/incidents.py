"""Individual incidents as GeoJSON points: police and admin only, every read audited.

The common filters apply with the meanings of README "Analyses" (the WHERE clause is the one of
observatory.analytics.plainsql). Pages run in id order: ``offset`` for a page number, or
``after`` (the last id of the page before) for a keyset that stays cheap deep into the list.
Each call writes one audit_log row, in the transaction of the read.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.analytics import FilterDep, describe_filter
from api.deps import BIGINT_MAX, Caller, SessionDep, SettingsDep, require_role
from observatory.analytics.plainsql import where_clause
from observatory.models import AuditLog

router = APIRouter(tags=["couches"])

GEOJSON = "application/geo+json"
MAX_LIMIT = 5000

PointReader = Annotated[Caller, Depends(require_role("admin", "police"))]

# The page is cut in a subquery on `incident` alone: where_clause names its columns unqualified.
# Timestamps are written in the session's zone, set to the local one for this transaction.
PAGE = """
SELECT coalesce(json_agg(json_build_object(
    'type', 'Feature',
    'id', i.id,
    'properties', json_build_object(
        'id', i.id,
        'occurred_at', to_char(i.occurred_at, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM'),
        'occurred_until', to_char(i.occurred_until, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM'),
        'category', i.category_code,
        'category_label', coalesce(c.label, i.category_code),
        'address', i.address,
        'commune', i.commune_code,
        'commune_name', m.name,
        'qpv_2015', i.qpv_2015,
        'qpv_2024', i.qpv_2024),
    'geometry', ST_AsGeoJSON(i.geom, 6)::json) ORDER BY i.id), '[]'::json)::text,
    count(*), max(i.id)
FROM (
    SELECT id, occurred_at, occurred_until, category_code, address, commune_code,
           qpv_2015, qpv_2024, geom
    FROM incident
    WHERE ({where}) AND (CAST(:after AS bigint) IS NULL OR id > CAST(:after AS bigint))
    ORDER BY id
    LIMIT :limit OFFSET :offset
) AS i
LEFT JOIN category AS c ON c.code = i.category_code
LEFT JOIN commune AS m ON m.code = i.commune_code
"""


@router.get(
    "/layers/incidents",
    summary="Les faits, un point chacun (police et administrateur ; chaque lecture est tracée)",
    description=(
        "Points GeoJSON des faits du filtre, par pages dans l'ordre des identifiants : limit "
        f"(1 à {MAX_LIMIT}, 1 000 par défaut) et offset, ou after (dernier identifiant de la "
        "page précédente). Propriétés : id, occurred_at et occurred_until (heure locale ISO "
        "8601), category et category_label, address, commune et commune_name, qpv_2015, "
        "qpv_2024. metadata.total compte tous les faits du filtre ; metadata.next_after "
        "donne la suite (null à la dernière page). Chaque appel est inscrit au journal d'audit."
    ),
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
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
    where, params = where_clause(f, settings.timezone)
    if f.bbox is not None:
        # The same box again, in a form the GiST index on geom can use (edges included too).
        where += " AND geom && ST_MakeEnvelope(:west, :south, :east, :north, 4326)"
    session.execute(text("SELECT set_config('TimeZone', :zone, true)"), {"zone": settings.timezone})
    total = session.execute(
        text(f"SELECT count(*) FROM incident WHERE {where}"),  # noqa: S608 - allow-listed pieces
        params,
    ).scalar_one()
    features, returned, last_id = session.execute(
        text(PAGE.format(where=where)),
        {**params, "limit": limit, "offset": offset, "after": after},
    ).one()
    page = {"limit": limit, "offset": offset, "after": after}
    session.add(
        AuditLog(
            token_id=caller.token_id,
            actor=caller.name,
            role=caller.role,
            action="layers/incidents",
            filters={**describe_filter(f), **page},
            row_count=returned,
        )
    )
    session.flush()
    more = returned == limit and _any_after(session, where, params, last_id)
    meta: dict[str, Any] = {
        "total": total,
        "returned": returned,
        **page,
        "next_after": last_id if more else None,
        "filter": describe_filter(f),
        "timezone": settings.timezone,
    }
    body = (
        '{"type":"FeatureCollection",'
        f'"metadata":{json.dumps(meta, ensure_ascii=False)},'
        f'"features":{features}}}'
    )
    return Response(body, media_type=GEOJSON)


def _any_after(session: Session, where: str, params: dict[str, Any], last_id: int) -> bool:
    """Whether the filter has facts past the page (so that next_after is never a dead end)."""
    sql = f"SELECT EXISTS (SELECT 1 FROM incident WHERE ({where}) AND id > :last)"  # noqa: S608
    return bool(session.execute(text(sql), {**params, "last": last_id}).scalar_one())
