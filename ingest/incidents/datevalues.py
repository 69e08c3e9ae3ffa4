"""The values of date and time columns, one by one: formats, fields, and what each one is.

The formats are those of ingest.incidents.dates. A value is read with a regular expression
(RE2 through pyarrow when installed, else Python's) whose named groups give its fields; the
usual fixed-width shapes (``15/01/2024``, ``15/01/2024 22:30``, ``2024-01-15T22:30:00``,
``22:30``) are read straight from their characters first, and only the other values go through
the expression. Both give the same result for a value; tests/ingest/incidents/test_datevalues.py
checks that they agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ingest.incidents.columns import arrow_text, distinct

try:
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pandas' own regex path: the same results, slower
    pa = pc = None

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EMPTY, OK, UNREADABLE, IMPOSSIBLE = 0, 1, 2, 3
MONTH, DAY, INSTANT = 1, 2, 3
NAT = np.datetime64("NaT", "us")


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
    found = distinct(values)
    if found is None:
        day_first, month_first = order_evidence(values, np.ones(len(values), dtype="int64"))
    else:
        codes, words = found
        day_first, month_first = order_evidence(words, np.bincount(codes, minlength=len(words)))
    return order_from(day_first, month_first)


def order_from(day_first: int, month_first: int) -> str | None:
    """The date order that the counts of order_evidence tell, if any."""
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


@dataclass
class Values:
    """Each value of a date column read: wall time, offset in minutes (NaN: local), what it is."""

    naive: np.ndarray  # datetime64[us], NaT where unreadable
    offset_min: np.ndarray  # float64
    precision: np.ndarray  # int64: MONTH, DAY or INSTANT
    status: np.ndarray  # int64: EMPTY, OK, UNREADABLE or IMPOSSIBLE

    @classmethod
    def blank(cls, n: int) -> Values:
        """What the expression gives for n empty values."""
        return cls(
            np.full(n, NAT),
            np.full(n, np.nan),
            np.full(n, DAY, dtype="int64"),
            np.full(n, EMPTY, dtype="int64"),
        )

    def take(self, rows: np.ndarray) -> Values:
        return Values(
            *(a[rows] for a in (self.naive, self.offset_min, self.precision, self.status))
        )

    def put(self, rows: np.ndarray, other: Values) -> None:
        for name in ("naive", "offset_min", "precision", "status"):
            getattr(self, name)[rows] = getattr(other, name)


@dataclass
class Times:
    """Each value of a time column read: microseconds since midnight (NaN if none), status."""

    time_us: np.ndarray  # float64
    status: np.ndarray  # int64

    def take(self, rows: np.ndarray) -> Times:
        return Times(self.time_us[rows], self.status[rows])


# Fixed-width shapes read from the characters: a letter is a digit of that field, "/" one of
# "-/.", " " a space or "T", ":" itself. The fields: a b c (day, month, year in the file's
# order), Y M D (ISO), h n S (hours, minutes, seconds).
DATE_SHAPES = {
    10: ("aa/bb/cccc", "YYYY/MM/DD"),
    16: ("aa/bb/cccc hh:nn", "YYYY/MM/DD hh:nn"),
    19: ("aa/bb/cccc hh:nn:SS", "YYYY/MM/DD hh:nn:SS"),
}
TIME_SHAPES = {4: ("h:nn",), 5: ("hh:nn",), 7: ("h:nn:SS",), 8: ("hh:nn:SS",)}
KINDS = {"/": b"-/.", " ": b" T", ":": b":"}
YEARS = (1900, 2199)  # read from the characters; other years go through the expression


def parse_values(values: pd.Series, order: str, now: pd.Timestamp) -> Values:
    """The values of a date column read with the date order (dmy, mdy or ymd)."""
    text = arrow_text(values)
    if text is None:
        return _general_values(values, order, now)
    out = Values.blank(len(values))
    rest = np.asarray(pc.binary_length(text)) > 0
    for length, shapes in DATE_SHAPES.items():
        rows, chars = _fixed_width(text, length)
        for shape in shapes:
            found, fields = _read_shape(chars, shape)
            done = rows[found]
            done_naive, valid = _naive(fields, order)
            done, done_naive = done[valid], done_naive[valid]
            out.naive[done] = done_naive
            out.precision[done] = INSTANT if "h" in shape else DAY
            out.status[done] = OK
            rest[done] = False
    if rest.any():
        rows = np.flatnonzero(rest)
        out.put(rows, _general_values(values.iloc[rows], order, now))
    return out


def parse_times(values: pd.Series) -> Times:
    """The values of a time column read."""
    text = arrow_text(values)
    if text is None:
        return _general_times(values)
    n = len(values)
    out = Times(np.full(n, np.nan), np.full(n, EMPTY, dtype="int64"))
    rest = np.asarray(pc.binary_length(text)) > 0
    for length, shapes in TIME_SHAPES.items():
        rows, chars = _fixed_width(text, length)
        for shape in shapes:
            found, fields = _read_shape(chars, shape)
            time_us, valid = _time_us(fields)
            done = rows[found][valid]
            out.time_us[done] = time_us[valid]
            out.status[done] = OK
            rest[done] = False
    if rest.any():
        rows = np.flatnonzero(rest)
        general = _general_times(values.iloc[rows])
        out.time_us[rows], out.status[rows] = general.time_us, general.status
    return out


def _general_values(values: pd.Series, order: str, now: pd.Timestamp) -> Values:
    frame = _parse_values(values, order, now)
    return Values(
        frame["naive"].to_numpy(dtype="datetime64[us]"),
        frame["offset_min"].to_numpy(dtype="float64"),
        frame["precision"].to_numpy(dtype="int64"),
        frame["status"].to_numpy(dtype="int64"),
    )


def _general_times(values: pd.Series) -> Times:
    frame = _parse_times(values)
    return Times(frame["time_us"].to_numpy(dtype="float64"), frame["status"].to_numpy("int64"))


def _fixed_width(text: pa.Array, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows whose text is ``length`` bytes long, and their bytes (one row each)."""
    rows = np.flatnonzero(np.asarray(pc.binary_length(text)) == length)
    if not len(rows):
        return rows, np.empty((0, length), dtype=np.uint8)
    chosen = text.take(pa.array(rows))
    offsets = np.frombuffer(chosen.buffers()[1], dtype=np.int32)[chosen.offset :]
    data = np.frombuffer(chosen.buffers()[2], dtype=np.uint8)
    return rows, data[offsets[0] : offsets[0] + length * len(rows)].reshape(len(rows), length)


def _read_shape(chars: np.ndarray, shape: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Which rows have the shape, and the numbers of its fields for those rows."""
    found = np.ones(len(chars), dtype=bool)
    for i, kind in enumerate(shape):
        column = chars[:, i]
        if kind in KINDS:
            found &= np.isin(column, np.frombuffer(KINDS[kind], dtype=np.uint8))
        else:
            found &= column - np.uint8(48) <= 9
    chars = chars[found].astype("int64") - 48
    fields: dict[str, np.ndarray] = {}
    for i, kind in enumerate(shape):
        if kind not in KINDS:
            fields[kind] = fields.get(kind, 0) * 10 + chars[:, i]
    return found, fields


def _time_us(fields: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since midnight of h, n (and S) fields, and where they are in range."""
    h, n = fields["h"], fields["n"]
    s = fields.get("S", np.zeros_like(h))
    valid = (h <= 23) & (n <= 59) & (s <= 59)
    return ((h * 60 + n) * 60 + s) * 1_000_000, valid


def _naive(fields: dict[str, np.ndarray], order: str) -> tuple[np.ndarray, np.ndarray]:
    """Wall times of date (and time) fields, and where the date exists in the safe years."""
    if "Y" in fields:
        year, month, day = fields["Y"], fields["M"], fields["D"]
    elif order == "mdy":
        year, month, day = fields["c"], fields["a"], fields["b"]
    else:  # dmy, and ymd for a four-digit year at the end
        year, month, day = fields["c"], fields["b"], fields["a"]
    valid = (year >= YEARS[0]) & (year <= YEARS[1]) & (month >= 1) & (month <= 12) & (day >= 1)
    months = np.where(valid, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    valid &= day - 1 < ((months + 1).astype("datetime64[D]") - first).astype("int64")
    naive = (first + (day - 1).astype("timedelta64[D]")).astype("datetime64[us]")
    if "h" in fields:
        time_us, in_range = _time_us(fields)
        naive = naive + time_us.astype("timedelta64[us]")
        valid &= in_range
    return naive, valid


def order_evidence(words: pd.Series, rows: np.ndarray) -> tuple[int, int]:
    """Rows whose first field exceeds 12 and rows whose second does, for date order sniffing.

    ``rows``: how many rows hold each of the words."""
    groups = _Groups(_clean(words), _DAY_FIRST)
    first, second = groups.num("p").to_numpy(), groups.num("q").to_numpy()
    return int(rows[first > 12].sum()), int(rows[second > 12].sum())
