"""The figures of a pack: its statistics are observatory/figures/' (the API's), its maps come from
the same engine functions as the API's layers."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from sqlalchemy import Connection, Engine, text

from observatory.actions.evaluate import AreaLimits
from observatory.analytics import engine as stats
from observatory.analytics.filters import Filter
from observatory.analytics.hotspots import hotspots
from observatory.analytics.studyarea import (
    RESOLUTIONS,
    choose_resolution_and_k,
    study_area_cells,
)
from observatory.categories import FAMILIES
from observatory.errors import InvalidInput
from observatory.etat4001.queries import make_filters, series
from observatory.etat4001.services import list_services
from observatory.figures.change import change
from observatory.figures.communes import compare_communes, read_communes
from observatory.figures.compstat import CompStat, compstat
from observatory.figures.qpvpopulation import borrow_populations
from observatory.figures.summary import summary
from observatory.figures.territories import territories
from observatory.figures.timeslots import timeslots
from observatory.figures.trends import year_on_year
from observatory.privacy.policy import (
    ANALYST_MIN_AREA_M2,
    ETAT4001_NOT_FOR_PARTNERS,
    Disclosure,
    Kind,
    Rules,
)
from observatory.reports.actionpages import gather_actions
from observatory.reports.map_labels import commune_streets
from observatory.reports.messages import busiest_street
from observatory.reports.model import (
    Area,
    Etat4001Row,
    Etat4001Table,
    HexagonLayer,
    HotspotLayer,
    PackFigures,
)
from observatory.reports.request import PackRequest
from observatory.reports.together import group_areas, group_territories
from observatory.store.snapshot import FINEST_RESOLUTION, Snapshot

DEFAULT_RESOLUTION = 9

COMMUNE = "SELECT code, name, population, ST_AsBinary(geom) AS wkb FROM commune WHERE code = :code"
QPVS = """
SELECT code, name, population, commune_codes, ST_AsBinary(geom) AS wkb FROM qpv
WHERE generation = :generation AND CAST(:code AS varchar(5)) = ANY(commune_codes)
ORDER BY code
"""
CATEGORIES = "SELECT code, family FROM category"
ETAT4001_PER_COMMUNE = (
    "L'état 4001 se lit service par service, et un service couvre ses propres communes : "
    "ses chiffres sont dans le pack de chaque commune."
)


def gather(
    engine: Engine,
    snapshot: Snapshot,
    request: PackRequest,
    *,
    timezone: str,
    rules: Rules,
    time_slots: dict[str, str],
    kind: Kind = "full",
    now: datetime | None = None,
) -> PackFigures:
    """Every figure of the pack, as the reader (``kind``) may be told it. A partner pack is given
    the partner release as ``snapshot`` (observatory/privacy/partner.py): its values under the
    threshold are shown « < 5 ». An analyst's maps leave out the sensitive categories."""
    secrecy = Disclosure("partner" if request.partner else kind, rules)
    together = request.group  # several communes: a snapshot of theirs, no commune filter
    with engine.connect() as conn:
        commune, qpvs = group_areas(conn, request) if together else _areas(conn, request)
        family_of = {r.code: r.family for r in conn.execute(text(CATEGORIES))}
        etat = _etat4001(conn, request, secrecy)
        streets = [] if together else commune_streets(conn, commune.code, commune.geometry)
        known = read_communes(conn) if together else []
    f = Filter(
        date_from=request.first,
        date_to=request.last,
        commune=None if together else request.commune,
        generation=request.generation,
    )
    mapped = secrecy.map_query(f, 6, family_of).filter  # the maps: per the reader's query space
    finest = secrecy.unasked_resolution_limit(f)
    layer, note = _hotspots(snapshot, mapped, commune.geometry, secrecy, finest)
    resolution = layer.resolution if layer is not None else min(DEFAULT_RESOLUTION, finest)
    cells, counts = stats.hexagon_counts(snapshot, mapped, resolution)
    totals = summary(snapshot, f, family_of, secrecy)
    trend = year_on_year(snapshot, f, secrecy)
    first, last = totals.first_day, totals.last_day
    figures = PackFigures(
        request=request,
        produced_at=(now or datetime.now(ZoneInfo(timezone))).astimezone(ZoneInfo(timezone)),
        timezone=timezone,
        threshold=secrecy.threshold,
        commune=commune,
        streets=streets,
        qpvs=qpvs,
        data_range=(first, last) if first and last else None,
        total=trend.total,
        families=[
            (FAMILIES.get(family.code, family.code), family.count)
            for family in sorted(totals.families, key=lambda family: _family_rank(family.code))
        ],
        hexagons=HexagonLayer(resolution, cells, [secrecy.count(int(n)) for n in counts.tolist()]),
        hotspots=layer,
        hotspots_note=note,
        timeslots=timeslots(snapshot, f, secrecy, time_slots),
        trend=trend,
        compstat=_compstat(snapshot, f, secrecy, family_of),
        territories=group_territories(snapshot, f, commune, qpvs, secrecy)
        if together
        else territories(snapshot, f, [commune], qpvs, secrecy)[0],
        etat4001=etat,
        # Action evaluations count facts by day in small areas: not in the partner release.
        actions=[]
        if request.partner
        else [
            page
            for code in request.codes
            for page in gather_actions(
                engine,
                snapshot,
                replace(request, commune=code, communes=()),
                None,
                _limits(secrecy, family_of),
            )
        ],
        comparison=compare_communes(snapshot, f, known, frozenset(request.codes), secrecy)
        if together
        else None,
    )
    # An analyst's maps leave categories out; a partner's, every fact; the busiest street is
    # looked for in one commune's streets.
    if secrecy.kind != "full" or together:
        return figures
    with engine.connect() as conn:
        return replace(figures, hot_street=busiest_street(conn, figures))


def _limits(secrecy: Disclosure, family_of: dict[str, str]) -> AreaLimits | None:
    """An analyst's pack evaluates actions as the API does for an analyst."""
    if secrecy.kind != "analyst":
        return None
    return AreaLimits(secrecy.rules.sensitive, frozenset(family_of), ANALYST_MIN_AREA_M2)


def _family_rank(key: str) -> int:
    """The families in the nomenclature's order, the total first, any other last."""
    order = ["total", *FAMILIES]
    return order.index(key) if key in order else len(order)


def _shape(wkb: bytes) -> shapely.Geometry:
    return shapely.from_wkb(bytes(wkb))


def _areas(conn: Connection, request: PackRequest) -> tuple[Area, list[Area]]:
    row = conn.execute(text(COMMUNE), {"code": request.commune}).one_or_none()
    if row is None:
        raise InvalidInput(
            f"Commune {request.commune} inconnue : importez son contour "
            "(observatory import communes) avant de produire son pack."
        )
    commune = Area(row.code, row.name, row.population, _shape(row.wkb), (row.code,))
    qpvs = [
        Area(q.code, q.name, q.population, _shape(q.wkb), tuple(q.commune_codes))
        for q in conn.execute(
            text(QPVS), {"generation": request.generation, "code": request.commune}
        )
    ]
    return commune, borrow_populations(conn, qpvs, request.generation)


def _hotspots(
    snapshot: Snapshot, f: Filter, outline: shapely.Geometry, secrecy: Disclosure, finest: int
) -> tuple[HotspotLayer | None, str | None]:
    """Gi* over the commune's cells with the resolution (no finer than ``finest``) and k chosen
    from the data; a partner pack shows the classes only."""
    chosen = stats.select(snapshot, f)
    parents, parent = snapshot.parent_index(FINEST_RESOLUTION)
    facts = parents[parent[chosen.take(snapshot.cell)]]
    if facts.size == 0:
        return None, "Aucun fait sur la période : pas de points chauds à chercher."
    resolution, k, reason = choose_resolution_and_k(
        facts,
        area_cells=study_area_cells(outline, min(10, finest)),
        resolutions=tuple(r for r in RESOLUTIONS if r <= finest),
    )
    cells = study_area_cells(outline, resolution)
    if cells.size < 3:
        return None, "Commune trop petite pour la grille (moins de 3 hexagones)."
    counts = stats.study_counts(snapshot, f, resolution, cells)
    result = hotspots(cells, counts, k)
    return (
        HotspotLayer(
            resolution=resolution,
            k=k,
            reason=reason,
            cells=cells,
            counts=[secrecy.count(int(n)) for n in counts.tolist()],
            z=np.full(cells.size, np.nan) if secrecy.release else result.z,
            p=np.full(cells.size, np.nan) if secrecy.release else result.p,
            codes=[str(c) for c in result.code.tolist()],
            labels=[str(c) for c in result.label.tolist()],
        ),
        None,
    )


def _compstat(
    snapshot: Snapshot, f: Filter, secrecy: Disclosure, family_of: dict[str, str]
) -> CompStat:
    """The CompStat table by family, its periods ending on the last day of the pack (or of the
    data, when they stop before it)."""
    assert f.date_to is not None
    last = snapshot.last_day()
    at = f.date_to if last is None or last >= f.date_to else last
    if last is None or (f.date_from is not None and at < f.date_from):
        return CompStat(None, [], [])
    table = compstat(snapshot, f, at, family_of, FAMILIES, secrecy)
    return replace(table, rows=sorted(table.rows, key=lambda row: _family_rank(row.key)))


def _etat4001(conn: Connection, request: PackRequest, secrecy: Disclosure) -> Etat4001Table:
    """The family series of the commune's services, for the years the period touches (not in a
    partner pack: observatory/privacy/policy.py, check_etat4001)."""
    if secrecy.release:
        return Etat4001Table([], [], ETAT4001_NOT_FOR_PARTNERS)
    if request.group:
        return Etat4001Table([], [], ETAT4001_PER_COMMUNE)
    services = [
        f"{s['service']} ({s['perimeter']}, {s['department']})"
        for s in list_services(conn, commune=request.commune)
    ]
    if not services:
        return Etat4001Table(
            [],
            [],
            "Aucun service de police ou de gendarmerie n'est rattaché à la commune : rattachez-en "
            "un (observatory etat4001 services map) pour voir ses chiffres de l'état 4001.",
        )
    found = series(conn, make_filters(commune=request.commune, end=f"{request.last:%Y-%m}"))
    known = sorted({p["year"] for item in found["series"] for p in item["points"]})
    years = [y for y in known if request.first.year <= y <= request.last.year]
    note = found["note"]
    if not years and known:
        # The état 4001 comes months after the facts: show the last year there is, and say so.
        years = known[-1:]
        note = (
            f"La période n'a pas encore de chiffres de l'état 4001 : dernière année connue, "
            f"{known[-1]}. {note}"
        )
    elif not known:
        note = f"Aucun chiffre de l'état 4001 pour les services de la commune. {note}"
    rows = [
        Etat4001Row(
            item["label"],
            item["unit_label"],
            point["year"],
            point["months"],
            point["complete"],
            change(int(point["count"]), point["previous"], secrecy),
        )
        for item in found["series"]
        for point in item["points"]
        if point["year"] in years
    ]
    return Etat4001Table(services, rows, note)
