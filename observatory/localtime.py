"""Local time, the one rule: UTC instants to local days and hours of the week, and aoristic spread.

The local hour of the week of an instant is its weekday in the zone (Monday 0 … Sunday 6) × 24
plus its local hour: 0 = Monday 0 h … 167 = Sunday 23 h. The zone's offsets decide, so on the
night of the spring change 2 h never happens and on the autumn one it happens twice. The importer
stores it with the first day of the local month (``hour_of_week_and_month``: the columns
``incident.local_hour_of_week`` and ``local_month``), the in-memory copy reads it back and takes
its local days and the hours of interval facts from a ``Clock`` (observatory/store/), and the SQL
reference transcribes it (``local_hour_of_week`` in observatory/store/plainsql.py;
tests/observatory/store/test_localtime_sql.py holds the transcription equal to this module).

A fact known only to lie in an interval (a burglary between 22:00 and 07:00) is spread over the
hour blocks it touches, each block receiving the same share (Ratcliffe's aoristic method); the
shares of one fact sum to 1. The interval is half-open: the block of its end counts only when
the end lies inside it, so "found at 07:00" does not put a share on 7 h. Blocks are UTC hours
mapped to the local hour of the week they begin in, so a night that crosses a change of clock
spreads over the local hours it really had: seven on the night of the spring change, nine on the
autumn one, and the repeated 2 h counts twice.

Weekdays run Monday (0) to Sunday (6) inside arrays; hour of the week = weekday × 24 + hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

HOURS_PER_WEEK = 168
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday
SECONDS_PER_HOUR = 3600
SECONDS_PER_DAY = 86400


@lru_cache(maxsize=16)
def _transitions(zone: str, first_year: int, last_year: int) -> tuple[np.ndarray, np.ndarray]:
    """UTC hours where the zone's offset changes, and the offset (s) from each of them on."""
    start = pd.Timestamp(f"{first_year}-01-01", tz="UTC")
    end = pd.Timestamp(f"{last_year + 1}-01-01", tz="UTC")
    hours = pd.date_range(start, end, freq="h")
    local = hours.tz_convert(zone)
    offsets = (local.tz_localize(None) - hours.tz_localize(None)).total_seconds().to_numpy()
    offsets = offsets.astype(np.int64)
    epoch_hours = (hours.as_unit("s").asi8 // SECONDS_PER_HOUR).astype(np.int64)
    change = np.flatnonzero(np.diff(offsets)) + 1
    starts = np.concatenate(([epoch_hours[0]], epoch_hours[change]))
    return starts, np.concatenate(([offsets[0]], offsets[change]))


def _span(seconds: np.ndarray) -> tuple[int, int]:
    if seconds.size == 0:
        return 2000, 2000
    low = pd.Timestamp(int(seconds.min()), unit="s").year - 1
    high = pd.Timestamp(int(seconds.max()), unit="s").year + 1
    return max(low, 1900), min(high, 2200)


@dataclass(frozen=True)
class Clock:
    """A time zone's offsets over a span of years, for vectorised conversions.

    The offsets are read at whole UTC hours: exact for zones whose clocks change on a whole
    UTC hour (all of Europe's), a change at half past found at the next hour.
    """

    zone: str
    change_hours: np.ndarray  # UTC epoch hours where an offset starts to apply
    offsets: np.ndarray  # the offset in seconds from each change on

    @classmethod
    def covering(cls, zone: str, *seconds: np.ndarray) -> Clock:
        """A clock whose table covers every instant given (epoch seconds, UTC)."""
        spans = [_span(np.asarray(s)) for s in seconds if np.asarray(s).size]
        first = min((s[0] for s in spans), default=2000)
        last = max((s[1] for s in spans), default=2000)
        hours, offsets = _transitions(zone, first, last)
        return cls(zone, hours, offsets)

    def offset_at_hour(self, utc_hours: np.ndarray) -> np.ndarray:
        index = np.searchsorted(self.change_hours, utc_hours, side="right") - 1
        return self.offsets[np.clip(index, 0, None)]

    def local_hours(self, utc_hours: np.ndarray) -> np.ndarray:
        """Local hours since 1970-01-01 00:00 local, of UTC epoch hours (whole-hour zones)."""
        utc_hours = np.asarray(utc_hours, dtype=np.int64)
        return (utc_hours * SECONDS_PER_HOUR + self.offset_at_hour(utc_hours)) // SECONDS_PER_HOUR

    def local_days(self, seconds: np.ndarray) -> np.ndarray:
        """Local calendar day (days since 1970-01-01) of UTC epoch seconds."""
        seconds = np.asarray(seconds, dtype=np.int64)
        offsets = self.offset_at_hour(seconds // SECONDS_PER_HOUR)
        return (seconds + offsets) // SECONDS_PER_DAY

    def hour_of_week(self, seconds: np.ndarray) -> np.ndarray:
        """Local hour of the week (0 = Monday 0 h) of UTC epoch seconds."""
        seconds = np.asarray(seconds, dtype=np.int64)
        return hour_of_week_of_local_hours(self.local_hours(seconds // SECONDS_PER_HOUR))


def hour_of_week_of_local_hours(local_hours: np.ndarray) -> np.ndarray:
    """The hour of the week (0 = Monday 0 h … 167) of local hours since 1970-01-01 00:00."""
    days = local_hours // 24
    return ((days + EPOCH_WEEKDAY) % 7) * 24 + local_hours % 24


def hour_of_week_and_month(instants: pd.Series, zone: str) -> tuple[np.ndarray, np.ndarray]:
    """Local hour of the week (int16) and first day of the local month of aware instants.

    The importer's conversion, exact to the second in any zone (pandas' time zone database);
    a ``Clock``, faster on millions of instants, reads the offsets at whole UTC hours.
    """
    wall = instants.dt.tz_convert(zone).dt.tz_localize(None).to_numpy("datetime64[us]")
    local_hours = wall.astype("datetime64[h]").astype(np.int64)
    month = wall.astype("datetime64[M]").astype("datetime64[D]")
    return hour_of_week_of_local_hours(local_hours).astype(np.int16), month


@dataclass(frozen=True)
class Segments:
    """Runs of consecutive local hours of interval facts, between changes of clock.

    ``fact[i]`` is the position of the fact in the input, ``start_how[i]`` the local hour of
    the week the run begins in, ``hours[i]`` its length in hours, ``weight[i]`` the share each
    of its hours receives (1 / the hour blocks of the whole fact).
    """

    fact: np.ndarray
    start_how: np.ndarray
    hours: np.ndarray
    weight: np.ndarray


def interval_segments(start_s: np.ndarray, until_s: np.ndarray, clock: Clock) -> Segments:
    """Split the intervals [start, until) into runs of local hours (vectorised)."""
    start_s = np.asarray(start_s, dtype=np.int64)
    until_s = np.asarray(until_s, dtype=np.int64)
    first = start_s // SECONDS_PER_HOUR
    end = -((-until_s) // SECONDS_PER_HOUR)  # ceiling: the block holding the end counts if entered
    end = np.maximum(end, first + 1)
    blocks = end - first
    changes = clock.change_hours
    k0 = np.searchsorted(changes, first, side="right")
    k1 = np.searchsorted(changes, end, side="left")
    inner = np.maximum(k1 - k0, 0)
    count = inner + 1
    fact = np.repeat(np.arange(first.size), count)
    rank = np.arange(fact.size) - np.repeat(np.cumsum(count) - count, count)
    last = len(changes) - 1
    lower = np.where(rank == 0, first[fact], changes[np.clip(k0[fact] + rank - 1, 0, last)])
    upper = np.where(rank == inner[fact], end[fact], changes[np.clip(k0[fact] + rank, 0, last)])
    start_how = hour_of_week_of_local_hours(clock.local_hours(lower))
    return Segments(
        fact=fact,
        start_how=start_how.astype(np.int16),
        hours=(upper - lower).astype(np.int64),
        weight=1.0 / blocks[fact],
    )


def spread(segments: Segments, selected: np.ndarray | None = None) -> np.ndarray:
    """The 168 hours of the week's shares of the (selected) interval facts."""
    if selected is not None:
        keep = selected[segments.fact]
        start, hours, weight = (
            segments.start_how[keep],
            segments.hours[keep],
            segments.weight[keep],
        )
    else:
        start, hours, weight = segments.start_how, segments.hours, segments.weight
    weeks, rest = np.divmod(hours, HOURS_PER_WEEK)
    everywhere = float(np.dot(weeks, weight))
    start = start.astype(np.int64)
    diff = np.bincount(start, weights=weight, minlength=2 * HOURS_PER_WEEK + 1)
    diff -= np.bincount(start + rest, weights=weight, minlength=2 * HOURS_PER_WEEK + 1)
    running = np.cumsum(diff)[: 2 * HOURS_PER_WEEK]
    return running[:HOURS_PER_WEEK] + running[HOURS_PER_WEEK:] + everywhere


def week_matrix(
    point_how: np.ndarray, segments: Segments | None = None, selected: np.ndarray | None = None
) -> np.ndarray:
    """The 168 values: point facts by their hour of the week plus interval facts spread."""
    out = np.bincount(np.asarray(point_how, dtype=np.int64), minlength=HOURS_PER_WEEK).astype(
        np.float64
    )
    if segments is not None and segments.fact.size:
        out += spread(segments, selected)
    return out
