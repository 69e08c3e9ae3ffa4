"""Before and after periods of an action, and the counts of its areas on a snapshot.

Periods. The after period starts on the action's first day (``after_from="start"``, the default
for an action without an end) or the day after its end (``"end"``), and lasts ``months``
calendar months. The before period is, where possible, the same calendar days whole years
earlier (the smallest number of years that puts it before the start): same months, same
seasons. When the data do not reach that far back, or it would lie more than a year beyond the
``months`` just before the start, the before period is those months just before the start
(seasonality then not matched, and said so). An after period that runs past the last day with
data is cut there, and the before period by as many days; one that has not begun is refused.

Areas. The treated area T, the disc D = T widened by the buffer, and the control source K are
shapely polygons (WGS84). A fact belongs to T if it lies in T (edges included), to the ring if
it lies in D but not in T, to the control if it lies in K but not in D: the three never share
a fact, whatever the polygons' edges do.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import shapely

from observatory.analytics.engine import select
from observatory.analytics.filters import Filter
from observatory.errors import InvalidInput
from observatory.store.snapshot import Snapshot, date_to_day

MIN_AFTER_DAYS = 28
MAX_MONTHS = 36
HISTORY_MONTHS = 36

OUTSIDE, TREATED, RING, CONTROL = 0, 1, 2, 3


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), kept inside the month (31 → 30, 28…)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February becomes the 28th)."""
    return add_months(day, -12 * years)


@dataclass(frozen=True)
class Window:
    """A run of local days, both ends included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "days": self.days}


@dataclass(frozen=True)
class Periods:
    before: Window
    after: Window
    seasonal: bool
    years_apart: int | None
    truncated: bool
    after_from: str
    months: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "before": self.before.as_dict(),
            "after": self.after.as_dict(),
            "seasonal": self.seasonal,
            "years_apart": self.years_apart,
            "truncated": self.truncated,
            "after_from": self.after_from,
            "months": self.months,
        }


def choose_periods(
    start: date,
    end: date | None,
    months: int,
    after_from: str | None,
    data_first: date,
    data_last: date,
) -> Periods:
    """Equal before and after periods for an action (module docstring); InvalidInput if none."""
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput(f"« months » va de 1 à {MAX_MONTHS} (reçu {months}).")
    chosen = after_from or ("end" if end is not None else "start")
    if chosen not in ("start", "end"):
        raise InvalidInput(f"« after » vaut start ou end (reçu « {after_from} »).")
    if chosen == "end" and end is None:
        raise InvalidInput(
            "L'action n'a pas de date de fin : la période après ne peut partir que de son début "
            "(after=start)."
        )
    after_first = start if chosen == "start" or end is None else end + timedelta(days=1)
    after_last = add_months(after_first, months) - timedelta(days=1)
    if after_first > data_last:
        hint = " (ou mesurez depuis le début de l'action : after=start)" if chosen == "end" else ""
        raise InvalidInput(
            f"La période après commence le {after_first:%d/%m/%Y} mais les données s'arrêtent "
            f"le {data_last:%d/%m/%Y} : rien à comparer encore. Importez les faits plus récents "
            f"ou revenez plus tard{hint}."
        )
    truncated = after_last > data_last
    if truncated:
        after_last = data_last
        if (after_last - after_first).days + 1 < MIN_AFTER_DAYS:
            raise InvalidInput(
                f"Moins de {MIN_AFTER_DAYS} jours de données après le {after_first:%d/%m/%Y} "
                f"(les données s'arrêtent le {data_last:%d/%m/%Y}) : trop tôt pour évaluer."
            )
    after = Window(after_first, after_last)

    # Same calendar days k years earlier, k the smallest that ends before the start.
    years = 1
    while years_before(after.last, years) >= start:
        years += 1
    seasonal = Window(years_before(after.first, years), years_before(after.last, years))
    just_before_first = add_months(start, -months)
    if seasonal.first >= data_first and seasonal.first >= add_months(just_before_first, -12):
        return Periods(seasonal, after, True, years, truncated, chosen, months)

    before_first = start - timedelta(days=after.days) if truncated else add_months(start, -months)
    before = Window(before_first, start - timedelta(days=1))
    if before.first < data_first:
        raise InvalidInput(
            f"Les données commencent le {data_first:%d/%m/%Y} : une période avant de {months} "
            f"mois irait jusqu'au {before.first:%d/%m/%Y}. Choisissez moins de mois (months)."
        )
    return Periods(before, after, False, None, truncated, chosen, months)


@dataclass(frozen=True)
class Zones:
    """The treated area, the disc around it (treated + buffer), and the control's source."""

    treated: shapely.Geometry
    disc: shapely.Geometry
    control: shapely.Geometry

    def __post_init__(self) -> None:
        for shape in (self.treated, self.disc, self.control):
            shapely.prepare(shape)


def zone_of(zones: Zones, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """OUTSIDE, TREATED, RING or CONTROL for each point (module docstring)."""
    out = np.zeros(lon.shape, dtype=np.int8)
    if lon.size == 0:
        return out
    bounds = shapely.bounds([zones.disc, zones.control])
    west, south = np.nanmin(bounds[:, :2], axis=0).tolist()
    east, north = np.nanmax(bounds[:, 2:], axis=0).tolist()
    near = np.flatnonzero((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
    x, y = lon[near], lat[near]
    in_disc = shapely.intersects_xy(zones.disc, x, y)
    in_treated = np.zeros(near.size, dtype=bool)
    in_treated[in_disc] = shapely.intersects_xy(zones.treated, x[in_disc], y[in_disc])
    rest = ~in_disc
    in_control = np.zeros(near.size, dtype=bool)
    in_control[rest] = shapely.intersects_xy(zones.control, x[rest], y[rest])
    codes = np.where(in_treated, TREATED, np.where(in_disc, RING, np.where(in_control, CONTROL, 0)))
    out[near] = codes.astype(np.int8)
    return out


@dataclass(frozen=True)
class ZoneCounts:
    treated: int
    ring: int
    control: int


def zone_counts(
    snapshot: Snapshot, zones: Zones, categories: frozenset[str] | None, window: Window
) -> ZoneCounts:
    """Facts of the categories in each zone over the window (local days)."""
    chosen = select(snapshot, Filter(window.first, window.last, categories=categories))
    codes = zone_of(zones, chosen.take(snapshot.lon), chosen.take(snapshot.lat))
    counts = np.bincount(codes, minlength=4)
    return ZoneCounts(int(counts[TREATED]), int(counts[RING]), int(counts[CONTROL]))


def history_windows(start: date, months: int, data_first: date) -> tuple[Window, list[Window]]:
    """The ``months`` just before the start, and the same-length windows of the 3 years before.

    The earlier windows step back month by month from the recent one, none overlapping it,
    none starting before the data or more than HISTORY_MONTHS before the recent window.
    """
    recent = Window(add_months(start, -months), start - timedelta(days=1))
    limit = max(add_months(recent.first, -HISTORY_MONTHS), data_first)
    windows = []
    shift = months
    while (first := add_months(recent.first, -shift)) >= limit:
        windows.append(Window(first, add_months(start, -shift) - timedelta(days=1)))
        shift += 1
    return recent, windows


def treated_window_counts(
    snapshot: Snapshot,
    treated: shapely.Geometry,
    categories: frozenset[str] | None,
    windows: list[Window],
) -> np.ndarray:
    """Facts of the categories inside the treated area over each window (one pass by day)."""
    if not windows:
        return np.zeros(0, dtype=np.int64)
    first = min(w.first for w in windows)
    last = max(w.last for w in windows)
    chosen = select(snapshot, Filter(first, last, categories=categories))
    lon, lat = chosen.take(snapshot.lon), chosen.take(snapshot.lat)
    shapely.prepare(treated)
    west, south, east, north = shapely.bounds(treated).tolist()
    near = np.flatnonzero((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
    inside = near[shapely.intersects_xy(treated, lon[near], lat[near])] if near.size else near
    days = chosen.take(snapshot.day)[inside].astype(np.int64) - date_to_day(first)
    per_day = np.bincount(days, minlength=(last - first).days + 1)
    cumulative = np.concatenate([[0], np.cumsum(per_day)])
    offset = date_to_day(first)
    return np.array(
        [
            cumulative[date_to_day(w.last) - offset + 1] - cumulative[date_to_day(w.first) - offset]
            for w in windows
        ],
        dtype=np.int64,
    )
