"""Date and time values read from their characters agree with the regular expression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ingest.incidents.columns
from ingest.incidents.dates import parse_dates
from ingest.incidents.datevalues import (
    DATE_SHAPES,
    TIME_SHAPES,
    Times,
    Values,
    _general_times,
    _general_values,
    parse_times,
    parse_values,
)

NOW = pd.Timestamp("2025-06-01T12:00:00Z")
FIELDS = {  # mostly valid, and the limits
    "a": [1, 7, 12, 13, 15, 28, 29, 30, 31, 0, 32, 99],
    "b": [1, 2, 3, 10, 12, 0, 13],
    "c": [2024, 2024, 2025, 1990, 1900, 2199, 24, 99, 100, 1899, 2200, 9999],
    "h": [0, 2, 3, 9, 12, 23, 24, 99],
    "n": [0, 30, 59, 60],
    "S": [0, 1, 59, 60],
}
FIELDS |= {"Y": FIELDS["c"], "M": FIELDS["b"], "D": FIELDS["a"]}
SEPARATORS = {"/": "////--..:x ", " ": "    TT\tt,_", ":": "::::::hH. "}


@st.composite
def shaped(draw: st.DrawFn, shapes: tuple[str, ...]) -> str:
    """A value of one of the shapes, its fields near their limits, its separators odd at times."""
    shape = draw(st.sampled_from(shapes))
    numbers = {k: draw(st.sampled_from(FIELDS[k])) for k in set(shape) if k in FIELDS}
    text, done = "", set()
    for kind in shape:
        if kind in SEPARATORS:
            text += draw(st.sampled_from(SEPARATORS[kind]))
        elif kind not in done:
            done.add(kind)
            text += str(numbers[kind]).zfill(shape.count(kind))[-shape.count(kind) :]
    return draw(st.sampled_from(["", " ", "\u00a0"])) + text


ALL_DATES = tuple(s for shapes in DATE_SHAPES.values() for s in shapes)
ALL_TIMES = tuple(s for shapes in TIME_SHAPES.values() for s in shapes)
OTHERS = ["", None, "x", "2024-03", "45310,5", "15/01/24", "22h30", "2024-01-15T22:30:00Z"]


def same_values(a: Values, b: Values) -> None:
    np.testing.assert_array_equal(a.naive, b.naive)
    np.testing.assert_array_equal(a.offset_min, b.offset_min)
    np.testing.assert_array_equal(a.precision, b.precision)
    np.testing.assert_array_equal(a.status, b.status)


def same_times(a: Times, b: Times) -> None:
    np.testing.assert_array_equal(a.time_us, b.time_us)
    np.testing.assert_array_equal(a.status, b.status)


@settings(max_examples=60, deadline=None, database=None)
@given(
    values=st.lists(st.one_of(shaped(ALL_DATES), st.sampled_from(OTHERS)), max_size=30),
    order=st.sampled_from(["dmy", "mdy", "ymd"]),
)
def test_date_shapes_read_as_the_expression_reads_them(values: list[str], order: str) -> None:
    series = pd.Series(values, dtype=object)
    same_values(parse_values(series, order, NOW), _general_values(series, order, NOW))


@settings(max_examples=60, deadline=None, database=None)
@given(values=st.lists(st.one_of(shaped(ALL_TIMES), st.sampled_from(OTHERS)), max_size=30))
def test_time_shapes_read_as_the_expression_reads_them(values: list[str]) -> None:
    series = pd.Series(values, dtype=object)
    same_times(parse_times(series), _general_times(series))


def test_usual_values_take_the_fast_path() -> None:
    values = pd.Series(["15/01/2024", "15/01/2024 22:30", "2024-01-15T22:30:00", None])
    parsed = parse_values(values, "dmy", NOW)
    assert parsed.naive.astype(str).tolist() == [
        "2024-01-15T00:00:00.000000",
        "2024-01-15T22:30:00.000000",
        "2024-01-15T22:30:00.000000",
        "NaT",
    ]
    assert parse_times(pd.Series(["22:30", "7:05:09"])).time_us.tolist() == [
        81_000_000_000,
        25_509_000_000,
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_dates_read_once_per_distinct_value_are_the_same(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    dates = ["15/01/2024", "31/02/2024", "2024-03", "13/01/2024", "x", None, "30/03/2025 02:30"]
    times = ["22:30", "7h15", "25:00", None, "02:30", "0,5"]
    n = ingest.incidents.columns.SAMPLE * 3

    def pick(pool: list[str | None]) -> pd.Series:
        return pd.Series([pool[i] for i in rng.integers(0, len(pool), n)], dtype=object)

    columns = {"start": pick(dates), "time": pick(times), "end": pick(dates + [None] * 5)}
    columns["end_time"] = pick(times + [None] * 5)
    once = parse_dates(timezone="Europe/Paris", now=NOW, **columns)
    monkeypatch.setattr(ingest.incidents.columns, "SAMPLE", 10 * n)  # every row on its own
    each = parse_dates(timezone="Europe/Paris", now=NOW, **columns)
    pd.testing.assert_series_equal(once.start, each.start)
    pd.testing.assert_series_equal(once.until, each.until)
    assert once.error.tolist() == each.error.tolist()
    assert once.error.notna().any() and once.start.notna().any()
