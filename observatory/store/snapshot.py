"""The columnar copy of the incidents that the API aggregates from (DESIGN.md, "Speed").

PostgreSQL stays the system of record; a GROUP BY over millions of rows is too slow there for a
map that refilters at every click. The store keeps, per incident, only what the analyses need,
in numpy arrays sorted by local day (a period is then a slice), about 34 bytes an incident:

====================  =======  ==================================================
local day             int16    days since 2000-01-01, local time
hour of the week      uint8    0 = Monday 0 h … 167, local time of the start
category              uint8    position in ``categories``
commune               uint16   position in ``communes`` + 1 (0: unknown)
QPV 2015 / 2024       uint16   position in ``qpvs`` + 1 (0: outside every QPV)
cell                  int32    position of the resolution-11 parent in ``cells``
lon, lat              float64  the point, for bbox filters
interval              int32    position in the interval facts' segments (-1: none)
coarse                bool     placed by the geocoder at the street or lieu-dit only
====================  =======  ==================================================

Coarser cells are parents of the resolution-11 cells, mapped once per snapshot, so counting at
any resolution is two ``bincount`` calls. A snapshot never changes: a request works on the one
it got while the next is built. After each committed import (observatory/changes.py) only the
new batches are read and merged in (observatory/store/incidents.py); anything else rebuilds the
snapshot. This module builds snapshots from rows already read (observatory/store/read.py): numpy
only, no database.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from observatory.grid import parent_cells
from observatory.localtime import Clock, Segments, interval_segments

FINEST_RESOLUTION = 11
RESOLUTIONS = range(6, FINEST_RESOLUTION + 1)
GENERATIONS = (2015, 2024)
DAY_ZERO = date(2000, 1, 1)
DAY_ZERO_ORDINAL = DAY_ZERO.toordinal()


@dataclass
class Columns:
    """Rows read from the database, before sorting (positions refer to the code lists)."""

    day: np.ndarray
    how: np.ndarray
    category: np.ndarray
    commune: np.ndarray
    qpv_2015: np.ndarray
    qpv_2024: np.ndarray
    cell11: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    start_s: np.ndarray
    until_s: np.ndarray
    # Geocoded at the street or the lieu-dit, not at a house number (all False when not given).
    coarse: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.coarse is None:
            self.coarse = np.zeros(self.day.size, dtype=bool)

    @property
    def size(self) -> int:
        return int(self.day.size)


@dataclass(frozen=True)
class Snapshot:
    """Every incident of one data version, column by column, sorted by local day."""

    version: int
    zone: str
    day: np.ndarray
    how: np.ndarray
    category: np.ndarray
    commune: np.ndarray
    qpv: dict[int, np.ndarray]
    cell: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    interval: np.ndarray
    segments: Segments
    categories: tuple[str, ...]
    communes: tuple[str, ...]
    qpvs: tuple[str, ...]
    cells: np.ndarray  # the distinct resolution-11 cells, sorted
    parents: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # When the change that made this version was committed (observatory/changes.py): emptied
    # or restored, the log may hand the same version out again, with another stamp.
    stamp: int = 0
    # A partner release (observatory/privacy/partner.py): its published months; None otherwise.
    release_months: tuple[date, ...] | None = None
    # Placed by the geocoder at the street or lieu-dit only (the `precision` filter); None in
    # a partner release, which does not measure it.
    coarse: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(self.day.size)

    def nbytes(self) -> int:
        """Memory held by the per-incident arrays and the interval segments."""
        arrays = [self.day, self.how, self.category, self.commune, self.cell, self.lon]
        arrays += [self.lat, self.interval, *self.qpv.values()]
        arrays += [self.coarse] if self.coarse is not None else []
        arrays += [self.segments.fact, self.segments.start_how, self.segments.hours]
        arrays += [self.segments.weight]
        return sum(a.nbytes for a in arrays)

    @property
    def interval_count(self) -> int:
        return int(self.interval.max()) + 1 if self.size else 0

    def parent_index(self, resolution: int) -> tuple[np.ndarray, np.ndarray]:
        """(the distinct cells at the resolution, the position of each res-11 cell's parent)."""
        return self.parents[resolution]

    def first_day(self) -> date | None:
        return day_to_date(int(self.day[0])) if self.size else None

    def last_day(self) -> date | None:
        if self.release_months:  # pseudo-facts sit on the 1st: the release covers whole months
            last = self.release_months[-1]
            return last.replace(day=calendar.monthrange(last.year, last.month)[1])
        return day_to_date(int(self.day[-1])) if self.size else None


def date_to_day(value: date) -> int:
    return value.toordinal() - DAY_ZERO_ORDINAL


def day_to_date(day: int) -> date:
    return date.fromordinal(day + DAY_ZERO_ORDINAL)


def _segments_of(columns: Columns, zone: str, first_id: int) -> tuple[np.ndarray, Segments]:
    """Interval ids (-1 for points) and the segments of the columns' interval facts."""
    is_interval = columns.until_s > columns.start_s
    ids = np.full(columns.size, -1, dtype=np.int32)
    count = int(is_interval.sum())
    ids[is_interval] = np.arange(first_id, first_id + count, dtype=np.int32)
    start, until = columns.start_s[is_interval], columns.until_s[is_interval]
    segments = interval_segments(start, until, Clock.covering(zone, start, until))
    return ids, Segments(
        fact=(segments.fact + first_id).astype(np.int32),
        start_how=segments.start_how,
        hours=segments.hours.astype(np.int32),
        weight=segments.weight,
    )


def _cells_and_parents(
    cells11: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict[int, tuple[np.ndarray, np.ndarray]]]:
    cells, codes = np.unique(cells11, return_inverse=True)
    parents: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for resolution in RESOLUTIONS:
        up, position = np.unique(parent_cells(cells, resolution), return_inverse=True)
        parents[resolution] = (up, position.astype(np.int32))
    return cells, codes.astype(np.int32), parents


def build_snapshot(
    version: int,
    zone: str,
    columns: Columns,
    categories: tuple[str, ...],
    communes: tuple[str, ...],
    qpvs: tuple[str, ...],
    stamp: int = 0,
) -> Snapshot:
    order = np.argsort(columns.day, kind="stable")
    columns = Columns(
        **{name: getattr(columns, name)[order] for name in Columns.__dataclass_fields__}
    )
    # Interval ids in day order: a period's intervals are then a run of ids and of segments.
    interval, segments = _segments_of(columns, zone, 0)
    cells, codes, parents = _cells_and_parents(columns.cell11)
    return Snapshot(
        version=version,
        stamp=stamp,
        zone=zone,
        day=columns.day,
        how=columns.how,
        category=columns.category,
        commune=columns.commune,
        qpv={2015: columns.qpv_2015, 2024: columns.qpv_2024},
        cell=codes,
        lon=columns.lon,
        lat=columns.lat,
        interval=interval,
        segments=segments,
        coarse=columns.coarse,
        categories=categories,
        communes=communes,
        qpvs=qpvs,
        cells=cells,
        parents=parents,
    )


def _coarse(rows: Snapshot | Columns) -> np.ndarray:
    return rows.coarse if rows.coarse is not None else np.zeros(rows.size, dtype=bool)


def merged_snapshot(
    base: Snapshot,
    version: int,
    columns: Columns,
    categories: tuple[str, ...],
    communes: tuple[str, ...],
    qpvs: tuple[str, ...],
) -> Snapshot:
    """The base snapshot with new rows inserted at their place in day order."""
    if columns.size == 0:
        return Snapshot(**{**base.__dict__, "version": version})
    order = np.argsort(columns.day, kind="stable")
    at = np.searchsorted(base.day, columns.day[order], side="right")
    first_id = base.interval_count
    interval, segments = _segments_of(columns, base.zone, first_id)
    all_cells = np.concatenate([base.cells, columns.cell11])
    cells, _, parents = _cells_and_parents(all_cells)
    old_codes = np.searchsorted(cells, base.cells).astype(np.int32)
    new_codes = np.searchsorted(cells, columns.cell11).astype(np.int32)

    def put(old: np.ndarray, new: np.ndarray) -> np.ndarray:
        return np.insert(old, at, new[order].astype(old.dtype))

    return Snapshot(
        version=version,
        zone=base.zone,
        day=put(base.day, columns.day),
        how=put(base.how, columns.how),
        category=put(base.category, columns.category),
        commune=put(base.commune, columns.commune),
        qpv={
            2015: put(base.qpv[2015], columns.qpv_2015),
            2024: put(base.qpv[2024], columns.qpv_2024),
        },
        cell=put(old_codes[base.cell], new_codes),
        lon=put(base.lon, columns.lon),
        lat=put(base.lat, columns.lat),
        interval=put(base.interval, interval),
        coarse=put(_coarse(base), _coarse(columns)),
        segments=Segments(
            fact=np.concatenate([base.segments.fact, segments.fact]),
            start_how=np.concatenate([base.segments.start_how, segments.start_how]),
            hours=np.concatenate([base.segments.hours, segments.hours]),
            weight=np.concatenate([base.segments.weight, segments.weight]),
        ),
        categories=categories,
        communes=communes,
        qpvs=qpvs,
        cells=cells,
        parents=parents,
    )


def restricted(snapshot: Snapshot, communes: frozenset[str]) -> Snapshot:
    """The snapshot of the facts of these communes only, as if the others had never been read:
    their facts, their interval segments, their cells and the communes' codes are gone (a
    scope, observatory/scopes.py). The facts keep their day order; interval ids keep theirs."""
    kept_codes = tuple(c for c in snapshot.communes if c in communes)
    old_position = {c: i + 1 for i, c in enumerate(snapshot.communes)}
    renumber = np.zeros(len(snapshot.communes) + 1, dtype=snapshot.commune.dtype)
    for i, code in enumerate(kept_codes):
        renumber[old_position[code]] = i + 1
    mask = renumber[snapshot.commune] > 0
    ids = snapshot.interval[mask]
    kept_ids = np.sort(ids[ids >= 0])
    remap = np.full(snapshot.interval_count, -1, dtype=np.int32)
    remap[kept_ids] = np.arange(kept_ids.size, dtype=np.int32)
    interval = np.where(ids >= 0, remap[np.maximum(ids, 0)] if remap.size else -1, -1)
    old = snapshot.segments
    keep_segment = remap[old.fact] >= 0 if remap.size else np.zeros(0, dtype=bool)
    cells, codes, parents = _cells_and_parents(snapshot.cells[snapshot.cell[mask]])
    return Snapshot(
        version=snapshot.version,
        stamp=snapshot.stamp,
        zone=snapshot.zone,
        day=snapshot.day[mask],
        how=snapshot.how[mask],
        category=snapshot.category[mask],
        commune=renumber[snapshot.commune[mask]],
        qpv={generation: column[mask] for generation, column in snapshot.qpv.items()},
        cell=codes,
        lon=snapshot.lon[mask],
        lat=snapshot.lat[mask],
        interval=interval.astype(np.int32),
        segments=Segments(
            fact=remap[old.fact[keep_segment]].astype(np.int32),
            start_how=old.start_how[keep_segment],
            hours=old.hours[keep_segment],
            weight=old.weight[keep_segment],
        ),
        categories=snapshot.categories,
        communes=kept_codes,
        qpvs=snapshot.qpvs,
        cells=cells,
        parents=parents,
        release_months=snapshot.release_months,
        coarse=snapshot.coarse[mask] if snapshot.coarse is not None else None,
    )
