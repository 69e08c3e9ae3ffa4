"""The dependencies of the routes that read the incidents: the data state and its snapshot, the
category nomenclature, the filter, and the disclosure (what the caller may be told).

Every role reads aggregates; what each may be told is observatory/privacy/policy.py's to say.
A partner's snapshot is the published release (observatory/privacy/partner.py), so whatever a
partner is answered is computed from it alone; a released value under the display threshold
(OBS_SECRECY_THRESHOLD, 5) comes back as null with ``suppressed: true`` and is shown « < 5 »,
and the totals beside it add every released value (one total on every page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import Caller, CallerDep, SessionDep, SettingsDep, VersionsDep, require_role
from api.scoping import check_commune, check_qpv, scoped_snapshots
from observatory import audit
from observatory.analytics.engine import hexagon_counts
from observatory.analytics.filters import Filter, parse_filter
from observatory.categories import FAMILIES
from observatory.exports import HexagonTable
from observatory.models import Category
from observatory.privacy.partner import PartnerReleases
from observatory.privacy.policy import Disclosure, MapQuery, Rules
from observatory.store.incidents import IncidentStore
from observatory.store.snapshot import Snapshot

AGGREGATE_ROLES = ("admin", "police", "analyst", "partner")
AggregateReader = Annotated[Caller, Depends(require_role(*AGGREGATE_ROLES))]


@dataclass(frozen=True)
class Nomenclature:
    """Category codes with their labels and families, as the category table has them."""

    label: dict[str, str]
    family: dict[str, str]

    def family_label(self, family: str) -> str:
        return FAMILIES.get(family, family)


def load_nomenclature(session: Session) -> Nomenclature:
    rows = session.execute(select(Category.code, Category.label, Category.family)).all()
    return Nomenclature({r.code: r.label for r in rows}, {r.code: r.family for r in rows})


@dataclass(frozen=True)
class DataState:
    """The incidents as of the latest committed import as the caller may see them (its scope's
    communes only: observatory/store/scoped.py), and the version of the reference data.
    ``full`` is every commune's snapshot: only a partner's release is computed from it."""

    snapshot: Snapshot
    reference: int
    full: Snapshot | None = None
    scope: frozenset[str] | None = None


async def get_data_state(request: Request, caller: CallerDep, seen: VersionsDep) -> DataState:
    """The snapshot of the data version the request read, for a caller whose token passed
    first, restricted to the caller's scope; no query when it is loaded."""
    store: IncidentStore = request.app.state.store
    snapshot = store.loaded(seen.data, seen.stamp)
    if snapshot is None:  # a new import or a deletion to read first: in the thread pool
        snapshot = await run_in_threadpool(store.snapshot_at, seen.data, seen.stamp)
    scope = caller.communes
    if scope is None:
        return DataState(snapshot, seen.reference, snapshot, None)
    scoped = scoped_snapshots(request.app.state)
    view = await run_in_threadpool(scoped.view, snapshot, scope)
    return DataState(view, seen.reference, snapshot, scope)


DataStateDep = Annotated[DataState, Depends(get_data_state)]


async def get_snapshot(
    request: Request, state: DataStateDep, disclosure: DisclosureDep, settings: SettingsDep
) -> Snapshot:
    """The incidents as of the latest committed import; for a partner, the published release
    laid out as pseudo-facts (observatory/privacy/partner.py), never the incidents. Either is
    restricted to the caller's scope: the release is published once for every commune and
    then restricted (its tabulations are by commune), so that a scope spends no privacy budget
    of its own and two partners read the same noisy numbers for a commune they share."""
    if not disclosure.release:
        return state.snapshot
    releases: PartnerReleases = request.app.state.releases
    today = datetime.now(settings.zone).date()
    release = await run_in_threadpool(releases.view, state.full or state.snapshot, today)
    if state.scope is None:
        return release
    scoped = scoped_snapshots(request.app.state)
    return await run_in_threadpool(scoped.view, release, state.scope)


SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]


async def get_nomenclature(
    request: Request, state: DataStateDep, session: SessionDep
) -> Nomenclature:
    """The category labels and families, read again only when the reference data changed."""
    kept: tuple[int, Nomenclature] | None = getattr(request.app.state, "nomenclature", None)
    if kept is not None and kept[0] == state.reference:
        return kept[1]
    nomenclature = await run_in_threadpool(load_nomenclature, session)
    request.app.state.nomenclature = (state.reference, nomenclature)
    return nomenclature


NomenclatureDep = Annotated[Nomenclature, Depends(get_nomenclature)]


async def get_filter(
    caller: CallerDep,
    session: SessionDep,
    nomenclature: NomenclatureDep,
    disclosure: DisclosureDep,
    start: Annotated[
        str | None, Query(alias="from", description="Premier jour, inclus (AAAA-MM-JJ, local)")
    ] = None,
    to: Annotated[str | None, Query(description="Dernier jour, inclus (AAAA-MM-JJ, local)")] = None,
    categories: Annotated[
        str | None, Query(description="Codes de catégories ou de familles : vols,tapage")
    ] = None,
    hours: Annotated[str | None, Query(description="Heures locales : 22-6, 7-9,17-19")] = None,
    night: Annotated[
        str | None,
        Query(description="La nuit de ce jour 18 h au lendemain 6 h, heure locale (AAAA-MM-JJ)"),
    ] = None,
    weekdays: Annotated[str | None, Query(description="Jours, lundi 1 … dimanche 7 : 6,7")] = None,
    commune: Annotated[str | None, Query(description="Code INSEE de la commune")] = None,
    qpv: Annotated[str | None, Query(description="in, out ou un code de QPV")] = None,
    generation: Annotated[
        str | None, Query(description="Géographie prioritaire : 2015 ou 2024 (défaut 2024)")
    ] = None,
    bbox: Annotated[str | None, Query(description="ouest,sud,est,nord (WGS84)")] = None,
    precision: Annotated[
        str | None,
        Query(
            description="housenumber : seulement les faits aux coordonnées du fichier ou "
            "géocodés au numéro (sans ceux placés à la rue ou au lieu-dit)"
        ),
    ] = None,
) -> Filter:
    params = {
        "from": start,
        "to": to,
        "categories": categories,
        "hours": hours,
        "night": night,
        "weekdays": weekdays,
        "commune": commune,
        "qpv": qpv,
        "generation": generation,
        "bbox": bbox,
        "precision": precision,
    }
    parsed = parse_filter(params, categories=nomenclature.family)
    scope = caller.communes
    check_commune(scope, parsed.commune)
    if scope is not None and parsed.qpv not in (None, "in", "out"):
        await run_in_threadpool(check_qpv, session, scope, parsed.qpv)
    return disclosure.table_filter(parsed.but(scope=scope), nomenclature.family)


FilterDep = Annotated[Filter, Depends(get_filter)]


async def audit_narrow(
    request: Request,
    caller: AggregateReader,
    disclosure: DisclosureDep,
    f: FilterDep,
    res: Annotated[int | None, Query(include_in_schema=False)] = None,
) -> None:
    """An analyst's narrow answer (a short period, or cells of resolution 10 or finer) is
    written to the audit log like a point read, before it is computed or taken from the cache.
    ``res`` is read as the routes read it (« 10.0 » or « +10 » is 10 for them too)."""
    resolution = res
    if not disclosure.audited(f, resolution):
        return

    def write() -> None:
        with request.app.state.sessionmaker.begin() as session:
            audit.record(
                session,
                **caller.audit(),
                action="lecture fine " + request.url.path.removeprefix("/api/v1/"),
                filters={**describe_filter(f), "res": resolution},
                row_count=0,
            )

    await run_in_threadpool(write)


AuditNarrow = Depends(audit_narrow)


def map_query(disclosure: Disclosure, f: Filter, res: int, nomenclature: Nomenclature) -> MapQuery:
    """The question about cells as the caller's query space lets it be answered."""
    return disclosure.map_query(f, res, nomenclature.family)


async def get_disclosure(
    caller: AggregateReader, settings: SettingsDep, state: DataStateDep
) -> Disclosure:
    """What the caller may be told (observatory/privacy/policy.py); the data's first and last
    day close an open-ended period when the policy weighs how narrow it is."""
    first, last = state.snapshot.first_day(), state.snapshot.last_day()
    span = (first, last) if first and last else None
    return Disclosure.for_role(caller.role, Rules.of(settings), span)


DisclosureDep = Annotated[Disclosure, Depends(get_disclosure)]


@dataclass(frozen=True)
class MapRequest:
    """What a route about cells reads: the caller (any role that reads aggregates), the filter,
    the snapshot, the disclosure and the category nomenclature."""

    caller: Caller
    filter: Filter
    snapshot: Snapshot
    disclosure: Disclosure
    nomenclature: Nomenclature

    def query(self, res: int) -> MapQuery:
        """The question about cells at ``res`` as the caller's query space lets it be answered."""
        return map_query(self.disclosure, self.filter, res, self.nomenclature)

    def echo(self, query: MapQuery) -> dict[str, Any]:
        """What a map answer ends with: the query space's notes, the filter as understood, the
        data version and the privacy treatment."""
        return {
            **query.notes,
            "filter": describe_filter(query.filter),
            "data_version": self.snapshot.version,
            **self.disclosure.describe(),
        }

    def hexagons(self, res: int) -> HexagonCounts:
        """The hexagon counts of /layers/hexagons and of its export, with their metadata."""
        query = self.query(res)
        cells, counts = hexagon_counts(self.snapshot, query.filter, query.resolution)
        table = HexagonTable(
            query.resolution,
            cells.tolist(),
            [None if self.disclosure.hides(c) else c for c in counts.tolist()],
            int(counts.sum()),
        )
        metadata = {
            "resolution": query.resolution,
            "total": self.disclosure.count(table.total),
            **self.echo(query),
        }
        return HexagonCounts(query, table, metadata)


@dataclass(frozen=True)
class HexagonCounts:
    """The hexagon layer: the question answered, the counts to show, the metadata."""

    query: MapQuery
    table: HexagonTable
    metadata: dict[str, Any]


async def get_map_request(
    caller: AggregateReader,
    f: FilterDep,
    snapshot: SnapshotDep,
    disclosure: DisclosureDep,
    nomenclature: NomenclatureDep,
) -> MapRequest:
    return MapRequest(caller, f, snapshot, disclosure, nomenclature)


MapRequestDep = Annotated[MapRequest, Depends(get_map_request)]


def describe_filter(f: Filter) -> dict[str, Any]:
    """The filter as it was understood, echoed in every answer."""
    return {
        "from": f.date_from.isoformat() if f.date_from else None,
        "to": f.date_to.isoformat() if f.date_to else None,
        "categories": sorted(f.categories) if f.categories is not None else None,
        "hours": sorted(f.hours) if f.hours is not None else None,
        "weekdays": sorted(f.weekdays) if f.weekdays is not None else None,
        "commune": f.commune,
        "qpv": f.qpv,
        "generation": f.generation,
        "bbox": list(f.bbox) if f.bbox else None,
        "precision": f.precision,
        "night": f.night.isoformat() if f.night else None,
    }
