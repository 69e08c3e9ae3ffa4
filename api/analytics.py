"""What the layers and statistics routers share: the filter, the snapshot, small-count secrecy.

Roles: admin, police and analyst read every aggregate; a partner reads them too, but any count
under the secrecy threshold (OBS_SECRECY_THRESHOLD, 5 by default) comes back as null with
``suppressed: true`` (DESIGN.md, "Privacy and roles").

No hidden count can be recovered from the same answer: every total, sum, share, rate or change
shown beside hidden counts is computed from the counts shown only (hidden ones count as 0), and
a statistic that would need a hidden count (a change against a hidden month, a trend test over a
series with hidden months) is withheld. Tables with two margins (the QPV table: territories ×
categories) hide a category in every row when it is hidden in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import Caller, SessionDep, SettingsDep, VersionsDep, require_role
from observatory.analytics.filters import Filter, parse_filter
from observatory.analytics.store import IncidentStore, Snapshot
from observatory.categories import FAMILIES
from observatory.models import Category

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
    """The incidents as of the latest committed import, and the version of the reference data."""

    snapshot: Snapshot
    reference: int


async def get_data_state(request: Request, seen: VersionsDep) -> DataState:
    """The snapshot of the data version the token check read; no query when it is loaded."""
    store: IncidentStore = request.app.state.store
    snapshot = store.loaded(seen.data, seen.stamp)
    if snapshot is None:  # a new import to read first (or a reload): in the thread pool
        snapshot = await run_in_threadpool(store.snapshot_at, seen.data, seen.stamp, False)
    return DataState(snapshot, seen.reference)


DataStateDep = Annotated[DataState, Depends(get_data_state)]


async def get_snapshot(state: DataStateDep) -> Snapshot:
    """The incidents as of the latest committed import."""
    return state.snapshot


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
    nomenclature: NomenclatureDep,
    start: Annotated[
        str | None, Query(alias="from", description="Premier jour, inclus (AAAA-MM-JJ, local)")
    ] = None,
    to: Annotated[str | None, Query(description="Dernier jour, inclus (AAAA-MM-JJ, local)")] = None,
    categories: Annotated[
        str | None, Query(description="Codes de catégories ou de familles : vols,tapage")
    ] = None,
    hours: Annotated[str | None, Query(description="Heures locales : 22-6, 7-9,17-19")] = None,
    weekdays: Annotated[str | None, Query(description="Jours, lundi 1 … dimanche 7 : 6,7")] = None,
    commune: Annotated[str | None, Query(description="Code INSEE de la commune")] = None,
    qpv: Annotated[str | None, Query(description="in, out ou un code de QPV")] = None,
    generation: Annotated[
        str | None, Query(description="Géographie prioritaire : 2015 ou 2024 (défaut 2024)")
    ] = None,
    bbox: Annotated[str | None, Query(description="ouest,sud,est,nord (WGS84)")] = None,
) -> Filter:
    params = {
        "from": start,
        "to": to,
        "categories": categories,
        "hours": hours,
        "weekdays": weekdays,
        "commune": commune,
        "qpv": qpv,
        "generation": generation,
        "bbox": bbox,
    }
    return parse_filter(params, categories=nomenclature.family)


FilterDep = Annotated[Filter, Depends(get_filter)]


@dataclass(frozen=True)
class Secrecy:
    """Small-count suppression for the caller: a threshold for partners, none for others."""

    threshold: int | None

    def count(self, value: float | int) -> float | int | None:
        if self.threshold is not None and 0 < value < self.threshold:
            return None
        return value

    def hides(self, value: float | int) -> bool:
        return self.threshold is not None and 0 < value < self.threshold

    def hidden(self, values: np.ndarray) -> np.ndarray:
        """Where an array's values are hidden (all False when nothing is)."""
        values = np.asarray(values)
        if self.threshold is None:
            return np.zeros(values.shape, dtype=bool)
        return (values > 0) & (values < self.threshold)

    def shown(self, values: np.ndarray) -> np.ndarray:
        """The values, the hidden ones as 0: what sums shown beside them must add up."""
        values = np.asarray(values)
        return np.where(self.hidden(values), 0, values)

    @property
    def applies(self) -> bool:
        return self.threshold is not None

    def describe(self) -> dict[str, Any]:
        return {"suppression_threshold": self.threshold}


async def get_secrecy(caller: AggregateReader, settings: SettingsDep) -> Secrecy:
    return Secrecy(settings.secrecy_threshold if caller.role == "partner" else None)


SecrecyDep = Annotated[Secrecy, Depends(get_secrecy)]


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
    }
