"""The figures of a pack, from the same engine functions as the API's layers and statistics."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from sqlalchemy import Connection, Engine, text

from observatory.actions.evaluate import AreaLimits
from observatory.analytics import engine as stats
from observatory.analytics.filters import Filter, parse_hours
from observatory.analytics.hotspots import hotspots
from observatory.analytics.studyarea import (
    RESOLUTIONS,
    choose_resolution_and_k,
    study_area_cells,
)
from observatory.analytics.trendstats import mann_kendall, percent_change, poisson_z
from observatory.categories import FAMILIES
from observatory.errors import InvalidInput
from observatory.etat4001.queries import make_filters, series
from observatory.etat4001.services import list_services
from observatory.privacy.policy import (
    ANALYST_MIN_AREA_M2,
    ETAT4001_NOT_FOR_PARTNERS,
    Disclosure,
    Kind,
    Rules,
)
from observatory.reports.actionpages import gather_actions
from observatory.reports.model import (
    Area,
    Change,
    CompStat,
    CompStatRow,
    Etat4001Row,
    Etat4001Table,
    HexagonLayer,
    HotspotLayer,
    MonthPoint,
    PackFigures,
    Slot,
    TerritoryRow,
    TimeSlots,
    Trend,
)
from observatory.reports.request import PackRequest
from observatory.store.snapshot import FINEST_RESOLUTION, Snapshot

DEFAULT_RESOLUTION = 9

COMMUNE = "SELECT code, name, population, ST_AsBinary(geom) AS wkb FROM commune WHERE code = :code"
QPVS = """
SELECT code, name, population, commune_codes, ST_AsBinary(geom) AS wkb FROM qpv
WHERE generation = :generation AND CAST(:code AS varchar(5)) = ANY(commune_codes)
ORDER BY code
"""
CATEGORIES = "SELECT code, family FROM category"


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
    with engine.connect() as conn:
        commune, qpvs = _areas(conn, request)
        family_of = {r.code: r.family for r in conn.execute(text(CATEGORIES))}
        etat = _etat4001(conn, request, secrecy)
    f = Filter(
        date_from=request.first,
        date_to=request.last,
        commune=request.commune,
        generation=request.generation,
    )
    mapped = secrecy.map_query(f, 6, family_of).filter  # the maps: per the reader's query space
    finest = secrecy.unasked_resolution_limit(f)
    layer, note = _hotspots(snapshot, mapped, commune.geometry, secrecy, finest)
    resolution = layer.resolution if layer is not None else min(DEFAULT_RESOLUTION, finest)
    cells, counts = stats.hexagon_counts(snapshot, mapped, resolution)
    by_family: dict[str, int] = {}
    for code, n in stats.category_counts(snapshot, f).items():
        family = family_of.get(code, "autres")
        by_family[family] = by_family.get(family, 0) + n
    trend = _trend(snapshot, f, secrecy)
    first, last = snapshot.first_day(), snapshot.last_day()
    return PackFigures(
        request=request,
        produced_at=(now or datetime.now(ZoneInfo(timezone))).astimezone(ZoneInfo(timezone)),
        timezone=timezone,
        threshold=secrecy.threshold,
        commune=commune,
        qpvs=qpvs,
        data_range=(first, last) if first and last else None,
        total=trend.total,
        families=[(FAMILIES.get(k, k), secrecy.count(n)) for k, n in _ordered(by_family)],
        hexagons=HexagonLayer(resolution, cells, [secrecy.count(int(n)) for n in counts.tolist()]),
        hotspots=layer,
        hotspots_note=note,
        timeslots=_timeslots(snapshot, f, secrecy, time_slots),
        trend=trend,
        compstat=_compstat(snapshot, f, secrecy, family_of),
        territories=_territories(snapshot, f, secrecy, commune, qpvs),
        etat4001=etat,
        # Action evaluations count facts by day in small areas: not in the partner release.
        actions=[]
        if request.partner
        else gather_actions(engine, snapshot, request, None, _limits(secrecy, family_of)),
    )


def _limits(secrecy: Disclosure, family_of: dict[str, str]) -> AreaLimits | None:
    """An analyst's pack evaluates actions as the API does for an analyst."""
    if secrecy.kind != "analyst":
        return None
    return AreaLimits(secrecy.rules.sensitive, frozenset(family_of), ANALYST_MIN_AREA_M2)


def _ordered(values: dict[str, int]) -> list[tuple[str, int]]:
    order = list(FAMILIES)
    return sorted(values.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)


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
    return commune, qpvs


def _change(current: int, previous: int | None, secrecy: Disclosure) -> Change:
    """A count against another, as the API's CompStat rows give it."""
    if previous is None:
        return Change(secrecy.count(current), None, None, None)
    hidden = secrecy.hides(current) or secrecy.hides(previous)
    return Change(
        secrecy.count(current),
        secrecy.count(previous),
        None if hidden else percent_change(current, previous),
        # Released (noisy) counts: the Poisson z would over-state the evidence.
        None if hidden or secrecy.release else poisson_z(current, previous),
        previous_hidden=secrecy.hides(previous),
    )


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


def _timeslots(
    snapshot: Snapshot, f: Filter, secrecy: Disclosure, time_slots: dict[str, str]
) -> TimeSlots:
    raw = stats.week_hours(snapshot, f)
    total = float(raw.sum())
    by_hour = raw.reshape(7, 24).sum(axis=0)
    slots = []
    for name, spec in time_slots.items():
        value = float(sum(by_hour[h] for h in parse_hours(spec) or ()))
        hidden = secrecy.hides(value)
        share = value / total if total and not hidden else None
        slots.append(Slot(name, spec, secrecy.amount(value), share))
    matrix = [[secrecy.amount(v) for v in row] for row in stats.matrix_rows(raw)]
    return TimeSlots(matrix, slots, total)


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _trend(snapshot: Snapshot, f: Filter, secrecy: Disclosure) -> Trend:
    """Each month of the period and the same month a year before (when the data reach it)."""
    assert f.date_from is not None and f.date_to is not None
    start = _months_before(f.date_from, 12)
    result = stats.series(snapshot, f.but(date_from=start), "month", None)
    counts = result.counts[:, 0].astype(np.int64) if result.starts else np.zeros(0, np.int64)
    first, last = snapshot.first_day(), snapshot.last_day()
    # The months the data cover: before or after them, a year-before count is unknown, not 0.
    known = (date(first.year, first.month, 1), last) if first and last else None
    points = []
    current_total, previous_total, comparable = 0, 0, True
    for i, month in enumerate(result.starts):
        if month < f.date_from:
            continue
        previous: int | None = None
        if i >= 12 and known is not None and known[0] <= result.starts[i - 12] <= known[1]:
            previous = int(counts[i - 12])
        points.append(MonthPoint(month, _change(int(counts[i]), previous, secrecy)))
        current_total += int(counts[i])
        comparable = comparable and previous is not None
        previous_total += previous or 0
    period = np.array([int(counts[i]) for i, m in enumerate(result.starts) if m >= f.date_from])
    test = mann_kendall(period.astype(np.float64))
    total = _change(current_total, previous_total if comparable and points else None, secrecy)
    return Trend(points, total, test.trend, test.p, test.slope, test.n, withheld=False)


def _compstat(
    snapshot: Snapshot, f: Filter, secrecy: Disclosure, family_of: dict[str, str]
) -> CompStat:
    """The CompStat table by family, its periods ending on the last day of the pack."""
    assert f.date_to is not None
    last = snapshot.last_day()
    at = f.date_to if last is None or last >= f.date_to else last
    if last is None or (f.date_from is not None and at < f.date_from):
        return CompStat(None, [], [])
    # The partner release is monthly: a partner pack compares whole months.
    windows = (stats.compstat_month_windows if secrecy.release else stats.compstat_windows)(at)
    grouped = [
        (
            _by_family(stats.window_counts(snapshot, f, start, stop), family_of),
            _by_family(stats.window_counts(snapshot, f, prev_start, prev_stop), family_of),
        )
        for _name, start, stop, prev_start, prev_stop in windows
    ]
    # Every family has one figure per window, zeros included, so that the columns line up.
    keys = {"total"}.union(*(set(now) | set(before) for now, before in grouped))
    figures = {
        key: [(now.get(key, 0), before.get(key, 0)) for now, before in grouped] for key in keys
    }
    order = ["total", *list(FAMILIES)]
    rows = [
        CompStatRow(
            "Ensemble des faits" if key == "total" else FAMILIES.get(key, key),
            [_change(c, p, secrecy) for c, p in figures[key]],
        )
        for key in sorted(figures, key=lambda k: order.index(k) if k in order else 99)
    ]
    return CompStat(at, windows, rows)


def _by_family(counts: dict[str, int], family_of: dict[str, str]) -> dict[str, int]:
    out = {"total": sum(counts.values())}
    for code, n in counts.items():
        family = family_of.get(code, "autres")
        out[family] = out.get(family, 0) + n
    return out


def _territories(
    snapshot: Snapshot, f: Filter, secrecy: Disclosure, commune: Area, qpvs: list[Area]
) -> list[TerritoryRow]:
    """Each QPV (all its facts), the rest of the commune and the commune, as the API says."""
    by_qpv, outside, whole = stats.territory_counts(snapshot, f, f.generation, [commune.code])
    total = sum(whole.get(commune.code, {}).values())
    rest_population = None
    if commune.population is not None and all(
        q.population is not None and len(q.communes) == 1 for q in qpvs
    ):
        rest_population = commune.population - sum(q.population or 0 for q in qpvs)
    parts = [sum(by_qpv.get(q.code, {}).values()) for q in qpvs]
    parts.append(sum(outside.get(commune.code, {}).values()))
    # Partner pack: released values under the threshold are shown « < 5 » (the release's
    # noise protects them; no complementary suppression is needed).
    hidden = {i for i, n in enumerate(parts) if secrecy.hides(n)}
    total_hidden = secrecy.hides(total)

    def row(kind: str, area: Area, count: int, population: int | None, hide: bool) -> TerritoryRow:
        hide = hide or total_hidden
        return TerritoryRow(
            kind,
            area.code,
            area.name,
            None if hide else count,
            None if hide or total_hidden or not total else count / total,
            population,
            None if hide or not population else 1000 * count / population,
        )

    rows = [row("qpv", q, parts[i], q.population, i in hidden) for i, q in enumerate(qpvs)]
    rest = Area(commune.code, "Reste de la commune (hors QPV)", None, None)
    rows.append(row("reste", rest, parts[-1], rest_population, len(qpvs) in hidden))
    rows.append(row("commune", commune, total, commune.population, False))
    return rows


def _etat4001(conn: Connection, request: PackRequest, secrecy: Disclosure) -> Etat4001Table:
    """The family series of the commune's services, for the years the period touches (not in a
    partner pack: observatory/privacy/policy.py, check_etat4001)."""
    if secrecy.release:
        return Etat4001Table([], [], ETAT4001_NOT_FOR_PARTNERS)
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
            _change(int(point["count"]), point["previous"], secrecy),
        )
        for item in found["series"]
        for point in item["points"]
        if point["year"] in years
    ]
    return Etat4001Table(services, rows, note)
