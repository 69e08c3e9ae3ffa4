"""The intercommunal view: the communes of the caller's scope side by side (a CISPD's, an
EPCI's coordinator). The figures are observatory/figures/communes.py's."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter

from api.cache import cached
from api.datadeps import (
    AggregateReader,
    AuditNarrow,
    DisclosureDep,
    FilterDep,
    SnapshotDep,
    describe_filter,
)
from api.deps import SessionDep
from api.schemas.communes import CommunesAnswer
from observatory.figures.communes import CommuneRow, compare_communes, read_communes
from observatory.scopes import as_list

router = APIRouter(tags=["statistiques"], dependencies=[AuditNarrow])


def _number(value: float | None, digits: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def row_answer(row: CommuneRow) -> dict[str, Any]:
    """One row as the answer (and the pack) writes it."""
    return {
        "code": row.code,
        "name": row.name,
        "population": row.population,
        "count": row.count,
        "suppressed": row.suppressed,
        "rate_per_1000": _number(row.rate_per_1000, 2),
        "previous": row.change.previous,
        "previous_suppressed": row.change.previous_hidden,
        "previous_rate_per_1000": _number(row.previous_rate_per_1000, 2),
        "change_percent": _number(row.change.percent, 1),
        "z": _number(row.change.z, 2),
        "qpv_count": row.qpv_count,
        "qpv_share": _number(row.qpv_share, 4),
    }


@router.get(
    "/stats/communes",
    summary="Comparaison des communes du périmètre : faits, taux, évolution, part en QPV",
    description=(
        "Une ligne par commune du périmètre de l'appelant (toutes les communes connues pour un "
        "périmètre sans limite) qui a des faits ou une population chargée, et une ligne de "
        "total. La période est celle du filtre (à défaut, celle des données) ; elle est "
        "comparée à la précédente de même durée (autant de mois entiers pour une période de "
        "mois entiers), si les données la couvrent. z = 2(√C − √P), comme le tableau "
        "CompStat (pas pour un partenaire). Part en QPV : faits dans un QPV de la géographie "
        "choisie sur les faits de la commune."
    ),
)
@cached
def communes(
    caller: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    disclosure: DisclosureDep,
    session: SessionDep,
) -> CommunesAnswer:
    figure = compare_communes(snapshot, f, read_communes(session), caller.communes, disclosure)
    period = figure.period
    return CommunesAnswer.model_validate(
        {
            "filter": describe_filter(f),
            "scope": as_list(caller.communes),
            "period": None
            if period is None
            else {
                "start": period.start,
                "end": period.end,
                "days": period.days,
                "previous_start": period.previous_start,
                "previous_end": period.previous_end,
                "comparable": period.comparable,
            },
            "communes": [row_answer(r) for r in figure.rows],
            "total": row_answer(figure.total),
            "data_version": snapshot.version,
            **disclosure.describe(),
        }
    )
