"""Time of the facts: days and hours drawn from the profiles, intervals, the DST gap."""

from __future__ import annotations

from datetime import date

import numpy as np

from benchmarks.synthetic.components import Component


def add_months(start: date, months: int) -> date:
    """The first day of the month `months` months after the month of `start`."""
    year, month = divmod(start.month - 1 + months, 12)
    return date(start.year + year, month + 1, 1)


def _last_sunday_of_march(year: int) -> np.datetime64:
    day = date(year, 3, 31)
    return np.datetime64(date.fromordinal(day.toordinal() - (day.weekday() + 1) % 7), "s")


def skip_dst_gap(moments: np.ndarray) -> np.ndarray:
    """Move local times in the spring-forward gap (02:00-02:59) one hour later."""
    valid = ~np.isnat(moments)
    if not valid.any():
        return moments
    years = moments[valid].astype("datetime64[Y]").astype(int) + 1970
    out = moments.copy()
    for year in range(int(years.min()), int(years.max()) + 1):
        gap = _last_sunday_of_march(year) + np.timedelta64(2, "h")
        in_gap = valid & (moments >= gap) & (moments < gap + np.timedelta64(1, "h"))
        out[in_gap] = moments[in_gap] + np.timedelta64(1, "h")
    return out


def hour_of_week(c: Component) -> np.ndarray:
    """7 x 24 weights, Monday first."""
    weekday_hours = np.asarray(c.hours)
    weekend_hours = np.asarray(c.weekend_hours if c.weekend_hours else c.hours)
    matrix = np.vstack([weekday_hours] * 5 + [weekend_hours] * 2) * np.asarray(c.days)[:, None]
    boost = np.ones((7, 24))
    evening, morning = slice(20, 24), slice(0, 7)
    boost[4, evening] = boost[5, evening] = c.night_boost  # Friday, Saturday evenings
    boost[5, morning] = boost[6, morning] = c.night_boost  # ... and the small hours after
    thursday = 1.0 + (c.night_boost - 1.0) / 3.0
    boost[3, evening] = boost[4, morning] = thursday
    return matrix * boost


def day_weights(c: Component, days: np.ndarray) -> np.ndarray:
    """Relative intensity of each day (datetime64[D] array) for a component."""
    n = days.size
    month = days.astype("datetime64[M]").astype(int) % 12 + 1
    day_of_month = (days - days.astype("datetime64[M]")).astype(int) + 1
    day_of_year = (days - days.astype("datetime64[Y]")).astype(int)
    peak_day = (c.season_peak - 0.5) * 365.25 / 12
    weights = 1.0 + c.season_amp * np.cos(2 * np.pi * (day_of_year - peak_day) / 365.25)
    years = np.arange(n) / 365.25
    weights *= (1.0 + c.trend) ** years
    if c.ramp:
        weights *= np.linspace(c.ramp[0], c.ramp[1], n)
    if c.from_month:
        first = days[0].astype("datetime64[M]") + np.timedelta64(c.from_month, "M")
        weights *= days >= first.astype("datetime64[D]")
    for (m, d), factor in c.special:
        weights *= np.where((month == m) & (day_of_month == d), factor, 1.0)
    return np.asarray(weights, dtype=float)


def _clipped_minutes(
    rng: np.random.Generator, n: int, mean_h: float, sd_h: float, lo_h: float, hi_h: float
) -> np.ndarray:
    minutes = rng.normal(mean_h * 60, sd_h * 60, n)
    return np.clip(np.round(minutes), lo_h * 60, hi_h * 60).astype("int64")


def intervals(
    rng: np.random.Generator, kind: str, days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) local datetimes of interval facts beginning on the given days."""
    n = days.size
    minute = np.timedelta64(1, "m")
    one_day = np.timedelta64(1, "D")
    base = days.astype("datetime64[m]")
    if kind == "absence":  # left home in the morning, found in the evening; or a holiday
        start = base + _clipped_minutes(rng, n, 8.0, 0.7, 6.5, 10.0) * minute
        end = base + _clipped_minutes(rng, n, 18.25, 1.0, 16.0, 21.5) * minute
        holiday = rng.random(n) < 0.15
        away = rng.integers(2, 16, n)
        late = base + away * one_day + _clipped_minutes(rng, n, 19.0, 2.0, 9.0, 23.0) * minute
        end = np.where(holiday, late, end)
    elif kind == "night":  # parked in the evening, found in the morning
        start = base + _clipped_minutes(rng, n, 21.75, 1.2, 18.0, 23.98) * minute
        end = base + one_day + _clipped_minutes(rng, n, 7.1, 0.8, 5.0, 10.0) * minute
    elif kind == "closed":  # closed in the evening, found at the next opening
        weekday = (days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        reopen = np.where(weekday == 5, 2, 1) * one_day  # closed on Sundays
        start = base + _clipped_minutes(rng, n, 19.75, 0.6, 18.5, 22.0) * minute
        end = base + reopen + _clipped_minutes(rng, n, 8.25, 0.5, 6.5, 10.0) * minute
    elif kind == "parked":  # a bicycle: parked for the day, or for the night
        day_start = base + _clipped_minutes(rng, n, 8.5, 0.75, 7.0, 11.0) * minute
        day_end = base + _clipped_minutes(rng, n, 18.0, 1.0, 15.0, 21.0) * minute
        night_start, night_end = intervals(rng, "night", days)
        at_night = rng.random(n) < 0.5
        start = np.where(at_night, night_start, day_start)
        end = np.where(at_night, night_end, day_end)
    else:
        raise ValueError(f"unknown interval kind {kind!r}")
    return start.astype("datetime64[s]"), end.astype("datetime64[s]")
