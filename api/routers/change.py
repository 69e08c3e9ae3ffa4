"""Two chosen periods compared by H3 cell: counts A and B and the Poisson z of B against A.

Police, admin and analysts read the raw facts (an analyst within the query space of the map:
sensitive categories left out, resolution 10 and finer only in whole weeks, narrow answers
audited). Partners are refused: their cells come from a noisy release, on which a Poisson z would
over-state the evidence, and two comparisons sharing a period would difference the release's
cells below the display threshold.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Query, Response

from api.datadeps import (
    AggregateReader,
    DataStateDep,
    DisclosureDep,
    FilterDep,
    NomenclatureDep,
    describe_filter,
    map_query,
)
from api.deps import Caller, SessionDep
from api.responses import GeoJSONResponse
from api.schemas.daily import ChangeLayer
from observatory import audit, geojson
from observatory.analytics.engine import hexagon_counts
from observatory.analytics.filters import Filter, parse_day
from observatory.analytics.trendstats import poisson_z
from observatory.errors import InvalidInput, NotAllowed
from observatory.figures.cellchange import SIGNIFICANT_P, cell_changes, exact_p
from observatory.grid import to_hex

router = APIRouter(tags=["couches"])

NOT_FOR_PARTNERS = (
    "La comparaison de deux périodes par hexagone n'est pas diffusée aux partenaires : leurs "
    "chiffres sont ceux de la diffusion mensuelle, bruités, sur lesquels un z de Poisson "
    "conclurait à tort. Comparez les mois publiés sur la carte, ou le tableau CompStat."
)
READING = (
    "z = 2(√B − √A'), où A' est le compte de A ramené à la durée de B : l'écart en unités de "
    "bruit, comme dans le tableau CompStat. La couleur vient du test exact de deux comptes de "
    "Poisson : rouge ou bleu quand le hasard expliquerait l'écart moins d'une fois sur 20 "
    "(p < 5 %), foncé moins d'une fois sur 1 000 ; gris sinon, quel que soit le pourcentage. "
    "Sur peu de faits, même un z de 2 reste gris (un fait contre aucun). Sur 100 hexagones "
    "sans changement réel, environ 5 seraient colorés par hasard."
)


async def change_reader(caller: AggregateReader) -> Caller:
    """Police, admin and analysts; a partner gets the French reason, before anything is read."""
    if caller.role == "partner":
        raise NotAllowed(NOT_FOR_PARTNERS)
    return caller


def _period(start: str, end: str, name: str) -> tuple[date, date]:
    first = parse_day(start, f"from_{name}")
    last = parse_day(end, f"to_{name}")
    if first is None or last is None:
        raise InvalidInput(
            f"La période {name.upper()} demande « from_{name} » et « to_{name} » (AAAA-MM-JJ)."
        )
    if first > last:
        raise InvalidInput(
            f"Période {name.upper()} vide : « from_{name} » ({first.isoformat()}) est après "
            f"« to_{name} » ({last.isoformat()})."
        )
    return first, last


def _days(f: Filter) -> int:
    assert f.date_from is not None and f.date_to is not None
    return (f.date_to - f.date_from).days + 1


@router.get(
    "/layers/change",
    summary="Deux périodes comparées par hexagone (z de Poisson)",
    description=(
        "Pour chaque hexagone non vide sur l'une des périodes A (from_a à to_a) et B (from_b à "
        "to_b) : count_a, count_b, expected_b (A ramené à la durée de B) et z = 2(√B − "
        "√expected_b), le z de Poisson du tableau CompStat, et p, le test exact de deux comptes "
        "de Poisson (B sachant A + B, binomial) ; level le lit (p < 5 % : hausse ou baisse, "
        "p < 0,1 % : forte ; sinon stable). Les autres filtres sont ceux de la carte, "
        "sans from, to ni night. Police, administrateur et analyste ; refusé aux partenaires."
    ),
    response_class=GeoJSONResponse,
    response_model=ChangeLayer,
)
def change_layer(
    caller: Annotated[Caller, Depends(change_reader)],
    f: FilterDep,
    state: DataStateDep,
    disclosure: DisclosureDep,
    nomenclature: NomenclatureDep,
    session: SessionDep,
    from_a: Annotated[str, Query(description="Période A : premier jour (AAAA-MM-JJ)")],
    to_a: Annotated[str, Query(description="Période A : dernier jour (AAAA-MM-JJ)")],
    from_b: Annotated[str, Query(description="Période B : premier jour (AAAA-MM-JJ)")],
    to_b: Annotated[str, Query(description="Période B : dernier jour (AAAA-MM-JJ)")],
    res: Annotated[int, Query(ge=6, le=11, description="Résolution H3, de 6 à 11")] = 9,
) -> Response:
    if f.date_from is not None or f.date_to is not None or f.night is not None:
        raise InvalidInput(
            "La comparaison prend ses périodes dans from_a, to_a, from_b et to_b : « from », "
            "« to » et « night » n'y ont pas de sens."
        )
    start_a, end_a = _period(from_a, to_a, "a")
    start_b, end_b = _period(from_b, to_b, "b")
    qa = map_query(disclosure, f.but(date_from=start_a, date_to=end_a), res, nomenclature)
    qb = map_query(disclosure, f.but(date_from=start_b, date_to=end_b), res, nomenclature)
    resolution = min(qa.resolution, qb.resolution)
    if disclosure.audited(qa.filter, res) or disclosure.audited(qb.filter, res):
        audit.record(
            session,
            **caller.audit(),
            action="lecture fine layers/change",
            filters={**describe_filter(f), "a": [from_a, to_a], "b": [from_b, to_b], "res": res},
            row_count=0,
        )
    snapshot = state.snapshot
    cells_a, counts_a = hexagon_counts(snapshot, qa.filter, resolution)
    cells_b, counts_b = hexagon_counts(snapshot, qb.filter, resolution)
    days_a, days_b = _days(qa.filter), _days(qb.filter)
    table = cell_changes(cells_a, counts_a, cells_b, counts_b, days_a, days_b)
    total_a, total_b = int(counts_a.sum()), int(counts_b.sum())
    p_total = exact_p(np.array([total_a]), np.array([total_b]), days_a, days_b)[0]
    features = (
        geojson.cell_feature(
            cell,
            {
                "h3": h3_id,
                "count_a": a,
                "count_b": b,
                "expected_b": round(e, 2),
                "z": round(z, 2),
                "p": float(f"{p:.3g}"),
                "level": level,
            },
        )
        for cell, h3_id, a, b, e, z, p, level in zip(
            table.cells.tolist(),
            to_hex(table.cells),
            table.count_a.tolist(),
            table.count_b.tolist(),
            table.expected_b.tolist(),
            table.z.tolist(),
            table.p.tolist(),
            table.level,
            strict=True,
        )
    )
    metadata: dict[str, Any] = {
        "resolution": resolution,
        "period_a": _echo(qa.filter, total_a),
        "period_b": _echo(qb.filter, total_b),
        "z_total": round(float(poisson_z(total_b, total_a * days_b / days_a)), 2),
        "p_total": float(f"{p_total:.3g}"),
        "significant_p": SIGNIFICANT_P,
        "reading": READING,
        "filter": describe_filter(qa.filter.but(date_from=None, date_to=None)),
    }
    note = qa.notes.get("resolution_note") or qb.notes.get("resolution_note")
    if note:
        metadata["resolution_note"] = note
    return GeoJSONResponse(geojson.collection(features, metadata=metadata))


def _echo(f: Filter, total: int) -> dict[str, Any]:
    assert f.date_from is not None and f.date_to is not None
    return {
        "from": f.date_from.isoformat(),
        "to": f.date_to.isoformat(),
        "days": _days(f),
        "total": total,
    }
