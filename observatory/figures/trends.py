"""Trends: series by month or week with the change on a year and Mann–Kendall's test (the API),
and the months of a period against the same months a year before (the packs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from observatory.analytics import engine
from observatory.analytics.filters import Filter
from observatory.analytics.trendstats import MannKendall, mann_kendall
from observatory.figures.breakdown import label
from observatory.figures.change import Change, change, changes
from observatory.privacy.policy import Disclosure
from observatory.store.snapshot import Snapshot

PERIODS_PER_YEAR = {"month": 12, "week": 52}


@dataclass(frozen=True)
class Period:
    start: date
    complete: bool  # not cut by the first or the last day


@dataclass(frozen=True)
class KeySeries:
    """One key's counts, each against the period a year before (none for the first year)."""

    key: str
    label: str
    changes: list[Change]
    mann_kendall: MannKendall  # over the complete periods


@dataclass(frozen=True)
class Trends:
    step: str
    periods: list[Period]
    series: list[KeySeries]


def trends(
    snapshot: Snapshot,
    f: Filter,
    step: str,
    key_of: Mapping[str, str] | None,
    labels: Mapping[str, str],
    disclosure: Disclosure,
) -> Trends:
    """A series per key (``key_of``: category code → key; None: the total), from the filter's
    first day to its last (else the data's), each period against the same a year before (read
    beyond the filter's first day when the data reach it); a key with no fact is left out."""
    result = engine.series(snapshot, f, step, key_of)
    complete = np.array(result.complete, dtype=bool)
    before, known = _year_before(snapshot, f, step, key_of, result.starts)
    series = []
    for i, key in enumerate(result.keys):
        counts = result.counts[:, i].astype(np.int64)
        if key_of is not None and not counts.any():
            continue
        compared = changes(counts[known], before[known, i], disclosure)
        alone = iter(compared)
        series.append(
            KeySeries(
                key,
                label(key, labels),
                [
                    next(alone) if k else change(int(c), None, disclosure)
                    for c, k in zip(counts.tolist(), known.tolist(), strict=True)
                ],
                mann_kendall(counts[complete].astype(np.float64)),
            )
        )
    periods = [Period(s, c) for s, c in zip(result.starts, result.complete, strict=True)]
    return Trends(step, periods, series)


def _year_before(
    snapshot: Snapshot,
    f: Filter,
    step: str,
    key_of: Mapping[str, str] | None,
    starts: list[date],
) -> tuple[np.ndarray, np.ndarray]:
    """The counts of the periods a year before each of ``starts`` (12 months or 52 weeks, even
    before the filter's first day), and whether the data reach that earlier period: before or
    after the data's days a count is unknown, not 0."""
    n = len(starts)
    keys = 1 if key_of is None else len(set(key_of.values()))
    per_year = PERIODS_PER_YEAR[step]
    first, last = snapshot.first_day(), snapshot.last_day()
    if not starts or first is None or last is None:
        return np.zeros((n, keys), np.int64), np.zeros(n, dtype=bool)
    earliest = (
        _months_before(starts[0], per_year)
        if step == "month"
        else starts[0] - timedelta(weeks=per_year)
    )
    wide = engine.series(snapshot, f.but(date_from=earliest), step, key_of)
    before = wide.counts[:n].astype(np.int64)
    # The earlier period must hold data days: from the data's first period to its last day.
    floor = (
        date(first.year, first.month, 1)
        if step == "month"
        else first - timedelta(days=first.weekday())
    )
    known = np.array([floor <= s <= last for s in wide.starts[:n]], dtype=bool)
    return before, known


@dataclass(frozen=True)
class MonthPoint:
    start: date
    change: Change


@dataclass(frozen=True)
class YearOnYear:
    """The period month by month against the same months a year before, its total likewise, and
    Mann–Kendall over its months."""

    months: list[MonthPoint]
    total: Change
    mann_kendall: MannKendall


def year_on_year(snapshot: Snapshot, f: Filter, disclosure: Disclosure) -> YearOnYear:
    """Each month of the filter's period (both ends set) against the same month a year before,
    when the data reach it: before or after the data's months, a count is unknown, not 0."""
    assert f.date_from is not None and f.date_to is not None
    start = _months_before(f.date_from, 12)
    result = engine.series(snapshot, f.but(date_from=start), "month", None)
    counts = result.counts[:, 0].astype(np.int64) if result.starts else np.zeros(0, np.int64)
    first, last = snapshot.first_day(), snapshot.last_day()
    known = (date(first.year, first.month, 1), last) if first and last else None
    points = []
    current_total, previous_total, comparable = 0, 0, True
    for i, month in enumerate(result.starts):
        if month < f.date_from:
            continue
        previous: int | None = None
        if i >= 12 and known is not None and known[0] <= result.starts[i - 12] <= known[1]:
            previous = int(counts[i - 12])
        points.append(MonthPoint(month, change(int(counts[i]), previous, disclosure)))
        current_total += int(counts[i])
        comparable = comparable and previous is not None
        previous_total += previous or 0
    period = np.array([int(counts[i]) for i, m in enumerate(result.starts) if m >= f.date_from])
    total = change(current_total, previous_total if comparable and points else None, disclosure)
    return YearOnYear(points, total, mann_kendall(period.astype(np.float64)))


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)
