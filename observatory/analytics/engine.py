"""Counts, time slots, series and territories computed on a Snapshot (the fast path).

Every function takes a snapshot and a Filter and returns plain numbers; observatory/analytics/
plainsql.py computes the same in PostgreSQL, and the tests hold the two equal.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import h3
import numpy as np
import shapely

from observatory.analytics.filters import Filter
from observatory.localtime import HOURS_PER_WEEK, Segments, week_matrix
from observatory.store.snapshot import DAY_ZERO, Snapshot, date_to_day, day_to_date

NO_ROWS = np.zeros(0, dtype=bool)


@dataclass(frozen=True)
class Selection:
    """The incidents of a filter: a slice of the day-sorted snapshot, and a mask over it."""

    snapshot: Snapshot
    start: int
    stop: int
    mask: np.ndarray | None

    def take(self, column: np.ndarray) -> np.ndarray:
        part = column[self.start : self.stop]
        return part if self.mask is None else part[self.mask]

    @property
    def count(self) -> int:
        if self.mask is None:
            return self.stop - self.start
        return int(np.count_nonzero(self.mask))


def _empty(snapshot: Snapshot) -> Selection:
    return Selection(snapshot, 0, 0, None)


def select(snapshot: Snapshot, f: Filter) -> Selection:
    """The incidents the filter keeps."""
    start, stop = 0, snapshot.size
    if f.date_from is not None:
        # The day as the column's own int16: a Python int would convert the whole column.
        start = int(np.searchsorted(snapshot.day, np.int16(date_to_day(f.date_from)), "left"))
    if f.date_to is not None:
        stop = int(np.searchsorted(snapshot.day, np.int16(date_to_day(f.date_to)), "right"))
    if stop <= start:
        return _empty(snapshot)
    part = slice(start, stop)
    mask: np.ndarray | None = None

    def narrow(keep: np.ndarray) -> None:
        nonlocal mask
        mask = keep if mask is None else mask & keep

    if f.categories is not None:
        allowed = np.zeros(256, dtype=bool)
        positions = [i for i, code in enumerate(snapshot.categories) if code in f.categories]
        if not positions:
            return _empty(snapshot)
        allowed[positions] = True
        narrow(allowed[snapshot.category[part]])
    hours = f.hours_of_week()
    if hours is not None:
        allowed = np.zeros(HOURS_PER_WEEK, dtype=bool)
        allowed[hours] = True
        narrow(allowed[snapshot.how[part]])
    if f.commune is not None:
        if f.commune not in snapshot.communes:
            return _empty(snapshot)
        narrow(snapshot.commune[part] == snapshot.communes.index(f.commune) + 1)
    if f.qpv is not None:
        qpv = snapshot.qpv[f.generation][part]
        if f.qpv == "in":
            narrow(qpv != 0)
        elif f.qpv == "out":
            narrow(qpv == 0)
        elif f.qpv in snapshot.qpvs:
            narrow(qpv == snapshot.qpvs.index(f.qpv) + 1)
        else:
            return _empty(snapshot)
    if f.bbox is not None:
        west, south, east, north = f.bbox
        if f.bbox_cells is not None:
            lon, lat = _cell_centres(snapshot, f.bbox_cells, snapshot.cell[part])
        else:
            lon, lat = snapshot.lon[part], snapshot.lat[part]
        narrow((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
    if f.area is not None:
        if f.area_cells is not None:
            lon, lat = _cell_centres(snapshot, f.area_cells, snapshot.cell[part])
        else:
            lon, lat = snapshot.lon[part], snapshot.lat[part]
        narrow(shapely.contains_xy(f.area, lon, lat))
    if f.precision == "housenumber" and snapshot.coarse is not None:
        narrow(~snapshot.coarse[part])
    return Selection(snapshot, start, stop, mask)


def _cell_centres(
    snapshot: Snapshot, resolution: int, cells: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) of the centre of each fact's cell at the resolution."""
    parents, parent = snapshot.parent_index(resolution)
    used, where = np.unique(parent[cells], return_inverse=True)
    centres = np.array(
        [h3.cell_to_latlng(h3.int_to_str(int(c))) for c in parents[used]], dtype=np.float64
    ).reshape(-1, 2)
    return centres[where, 1], centres[where, 0]


# -- counts ------------------------------------------------------------------------------------


def hexagon_counts(snapshot: Snapshot, f: Filter, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """(cells at the resolution, their counts): every non-empty cell of the filter."""
    chosen = select(snapshot, f)
    if chosen.count == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    per_cell = np.bincount(chosen.take(snapshot.cell), minlength=snapshot.cells.size)
    cells, parent = snapshot.parent_index(resolution)
    counts = np.bincount(parent, weights=per_cell, minlength=cells.size).astype(np.int64)
    keep = counts > 0
    return cells[keep], counts[keep]


def _study_positions(
    snapshot: Snapshot, chosen: Selection, resolution: int, cells: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For the chosen facts: position of their cell in the sorted study cells, and whether in."""
    parents, parent = snapshot.parent_index(resolution)
    mine = parents[parent[chosen.take(snapshot.cell)]]
    position = np.searchsorted(cells, mine)
    inside = position < cells.size
    inside[inside] = cells[position[inside]] == mine[inside]
    return position, inside


def study_counts(snapshot: Snapshot, f: Filter, resolution: int, cells: np.ndarray) -> np.ndarray:
    """Counts of the filter in each of the study area's cells (sorted ids), zeros included."""
    chosen = select(snapshot, f)
    position, inside = _study_positions(snapshot, chosen, resolution, cells)
    return np.bincount(position[inside], minlength=cells.size).astype(np.int64)


def category_counts(snapshot: Snapshot, f: Filter) -> dict[str, int]:
    """Incidents per category code (categories with none left out)."""
    chosen = select(snapshot, f)
    counts = np.bincount(chosen.take(snapshot.category), minlength=len(snapshot.categories))
    return {code: int(n) for code, n in zip(snapshot.categories, counts, strict=False) if n}


# -- time slots --------------------------------------------------------------------------------


def week_hours(snapshot: Snapshot, f: Filter) -> np.ndarray:
    """The 168 local hours of the week (Monday 0 h first), interval facts spread (aoristic)."""
    chosen = select(snapshot, f)
    how = chosen.take(snapshot.how)
    interval = chosen.take(snapshot.interval)
    points = interval < 0
    ids = interval[~points]
    if ids.size == 0:
        return week_matrix(how[points])
    # Interval ids follow the days (store.py): only the segments of the ids' run are looked at.
    low, high = int(ids.min()), int(ids.max())
    segments = snapshot.segments
    part = slice(
        int(np.searchsorted(segments.fact, low, side="left")),
        int(np.searchsorted(segments.fact, high, side="right")),
    )
    selected = np.zeros(high - low + 1, dtype=bool)
    selected[ids - low] = True
    run = Segments(
        fact=segments.fact[part] - low,
        start_how=segments.start_how[part],
        hours=segments.hours[part],
        weight=segments.weight[part],
    )
    return week_matrix(how[points], run, selected)


# -- series ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """Counts per period (rows) and key (columns), with each period's first day."""

    step: str
    starts: list[date]
    complete: list[bool]
    keys: list[str]
    counts: np.ndarray  # periods × keys


@lru_cache(maxsize=1)
def _months_of_days() -> np.ndarray:
    """Month (since 1970-01) of every int16 day (days since 2000-01-01), as a lookup table."""
    days = np.arange(-(1 << 15), 1 << 15, dtype=np.int64)
    months = (np.datetime64(DAY_ZERO, "D") + days.astype("timedelta64[D]")).astype("datetime64[M]")
    return months.astype(np.int32)


def _month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of int16 days: one table lookup, not a calendar conversion."""
    return _months_of_days()[days.astype(np.int64) + (1 << 15)].astype(np.int64)


def _week_index(days: np.ndarray) -> np.ndarray:
    return (days.astype(np.int64) + 5) // 7  # weeks begin on Monday; 2000-01-03 opens week 1


def _period_start(step: str, index: int) -> date:
    if step == "month":
        return date(1970 + index // 12, index % 12 + 1, 1)
    return DAY_ZERO + timedelta(days=index * 7 - 5)


def period_end(step: str, start: date) -> date:
    """The last day of the month or ISO week that begins on ``start``."""
    if step == "month":
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return start + timedelta(days=6)


def series(
    snapshot: Snapshot,
    f: Filter,
    step: str,
    key_of_category: Mapping[str, str] | None,
) -> Series:
    """Counts per month or ISO week, per key (category, family, or one "total" column).

    The periods run from the filter's first day (else the first incident's) to its last day
    (else the last incident's); a period that the range cuts is marked incomplete.
    """
    first = f.date_from or snapshot.first_day()
    last = f.date_to or snapshot.last_day()
    if first is None or last is None:
        return Series(step, [], [], [], np.zeros((0, 0), dtype=np.int64))
    index = _month_index if step == "month" else _week_index
    low = int(index(np.array([date_to_day(first)]))[0])
    high = int(index(np.array([date_to_day(last)]))[0])
    periods = high - low + 1
    if key_of_category is None:
        keys = ["total"]
        column = np.zeros(max(len(snapshot.categories), 1), dtype=np.int64)
    else:
        # Categories the mapping does not name are not counted (column -1).
        keys = sorted(set(key_of_category.values()))
        column = np.array(
            [
                keys.index(key_of_category[c]) if c in key_of_category else -1
                for c in snapshot.categories
            ]
            or [-1],
            dtype=np.int64,
        )
    chosen = select(snapshot, f.but(date_from=first, date_to=last))
    period = index(chosen.take(snapshot.day)) - low
    key = column[chosen.take(snapshot.category)]
    counted = key >= 0
    flat = np.bincount(period[counted] * len(keys) + key[counted], minlength=periods * len(keys))
    starts = [_period_start(step, low + i) for i in range(periods)]
    complete = [s >= first and period_end(step, s) <= last for s in starts]
    return Series(step, starts, complete, keys, flat.reshape(periods, len(keys)))


def cube(
    snapshot: Snapshot, f: Filter, resolution: int, cells: np.ndarray, step: str
) -> tuple[Series, np.ndarray]:
    """A space-time cube: counts per study cell (sorted ids) × period, zeros included.

    The periods are those of ``series`` for the same filter (first to last day).
    """
    periods = series(snapshot, f, step, None)
    out = np.zeros((cells.size, len(periods.starts)), dtype=np.int64)
    if not periods.starts:
        return periods, out
    first = periods.starts[0]
    last = f.date_to or snapshot.last_day()
    chosen = select(snapshot, f.but(date_from=first if f.date_from else None, date_to=last))
    index = _month_index if step == "month" else _week_index
    low = int(index(np.array([date_to_day(first)]))[0])
    period = index(chosen.take(snapshot.day)) - low
    position, inside = _study_positions(snapshot, chosen, resolution, cells)
    keep = inside & (period >= 0) & (period < out.shape[1])
    flat = np.bincount(position[keep] * out.shape[1] + period[keep], minlength=out.size)
    return periods, flat.reshape(out.shape)


# -- CompStat ----------------------------------------------------------------------------------


def year_before(day: date) -> date:
    """The same calendar day a year earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def compstat_month_windows(at: date) -> list[tuple[str, date, date, date, date]]:
    """The CompStat periods in whole months, ending with the month of ``at`` (what a partner
    release answers): that month, the last three, the year to date; each against the same
    months a year before."""
    last = at.replace(day=calendar.monthrange(at.year, at.month)[1])
    first = at.replace(day=1)
    three = (first.replace(day=15) - timedelta(days=61)).replace(day=1)
    windows = [
        ("le mois", first, last),
        ("3 mois", three, last),
        ("depuis janvier", date(at.year, 1, 1), last),
    ]
    out = []
    for name, start, end in windows:
        before_end = year_before(end)
        before_end = before_end.replace(
            day=calendar.monthrange(before_end.year, before_end.month)[1]
        )
        out.append((name, start, end, year_before(start), before_end))
    return out


def compstat_windows(at: date) -> list[tuple[str, date, date, date, date]]:
    """(name, start, end, start a year before, end a year before) of each CompStat period."""
    windows = [
        ("7 jours", at - timedelta(days=6), at),
        ("28 jours", at - timedelta(days=27), at),
        ("depuis le 1er janvier", date(at.year, 1, 1), at),
    ]
    return [(n, s, e, year_before(s), year_before(e)) for n, s, e in windows]


def window_counts(snapshot: Snapshot, f: Filter, start: date, end: date) -> dict[str, int]:
    return category_counts(snapshot, f.but(date_from=start, date_to=end))


# -- territories -------------------------------------------------------------------------------


def territory_counts(
    snapshot: Snapshot, f: Filter, generation: int, communes: Sequence[str]
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Per QPV (all its incidents), per commune outside every QPV, per commune in all: by category.

    The filter's own ``qpv`` and ``commune`` are set aside: the territories are what is compared.
    """
    base = f.but(qpv=None, commune=None, generation=generation)
    chosen = select(snapshot, base)
    category = chosen.take(snapshot.category).astype(np.int64)
    qpv = chosen.take(snapshot.qpv[generation]).astype(np.int64)
    commune = chosen.take(snapshot.commune).astype(np.int64)
    k = len(snapshot.categories)

    def table(positions: np.ndarray, codes: Sequence[str], keep: np.ndarray) -> dict[str, dict]:
        flat = np.bincount(positions[keep] * k + category[keep], minlength=(len(codes) + 1) * k)
        grid = flat.reshape(len(codes) + 1, k)
        return {
            code: {c: int(n) for c, n in zip(snapshot.categories, grid[i + 1], strict=False) if n}
            for i, code in enumerate(codes)
        }

    wanted = np.zeros(len(snapshot.communes) + 1, dtype=bool)
    for code in communes:
        if code in snapshot.communes:
            wanted[snapshot.communes.index(code) + 1] = True
    in_commune = wanted[commune]
    by_qpv = table(qpv, snapshot.qpvs, qpv > 0)
    outside = table(commune, snapshot.communes, in_commune & (qpv == 0))
    total = table(commune, snapshot.communes, in_commune)
    # Keys: the QPV that hold facts of this generation, and every commune asked for.
    by_qpv = {code: counts for code, counts in by_qpv.items() if counts}
    return (
        by_qpv,
        {code: outside.get(code, {}) for code in communes},
        {code: total.get(code, {}) for code in communes},
    )


def matrix_rows(values: np.ndarray) -> list[list[float]]:
    """168 values as 7 rows (Monday first) of 24 hours."""
    return [[float(v) for v in values[d * 24 : d * 24 + 24]] for d in range(7)]


def day_range(snapshot: Snapshot) -> tuple[date, date] | None:
    if snapshot.size == 0:
        return None
    return day_to_date(int(snapshot.day[0])), day_to_date(int(snapshot.day[-1]))
