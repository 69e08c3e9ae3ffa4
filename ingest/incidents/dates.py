"""Dates of incident files, parsed column-wise (no Python loop per row) into UTC instants.

Accepted values: ISO 8601 (``2024-01-15``, ``2024-01-15T22:30:00``, with ``Z`` or an offset
such as ``+01:00``, also with a space instead of ``T``); ``dd/mm/yyyy [hh:mm[:ss]]`` with ``/``,
``-`` or ``.`` between the fields (``mm/dd/yyyy`` when the order is mdy, two-digit years
allowed); a month alone, ``yyyy-mm`` or ``mm/yyyy``; an Excel serial day number (1900 system,
``45310.5`` is 2024-01-19 12:00). Times: ``hh:mm``, ``hh:mm:ss``, ``22h30``, ``22h``, ``22``.

Rules:

- Date order: ``dmy`` or ``mdy`` is sniffed from the values where a field exceeds 12
  (``13/01/2024`` is dmy); without such evidence the French order, dmy.
- A value with an offset (``Z``, ``+01:00``) is absolute. A naive value is local time in the
  file's time zone.
- Daylight saving: a local time that does not exist (the spring-forward gap, e.g.
  2024-03-31 02:30 in Europe/Paris) is moved forward by the length of the gap: 03:30 local,
  01:30 UTC. A local time that occurs twice (autumn, 2024-10-27 02:30 in Europe/Paris) is taken
  as its first occurrence, in summer time: 00:30 UTC.
- A date without a time is the interval from 00:00 to 23:59:59 of that local day. A month alone
  is the interval from its first day 00:00 to its last day 23:59:59 (or its first instant only
  when ``month_is_interval`` is false). A time alone, in a time column, completes the date.
- A start and an end make an interval. An end given by a date alone covers that whole day; an
  end given by a time alone is on the start's day, or on the next day when it is earlier than
  the start (a night from 22:00 to 06:00). An end before the start is rejected; an end equal to
  the start leaves a point in time.
- Accepted dates run from 1990-01-01 to one day after now; others are rejected, as are
  impossible dates (31/02/2024) and unreadable values, with the value named in the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from ingest.incidents.columns import distinct_many
from ingest.incidents.datevalues import (
    DAY,
    EMPTY,
    IMPOSSIBLE,
    INSTANT,
    MONTH,
    NAT,
    OK,
    UNREADABLE,
    Times,
    Values,
    order_evidence,
    order_from,
    parse_times,
    parse_values,
    sniff_date_order,
)

__all__ = ["UTC_DTYPE", "ParsedDates", "localize", "parse_dates", "sniff_date_order"]

EARLIEST = pd.Timestamp("1990-01-01")
LAST_LOCALIZABLE = pd.Timestamp("9000-01-01")
UTC_DTYPE: Final = "datetime64[us, UTC]"
ONE_DAY = np.timedelta64(1, "D").astype("timedelta64[us]")
ONE_SECOND = np.timedelta64(1, "s").astype("timedelta64[us]")

EXPECTED = {
    "dmy": "JJ/MM/AAAA hh:mm ou AAAA-MM-JJ",
    "mdy": "MM/JJ/AAAA hh:mm ou AAAA-MM-JJ",
    "ymd": "AAAA-MM-JJ hh:mm",
}
EXPECTED_TIME = "hh:mm, hh:mm:ss ou 22h30"

Reason = Callable[[np.ndarray], list[str]]  # reasons for the rows where the mask holds


@dataclass
class ParsedDates:
    """One interval per row: ``until`` is NaT for a point in time; ``error`` a French reason."""

    start: pd.Series
    until: pd.Series
    error: pd.Series


def localize(naive: pd.Series, timezone: str) -> pd.Series:
    """Local wall times to UTC with the gap/overlap rule of the module docstring."""
    naive = naive.astype("datetime64[us]")
    # Far-future wall times (a night ending after 9999-12-31 23:59) have no zone rules: such
    # rows are rejected as out of range by the caller, their instant is left empty here.
    naive = naive.where(naive < LAST_LOCALIZABLE)
    local = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    utc = local.dt.tz_convert("UTC").astype(UTC_DTYPE)
    odd = local.isna() & naive.notna()
    if odd.any():
        wall = naive[odd]
        flags = np.ones(len(wall), dtype=bool)
        before = wall.dt.tz_localize(timezone, ambiguous=flags, nonexistent="shift_backward")
        after = wall.dt.tz_localize(timezone, ambiguous=~flags, nonexistent="shift_forward")
        before_utc = before.dt.tz_convert("UTC").astype(UTC_DTYPE)
        after_utc = after.dt.tz_convert("UTC").astype(UTC_DTYPE)
        in_gap = before.dt.tz_localize(None) != wall
        # In the gap, the wall time is read with the offset in force just before it.
        offset_before = before.dt.tz_localize(None) - before_utc.dt.tz_localize(None)
        gap_utc = (wall - offset_before).dt.tz_localize("UTC").astype(UTC_DTYPE)
        first = before_utc.where(before_utc <= after_utc, after_utc)
        utc[odd] = gap_utc.where(in_gap, first)
    return utc


def parse_dates(
    start: pd.Series,
    *,
    timezone: str,
    time: pd.Series | None = None,
    end: pd.Series | None = None,
    end_time: pd.Series | None = None,
    date_order: str | None = None,
    month_is_interval: bool = True,
    now: pd.Timestamp | None = None,
) -> ParsedDates:
    """Start and end values (strings or None) to UTC intervals, with a reason per bad row."""
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    empty = pd.Series([None] * len(start.index), index=start.index, dtype=object)
    end = empty if end is None else end
    order, first, last = _read_dates(start, end, date_order, now)
    start_time, stop_time = _read_times(
        empty if time is None else time, empty if end_time is None else end_time
    )
    first = _with_time(first, start_time)
    last = _with_time(last, stop_time)

    by_time = _day_start(first.naive) + _microseconds(stop_time.time_us)
    by_time = np.where(by_time >= first.naive, by_time, by_time + ONE_DAY)
    given_end = np.where(last.precision == INSTANT, last.naive, _cover_end(last, True))
    begin, own_end, given_end, by_time_utc = _to_utc(
        [
            (first.naive, first.offset_min),
            (_cover_end(first, month_is_interval), first.offset_min),
            (given_end, last.offset_min),
            (by_time, first.offset_min),
        ],
        timezone,
    )
    has_end = last.status != EMPTY
    time_end = ~has_end & (stop_time.status == OK)
    until = np.where(has_end, given_end, own_end)
    until = np.where(time_end, by_time_utc, until)
    until = np.where(until != begin, until, NAT)

    latest = now + pd.Timedelta(days=1)
    latest_utc = _instant(latest.tz_convert("UTC").tz_localize(None))
    latest_wall = _instant(latest.tz_localize(None))
    unreadable = "{what} illisible : {v} (attendu " + EXPECTED[order] + ")"
    impossible = (
        "{what} illisible : {v} (date ou heure inexistante ; attendu " + EXPECTED[order] + ")"
    )
    out_of_range = "{what} hors période : {v} (acceptée du 01/01/1990 à demain)"
    bad_time = "{what} illisible : {v} (attendu " + EXPECTED_TIME + ")"
    earliest = _instant(EARLIEST)
    end_out = has_end & ((last.naive < earliest) | (last.naive > latest_wall))
    checks: list[tuple[np.ndarray, str | Reason]] = [
        (first.status == EMPTY, "date manquante"),
        (first.status == UNREADABLE, _say(unreadable.replace("{what}", "Date"), start)),
        (first.status == IMPOSSIBLE, _say(impossible.replace("{what}", "Date"), start)),
        (
            (first.naive < earliest)
            | (first.naive >= _instant(LAST_LOCALIZABLE))
            | (begin > latest_utc),
            _say(out_of_range.replace("{what}", "Date"), start),
        ),
        (start_time.status == UNREADABLE, _say(bad_time.replace("{what}", "Heure"), time)),
        (last.status == UNREADABLE, _say(unreadable.replace("{what}", "Date de fin"), end)),
        (last.status == IMPOSSIBLE, _say(impossible.replace("{what}", "Date de fin"), end)),
        (end_out, _say(out_of_range.replace("{what}", "Date de fin"), end)),
        (
            stop_time.status == UNREADABLE,
            _say(bad_time.replace("{what}", "Heure de fin"), end_time),
        ),
        (until < begin, _end_before_start(start, end, end_time)),
    ]
    error = np.full(len(start.index), None, dtype=object)
    taken = np.zeros(len(start.index), dtype=bool)
    for failed, reason in checks:
        hit = failed & ~taken
        if hit.any():
            error[hit] = reason if isinstance(reason, str) else reason(hit)
            taken |= hit
    return ParsedDates(
        start=_utc_series(np.where(taken, NAT, begin), start.index),
        until=_utc_series(np.where(taken, NAT, until), start.index),
        error=pd.Series(error, index=start.index, dtype=object),
    )


def _read_dates(
    start: pd.Series, end: pd.Series, date_order: str | None, now: pd.Timestamp
) -> tuple[str, Values, Values]:
    """The date order, and the start and end values read (once per distinct value)."""
    found = distinct_many([start, end])
    if found is None:
        order = date_order or sniff_date_order(pd.concat([start, end])) or "dmy"
        return order, parse_values(start, order, now), parse_values(end, order, now)
    (start_codes, end_codes), words = found
    if date_order is None:
        rows = np.bincount(np.concatenate([start_codes, end_codes]), minlength=len(words))
        date_order = order_from(*order_evidence(words, rows))
    order = date_order or "dmy"
    values = parse_values(words, order, now)
    return order, values.take(start_codes), values.take(end_codes)


def _read_times(time: pd.Series, end_time: pd.Series) -> tuple[Times, Times]:
    found = distinct_many([time, end_time])
    if found is None:
        return parse_times(time), parse_times(end_time)
    (time_codes, end_codes), words = found
    times = parse_times(words)
    return times.take(time_codes), times.take(end_codes)


def _instant(value: pd.Timestamp) -> np.datetime64:
    return value.as_unit("us").to_datetime64()


def _microseconds(values: np.ndarray) -> np.ndarray:
    """Float microseconds as timedelta64[us], NaT for NaN."""
    missing = np.isnan(values)
    out = np.where(missing, 0, values).astype("int64").astype("timedelta64[us]")
    out[missing] = np.timedelta64("NaT", "us")
    return out


def _day_start(naive: np.ndarray) -> np.ndarray:
    return naive.astype("datetime64[D]").astype("datetime64[us]")


def _with_time(parsed: Values, times: Times) -> Values:
    """Replace the time of day of dated (not month-only, not offset) values by the time column."""
    use = (
        (times.status == OK)
        & (parsed.status == OK)
        & (parsed.precision >= DAY)
        & np.isnan(parsed.offset_min)
    )
    combined = _day_start(parsed.naive) + _microseconds(np.nan_to_num(times.time_us))
    return Values(
        np.where(use, combined, parsed.naive),
        parsed.offset_min,
        np.where(use, INSTANT, parsed.precision),
        parsed.status,
    )


def _cover_end(parsed: Values, month_is_interval: bool) -> np.ndarray:
    """Last second of the day or month a coarse value stands for; NaT for instants."""
    naive = parsed.naive
    out = np.where(parsed.precision == DAY, naive + ONE_DAY - ONE_SECOND, NAT)
    if month_is_interval:
        # The first day of the next month, at the same time of day.
        next_month = (naive.astype("datetime64[M]") + 1).astype("datetime64[us]")
        month_end = next_month + (naive - _day_start(naive)) - ONE_SECOND
        out = np.where(parsed.precision == MONTH, month_end, out)
    return out


def _to_utc(columns: list[tuple[np.ndarray, np.ndarray]], timezone: str) -> list[np.ndarray]:
    """UTC instants of wall times, each with its offset in minutes, or local when NaN."""
    naive = np.concatenate([c[0] for c in columns])
    offset = np.concatenate([c[1] for c in columns])
    fixed = ~np.isnan(offset)
    utc = naive - _microseconds(np.where(fixed, offset, 0) * 60_000_000)
    local = ~fixed & ~np.isnat(naive)
    if local.any():
        instants = localize(pd.Series(naive[local]), timezone)
        utc[local] = instants.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return np.split(utc, np.cumsum([len(c[0]) for c in columns])[:-1])


def _utc_series(values: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(values, index=index).dt.tz_localize("UTC").astype(UTC_DTYPE)


def _quoted(values: pd.Series | None, hit: np.ndarray) -> list[str]:
    if values is None:
        return ['""'] * int(hit.sum())
    return ['"' + ("" if v is None or v != v else str(v).strip()) + '"' for v in values[hit]]


def _say(template: str, values: pd.Series | None) -> Reason:
    """Reasons naming each bad value: ``template`` with ``{v}`` replaced by the quoted value."""
    return lambda hit: [template.replace("{v}", v) for v in _quoted(values, hit)]


def _end_before_start(start: pd.Series, end: pd.Series, end_time: pd.Series | None) -> Reason:
    def build(hit: np.ndarray) -> list[str]:
        ends = end.astype(object).where(end.notna(), end_time) if end_time is not None else end
        return [
            f"fin avant le début : début {s}, fin {e} (vérifiez les colonnes de début et de fin)"
            for s, e in zip(_quoted(start, hit), _quoted(ends, hit), strict=True)
        ]

    return build
