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

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

try:
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pandas' own regex path: the same results, slower
    pa = pc = None

EARLIEST = pd.Timestamp("1990-01-01")
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
UTC_DTYPE: Final = "datetime64[us, UTC]"

EMPTY, OK, UNREADABLE, IMPOSSIBLE = 0, 1, 2, 3
MONTH, DAY, INSTANT = 1, 2, 3

EXPECTED = {
    "dmy": "JJ/MM/AAAA hh:mm ou AAAA-MM-JJ",
    "mdy": "MM/JJ/AAAA hh:mm ou AAAA-MM-JJ",
    "ymd": "AAAA-MM-JJ hh:mm",
}
EXPECTED_TIME = "hh:mm, hh:mm:ss ou 22h30"

Reason = Callable[[pd.Series], list[str]]  # reasons for the rows where the mask holds


def _time(p: str) -> str:
    return (
        rf"(?P<{p}h>\d{{1,2}})(?:\s*[:hH]\s*(?P<{p}n>\d{{2}})"
        rf"(?:\s*[:mM]\s*(?P<{p}s>\d{{2}})(?:[.,](?P<{p}f>\d{{1,9}}))?)?)?(?:\s*[hH])?"
    )


def _offset(p: str) -> str:
    return (
        rf"(?:\s*(?P<{p}z>Z|UTC|GMT)|\s*(?P<{p}sign>[+-])(?P<{p}oh>\d{{2}}):?(?P<{p}om>\d{{2}})?)?"
    )


_SEP = r"(?:\s*[Tt,]\s*|\s+(?:à\s+)?)"
_DATE = (
    r"^(?:"
    rf"(?P<Y>\d{{4}})[-/.](?P<M>\d{{1,2}})[-/.](?P<D>\d{{1,2}})(?:{_SEP}{_time('i')})?{_offset('i')}"
    rf"|(?P<a>\d{{1,2}})[-/.](?P<b>\d{{1,2}})[-/.](?P<c>\d{{4}}|\d{{2}})"
    rf"(?:{_SEP}{_time('l')})?{_offset('l')}"
    r"|(?P<mY>\d{4})[-/.](?P<mM>\d{1,2})"
    r"|(?P<nM>\d{1,2})[-/.](?P<nY>\d{4})"
    r"|(?P<serial>\d{5}(?:[.,]\d+)?)"
    r")$"
)
_TIME_ONLY = (
    rf"^(?:(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})[\sTt]+)?{_time('t')}$"
    r"|^(?P<frac>0?[.,]\d+)$"
)
_DAY_FIRST = r"^(?P<p>\d{1,2})[-/.](?P<q>\d{1,2})[-/.]\d{2,4}(?:\D|$)"


@dataclass
class ParsedDates:
    """One interval per row: ``until`` is NaT for a point in time; ``error`` a French reason."""

    start: pd.Series
    until: pd.Series
    error: pd.Series


class _Groups:
    """Named groups of a regex matched on each string (RE2 through pyarrow when installed)."""

    def __init__(self, text: pd.Series, pattern: str) -> None:
        self.index = text.index
        self._fields: dict[str, Any] = {}
        self._frame: pd.DataFrame | None = None
        if pc is None:
            self._frame = text.str.extract(re.compile(pattern, re.ASCII)).replace("", np.nan)
            return
        result = pc.extract_regex(pa.array(text.to_numpy(dtype=object), type=pa.string()), pattern)
        for i in range(result.type.num_fields):
            values = pc.struct_field(result, [i])
            empty = pc.fill_null(pc.equal(values, ""), True)
            self._fields[result.type.field(i).name] = pc.if_else(empty, None, values)

    def text(self, name: str) -> pd.Series:
        if self._frame is not None:
            return self._frame[name]
        values = self._fields[name].to_numpy(zero_copy_only=False)
        return pd.Series(values, index=self.index, dtype=object)

    def num(self, name: str) -> pd.Series:
        if self._frame is not None:
            return pd.to_numeric(self._frame[name].str.replace(",", "."), errors="coerce")
        values = pc.cast(pc.replace_substring(self._fields[name], ",", "."), pa.float64())
        return pd.Series(values.to_numpy(zero_copy_only=False), index=self.index, dtype="float64")

    def has(self, name: str) -> pd.Series:
        if self._frame is not None:
            return self._frame[name].notna()
        valid = pc.is_valid(self._fields[name]).to_numpy(zero_copy_only=False)
        return pd.Series(valid, index=self.index, dtype=bool)

    def matched(self) -> pd.Series:
        names = list(self._frame.columns) if self._frame is not None else list(self._fields)
        hit = pd.Series(False, index=self.index)
        for name in names:
            hit |= self.has(name)
        return hit


def _clean(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def sniff_date_order(values: pd.Series) -> str | None:
    """ "dmy" or "mdy" when a day field above 12 tells; None when the values do not say."""
    groups = _Groups(_clean(values), _DAY_FIRST)
    first, second = groups.num("p"), groups.num("q")
    day_first, month_first = int((first > 12).sum()), int((second > 12).sum())
    if day_first == month_first == 0:
        return None
    return "mdy" if month_first > day_first else "dmy"


def _micro(fraction: pd.Series) -> pd.Series:
    micro = pd.Series(0.0, index=fraction.index)
    present = fraction.notna()
    if present.any():
        digits = fraction[present].astype(str).str.pad(6, side="right", fillchar="0").str[:6]
        micro[present] = pd.to_numeric(digits, errors="coerce")
    return micro


def _time_of_day_us(h: pd.Series, n: pd.Series, s: pd.Series, f: pd.Series) -> pd.Series:
    """Microseconds since midnight; NaN when a field is out of range."""
    h, n, s = h.fillna(0), n.fillna(0), s.fillna(0)
    valid = (h <= 23) & (n <= 59) & (s <= 59)
    total = ((h * 60 + n) * 60 + s) * 1_000_000 + _micro(f)
    return total.where(valid)


def _expand_year(yy: pd.Series, now: pd.Timestamp) -> pd.Series:
    century = np.where(2000 + yy <= now.year + 1, 2000, 1900)
    return yy.where(yy >= 100, yy + century)


def _parse_values(values: pd.Series, order: str, now: pd.Timestamp) -> pd.DataFrame:
    """naive (local or offset wall time), offset_min (NaN: naive), precision and status."""
    text = _clean(values)
    g = _Groups(text, _DATE)
    a, b, c = g.num("a"), g.num("b"), g.num("c")
    c_full = _expand_year(c, now)
    if order == "mdy":
        lyear, lmonth, lday = c_full, a, b
    elif order == "ymd":
        two_digits = c < 100
        lyear = c_full.where(~two_digits, _expand_year(a, now))
        lmonth, lday = b, a.where(~two_digits, c)
    else:
        lyear, lmonth, lday = c_full, b, a
    iso = g.has("Y")
    year = g.num("Y").where(iso, lyear).fillna(g.num("mY")).fillna(g.num("nY"))
    month = g.num("M").where(iso, lmonth).fillna(g.num("mM")).fillna(g.num("nM"))
    day = g.num("D").where(iso, lday).fillna(1)
    hour, minute, second = (g.num(f"i{k}").where(iso, g.num(f"l{k}")) for k in "hns")
    fraction = g.text("if").where(iso, g.text("lf"))
    time_us = _time_of_day_us(hour, minute, second, fraction)

    valid_fields = month.between(1, 12) & day.between(1, 31) & year.between(1, 9999)
    calendar = pd.DataFrame({"year": year, "month": month, "day": day}).where(valid_fields)
    date = pd.to_datetime(calendar, errors="coerce").astype("datetime64[us]")
    naive = date + pd.to_timedelta(time_us.fillna(0), unit="us")
    naive = naive.where(time_us.notna())

    serial = g.num("serial")
    serial_ok = serial.between(1, 2_958_465)
    serial_naive = EXCEL_EPOCH + pd.to_timedelta((serial.where(serial_ok) * 86400).round(), "s")
    naive = naive.where(serial.isna(), serial_naive.astype("datetime64[us]"))

    has_time = hour.notna() | (serial % 1 > 0)
    is_month = g.has("mY") | g.has("nY")
    precision = np.where(is_month, MONTH, np.where(has_time, INSTANT, DAY))
    status = np.where(
        text == "",
        EMPTY,
        np.where(~g.matched(), UNREADABLE, np.where(naive.isna(), IMPOSSIBLE, OK)),
    )
    pick = {k: g.num(f"i{k}").where(iso, g.num(f"l{k}")) for k in ("oh", "om")}
    sign = np.where(g.text("isign").where(iso, g.text("lsign")) == "-", -1, 1)
    offset = (pick["oh"] * 60 + pick["om"].fillna(0)) * sign
    offset = offset.where(~(g.has("iz") | g.has("lz")), 0.0)
    return pd.DataFrame(
        {
            "naive": naive,
            "offset_min": offset,
            "precision": precision,
            "status": status,
        },
        index=values.index,
    )


def _parse_times(values: pd.Series) -> pd.DataFrame:
    """Time of day in microseconds (``time_us``) and status of each value of a time column."""
    text = _clean(values)
    g = _Groups(text, _TIME_ONLY)
    time_us = _time_of_day_us(g.num("th"), g.num("tn"), g.num("ts"), g.text("tf"))
    time_us = time_us.where(g.has("th"), (g.num("frac") * 86_400).round() * 1_000_000)
    status = np.where(text == "", EMPTY, np.where(time_us.isna(), UNREADABLE, OK))
    return pd.DataFrame({"time_us": time_us, "status": status}, index=values.index)


def _with_time(parsed: pd.DataFrame, times: pd.DataFrame) -> pd.DataFrame:
    """Replace the time of day of dated (not month-only, not offset) values by the time column."""
    use = (
        (times["status"] == OK)
        & (parsed["status"] == OK)
        & (parsed["precision"] >= DAY)
        & parsed["offset_min"].isna()
    )
    combined = parsed["naive"].dt.normalize() + pd.to_timedelta(times["time_us"].fillna(0), "us")
    out = parsed.copy()
    out["naive"] = parsed["naive"].where(~use, combined)
    out["precision"] = parsed["precision"].where(~use, INSTANT)
    return out


def _cover_end(parsed: pd.DataFrame, month_is_interval: bool) -> pd.Series:
    """Last second of the day or month a coarse value stands for; NaT for instants."""
    naive = parsed["naive"]
    day_end = naive + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    month_end = naive + pd.offsets.MonthBegin(1) - pd.Timedelta(seconds=1)
    precision = parsed["precision"]
    out = day_end.where(precision == DAY)
    if month_is_interval:
        out = out.where(precision != MONTH, month_end)
    return out.astype("datetime64[us]")


def localize(naive: pd.Series, timezone: str) -> pd.Series:
    """Local wall times to UTC with the gap/overlap rule of the module docstring."""
    naive = naive.astype("datetime64[us]")
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


def _to_utc(naive: pd.Series, offset_min: pd.Series, timezone: str) -> pd.Series:
    absolute = (naive - pd.to_timedelta(offset_min.fillna(0), unit="m")).dt.tz_localize("UTC")
    return localize(naive, timezone).where(offset_min.isna(), absolute.astype(UTC_DTYPE))


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
    order = date_order or sniff_date_order(pd.concat([start, end])) or "dmy"

    first = _parse_values(start, order, now)
    last = _parse_values(end, order, now)
    start_time = _parse_times(empty if time is None else time)
    stop_time = _parse_times(empty if end_time is None else end_time)
    first = _with_time(first, start_time)
    last = _with_time(last, stop_time)

    begin = _to_utc(first["naive"], first["offset_min"], timezone)
    own_end = _to_utc(_cover_end(first, month_is_interval), first["offset_min"], timezone)
    given_end = _to_utc(
        last["naive"].where(last["precision"] == INSTANT, _cover_end(last, True)),
        last["offset_min"],
        timezone,
    )
    by_time = first["naive"].dt.normalize() + pd.to_timedelta(stop_time["time_us"], "us")
    by_time = by_time.where(by_time >= first["naive"], by_time + pd.Timedelta(days=1))
    by_time_utc = _to_utc(by_time, first["offset_min"], timezone)

    has_end = last["status"] != EMPTY
    time_end = ~has_end & (stop_time["status"] == OK)
    until = own_end.where(~has_end, given_end).where(~time_end, by_time_utc)
    until = until.where(until != begin, pd.NaT).astype(UTC_DTYPE)

    latest = now + pd.Timedelta(days=1)
    unreadable = "{what} illisible : {v} (attendu " + EXPECTED[order] + ")"
    impossible = (
        "{what} illisible : {v} (date ou heure inexistante ; attendu " + EXPECTED[order] + ")"
    )
    out_of_range = "{what} hors période : {v} (acceptée du 01/01/1990 à demain)"
    bad_time = "{what} illisible : {v} (attendu " + EXPECTED_TIME + ")"
    end_out = has_end & ((last["naive"] < EARLIEST) | (last["naive"] > latest.tz_localize(None)))
    checks: list[tuple[pd.Series, str | Reason]] = [
        (first["status"] == EMPTY, "date manquante"),
        (first["status"] == UNREADABLE, _say(unreadable.replace("{what}", "Date"), start)),
        (first["status"] == IMPOSSIBLE, _say(impossible.replace("{what}", "Date"), start)),
        (
            (first["naive"] < EARLIEST) | (begin > latest),
            _say(out_of_range.replace("{what}", "Date"), start),
        ),
        (start_time["status"] == UNREADABLE, _say(bad_time.replace("{what}", "Heure"), time)),
        (last["status"] == UNREADABLE, _say(unreadable.replace("{what}", "Date de fin"), end)),
        (last["status"] == IMPOSSIBLE, _say(impossible.replace("{what}", "Date de fin"), end)),
        (end_out, _say(out_of_range.replace("{what}", "Date de fin"), end)),
        (
            stop_time["status"] == UNREADABLE,
            _say(bad_time.replace("{what}", "Heure de fin"), end_time),
        ),
        (until < begin, _end_before_start(start, end, end_time)),
    ]
    error = pd.Series([None] * len(start.index), index=start.index, dtype=object)
    for failed, reason in checks:
        hit = failed.fillna(False).astype(bool) & error.isna()
        if hit.any():
            error[hit] = reason if isinstance(reason, str) else reason(hit)
    ok = error.isna()
    return ParsedDates(
        start=begin.where(ok).astype(UTC_DTYPE),
        until=until.where(ok).astype(UTC_DTYPE),
        error=error,
    )


def _quoted(values: pd.Series | None, hit: pd.Series) -> list[str]:
    if values is None:
        return ['""'] * int(hit.sum())
    return ['"' + ("" if v is None or v != v else str(v).strip()) + '"' for v in values[hit]]


def _say(template: str, values: pd.Series | None) -> Reason:
    """Reasons naming each bad value: ``template`` with ``{v}`` replaced by the quoted value."""
    return lambda hit: [template.replace("{v}", v) for v in _quoted(values, hit)]


def _end_before_start(start: pd.Series, end: pd.Series, end_time: pd.Series | None) -> Reason:
    def build(hit: pd.Series) -> list[str]:
        ends = end.where(end.notna(), end_time) if end_time is not None else end
        return [
            f"fin avant le début : début {s}, fin {e} (vérifiez les colonnes de début et de fin)"
            for s, e in zip(_quoted(start, hit), _quoted(ends, hit), strict=True)
        ]

    return build
