"""A zone drawn on the map or uploaded, and its figures for the current filter.

POST, the polygon in the body (GeoJSON, WGS84), the filter in the query as every statistic has
it. Admin and police count the facts inside; an analyst whole cells (observatory/zones.py); a
partner is refused (403), before any figure is computed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from api.datadeps import (
    DisclosureDep,
    FilterDep,
    NomenclatureDep,
    SnapshotDep,
    describe_filter,
)
from api.deps import Caller, CallerDep, SessionDep
from api.errors import BODY_ERRORS
from api.schemas.zones import ZoneAnswer
from observatory import audit
from observatory.analytics import engine
from observatory.errors import NotAllowed
from observatory.figures.summary import summary as summary_figure
from observatory.zones import (
    PARTNER_REFUSAL,
    WEEKS_NOTE,
    by_whole_weeks,
    check_zone,
    months_of_weeks,
    zone_filter,
)

router = APIRouter(tags=["statistiques"])


async def zone_reader(caller: CallerDep) -> Caller:
    """Anyone but a partner (a free polygon over the release would be differenced)."""
    if caller.role == "partner":
        raise NotAllowed(PARTNER_REFUSAL)
    return caller


ZoneReader = Annotated[Caller, Depends(zone_reader)]
ZoneBody = Annotated[
    dict[str, Any],
    Body(description="La zone : polygone GeoJSON (géométrie, Feature ou FeatureCollection)"),
]


@router.post(
    "/stats/zone",
    summary="Les chiffres d'une zone dessinée ou téléversée",
    description=(
        "Total, familles et catégories, série mensuelle et matrice jour × heure des faits du "
        "filtre dans le polygone envoyé (GeoJSON WGS84, au plus 2 000 sommets et 1 000 km²). "
        "Un analyste reçoit les comptes d'hexagones entiers de sa résolution la plus fine "
        "(par leur centre), jamais moins d'un hexagone ; un partenaire est refusé."
    ),
    response_model=ZoneAnswer,
    responses=BODY_ERRORS,
)
def zone_figures(
    caller: ZoneReader,
    body: ZoneBody,
    f: FilterDep,
    snapshot: SnapshotDep,
    disclosure: DisclosureDep,
    nomenclature: NomenclatureDep,
    session: SessionDep,
) -> dict[str, Any]:
    zone = check_zone(body)
    narrowed, shape = zone_filter(disclosure, f, zone, nomenclature.family)
    figure = summary_figure(snapshot, narrowed, nomenclature.family, disclosure)
    weeks_only = by_whole_weeks(disclosure, shape["resolution"])
    if weeks_only:
        months = months_of_weeks(engine.series(snapshot, narrowed, "week", None))
        timeslots: list[list[float]] = []
        shape["note"] = (shape.get("note") or "") + WEEKS_NOTE
    else:
        series = engine.series(snapshot, narrowed, "month", None)
        months = [
            {"start": start, "count": int(series.counts[i, 0]), "complete": complete}
            for i, (start, complete) in enumerate(zip(series.starts, series.complete, strict=True))
        ]
        week = engine.week_hours(snapshot, narrowed)
        timeslots = [[round(v, 4) for v in row] for row in engine.matrix_rows(week)]
    if disclosure.kind == "analyst":
        # Counted at the analyst's finest cells: on record like any such answer.
        audit.record(
            session,
            **caller.audit(),
            action="chiffres d'une zone",
            filters={**describe_filter(narrowed), "zone_cells": shape["cells"]},
            row_count=0,
        )
    extra = {k: v for k, v in shape.items() if k in ("period_widened", "excluded_categories")}
    return {
        "filter": describe_filter(narrowed),
        "total": figure.total,
        "categories": [
            {
                "code": c.code,
                "label": nomenclature.label.get(c.code, c.code),
                "family": nomenclature.family.get(c.code, "autres"),
                "count": c.count,
                "suppressed": c.suppressed,
            }
            for c in figure.categories
        ],
        "families": [
            {
                "code": fam.code,
                "label": nomenclature.family_label(fam.code),
                "count": fam.count,
                "suppressed": fam.suppressed,
            }
            for fam in figure.families
        ],
        "data_range": {"first": figure.first_day, "last": figure.last_day},
        "zone": {
            "area_m2": round(zone.area_m2, 1),
            "vertices": zone.vertices,
            "cells": shape["cells"],
            "resolution": shape["resolution"],
            "note": shape.get("note"),
        },
        "months": months,
        "timeslots": timeslots,
        **extra,
        "data_version": snapshot.version,
        **disclosure.describe(),
    }
