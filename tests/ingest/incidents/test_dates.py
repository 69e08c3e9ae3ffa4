"""Dates of incident files: formats, order, time zones, DST, intervals and reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ingest.incidents.dates import localize, parse_dates, sniff_date_order

NOW = pd.Timestamp("2025-06-01T12:00:00Z")
PARIS = "Europe/Paris"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def one(value: str | None, *, timezone: str = PARIS, **kwargs: object) -> tuple:
    """(start, until, error) of a single start value."""
    parsed = parse_dates(
        pd.Series([value], dtype=object),
        timezone=timezone,
        now=NOW,
        **kwargs,  # type: ignore[arg-type]
    )
    return parsed.start.iloc[0], parsed.until.iloc[0], parsed.error.iloc[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15/01/2024 22:30", "2024-01-15T21:30:00"),  # winter, UTC+1
        ("15/07/2024 22:30", "2024-07-15T20:30:00"),  # summer, UTC+2
        ("15/01/2024 22:30:15", "2024-01-15T21:30:15"),
        ("15-01-2024 22:30", "2024-01-15T21:30:00"),
        ("15.01.2024 22h30", "2024-01-15T21:30:00"),
        ("15/01/24 22h", "2024-01-15T21:00:00"),
        ("2024-01-15 22:30", "2024-01-15T21:30:00"),
        ("2024-01-15T22:30:00", "2024-01-15T21:30:00"),
        ("2024-01-15T22:30:00.250", "2024-01-15T21:30:00.250"),
        ("2024-01-15T22:30:00Z", "2024-01-15T22:30:00"),
        ("2024-01-15T22:30:00+05:30", "2024-01-15T17:00:00"),
        ("2024-07-15 22:30:00-0400", "2024-07-16T02:30:00"),
        ("45310.5", "2024-01-19T11:00:00"),  # Excel serial: 2024-01-19 12:00 local
    ],
)
def test_instants_to_utc(value: str, expected: str) -> None:
    start, until, error = one(value)
    assert error is None
    assert start == utc(expected)
    assert pd.isna(until)


def test_result_dtype_is_utc_microseconds() -> None:
    parsed = parse_dates(pd.Series(["15/01/2024 22:30"]), timezone=PARIS, now=NOW)
    assert str(parsed.start.dtype) == "datetime64[us, UTC]"
    assert str(parsed.until.dtype) == "datetime64[us, UTC]"


@pytest.mark.parametrize(
    ("value", "timezone", "expected"),
    [
        ("2024-03-31 01:59", PARIS, "2024-03-31T00:59:00"),
        ("2024-03-31 02:30", PARIS, "2024-03-31T01:30:00"),  # gap: 03:30 local
        ("2024-03-31 03:00", PARIS, "2024-03-31T01:00:00"),
        ("2024-10-27 02:30", PARIS, "2024-10-27T00:30:00"),  # twice: the first, summer time
        ("2024-10-27 03:30", PARIS, "2024-10-27T02:30:00"),
        ("2024-03-31 01:30", "Europe/London", "2024-03-31T01:30:00"),  # gap: 02:30 BST
        ("2024-10-27 01:30", "Europe/London", "2024-10-27T00:30:00"),  # twice: BST
    ],
)
def test_daylight_saving_rule(value: str, timezone: str, expected: str) -> None:
    start, _, error = one(value, timezone=timezone)
    assert error is None
    assert start == utc(expected)


def test_localize_is_vectorised_over_mixed_cases() -> None:
    naive = pd.Series(
        pd.to_datetime(["2024-03-31 02:30", "2024-10-27 02:30", "2024-01-01 00:00", None])
    )
    out = localize(naive, PARIS)
    assert out.iloc[:3].tolist() == [
        utc("2024-03-31T01:30:00"),
        utc("2024-10-27T00:30:00"),
        utc("2023-12-31T23:00:00"),
    ]
    assert pd.isna(out.iloc[3])


@pytest.mark.parametrize(
    ("value", "start", "until"),
    [
        ("15/01/2024", "2024-01-14T23:00:00", "2024-01-15T22:59:59"),
        ("15/07/2024", "2024-07-14T22:00:00", "2024-07-15T21:59:59"),
        ("2024-01-15", "2024-01-14T23:00:00", "2024-01-15T22:59:59"),
        ("45310", "2024-01-18T23:00:00", "2024-01-19T22:59:59"),
        ("2024-02", "2024-01-31T23:00:00", "2024-02-29T22:59:59"),
        ("03/2024", "2024-02-29T23:00:00", "2024-03-31T21:59:59"),
    ],
)
def test_dates_without_time_are_intervals(value: str, start: str, until: str) -> None:
    got_start, got_until, error = one(value)
    assert error is None
    assert (got_start, got_until) == (utc(start), utc(until))


def test_police_uk_months_in_london() -> None:
    parsed = parse_dates(pd.Series(["2024-01", "2024-03"]), timezone="Europe/London", now=NOW)
    assert parsed.start.tolist() == [utc("2024-01-01T00:00:00"), utc("2024-03-01T00:00:00")]
    assert parsed.until.tolist() == [utc("2024-01-31T23:59:59"), utc("2024-03-31T22:59:59")]


def test_month_as_an_instant_when_asked() -> None:
    start, until, error = one("2024-01", month_is_interval=False)
    assert error is None
    assert start == utc("2023-12-31T23:00:00")
    assert pd.isna(until)


def test_separate_time_column() -> None:
    parsed = parse_dates(
        pd.Series(["15/01/2024"] * 6 + ["2024-01-15"]),
        time=pd.Series(["22:30", "22h30", "22:30:15", "22", "7h", None, "1899-12-30 06:15:00"]),
        timezone=PARIS,
        now=NOW,
    )
    assert parsed.error.isna().all()
    assert parsed.start.tolist() == [
        utc("2024-01-15T21:30:00"),
        utc("2024-01-15T21:30:00"),
        utc("2024-01-15T21:30:15"),
        utc("2024-01-15T21:00:00"),
        utc("2024-01-15T06:00:00"),
        utc("2024-01-14T23:00:00"),  # no time: the whole day
        utc("2024-01-15T05:15:00"),
    ]
    assert pd.isna(parsed.until.iloc[0])
    assert parsed.until.iloc[5] == utc("2024-01-15T22:59:59")


def test_date_order_sniffed_from_values() -> None:
    assert sniff_date_order(pd.Series(["01/13/2024", "02/01/2024"])) == "mdy"
    assert sniff_date_order(pd.Series(["13/01/2024", "02/01/2024"])) == "dmy"
    assert sniff_date_order(pd.Series(["01/02/2024", None, "2024-01-30"])) is None
    parsed = parse_dates(pd.Series(["01/13/2024 10:00", "02/01/2024 10:00"]), timezone=PARIS)
    assert parsed.start.tolist() == [utc("2024-01-13T09:00:00"), utc("2024-02-01T09:00:00")]


def test_ambiguous_order_defaults_to_french_unless_told() -> None:
    start, _, _ = one("02/01/2024 10:00")
    assert start == utc("2024-01-02T09:00:00")
    start, _, _ = one("02/01/2024 10:00", date_order="mdy")
    assert start == utc("2024-02-01T09:00:00")


def test_start_and_end_make_an_interval() -> None:
    parsed = parse_dates(
        pd.Series(["14/01/2024 22:00", "14/01/2024", "14/01/2024 22:00", "2024-01-14"]),
        end=pd.Series(["15/01/2024 07:00", "16/01/2024", None, None]),
        end_time=pd.Series([None, None, "06:30", None]),
        timezone=PARIS,
        now=NOW,
    )
    assert parsed.error.isna().all()
    assert parsed.start.tolist() == [
        utc("2024-01-14T21:00:00"),
        utc("2024-01-13T23:00:00"),
        utc("2024-01-14T21:00:00"),
        utc("2024-01-13T23:00:00"),
    ]
    assert parsed.until.tolist() == [
        utc("2024-01-15T06:00:00"),
        utc("2024-01-16T22:59:59"),  # an end date covers its whole day
        utc("2024-01-15T05:30:00"),  # an end time before the start: the next morning
        utc("2024-01-14T22:59:59"),
    ]


def test_end_before_start_is_rejected() -> None:
    parsed = parse_dates(
        pd.Series(["15/01/2024 22:00", "15/01/2024 22:00"]),
        end=pd.Series(["14/01/2024 07:00", "15/01/2024 22:00"]),
        timezone=PARIS,
        now=NOW,
    )
    assert parsed.error.iloc[0] == (
        'fin avant le début : début "15/01/2024 22:00", fin "14/01/2024 07:00" '
        "(vérifiez les colonnes de début et de fin)"
    )
    assert pd.isna(parsed.start.iloc[0])
    assert parsed.error.iloc[1] is None  # the same instant: a point in time
    assert pd.isna(parsed.until.iloc[1])


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (
            "31/02/2024",
            'Date illisible : "31/02/2024" (date ou heure inexistante ; '
            "attendu JJ/MM/AAAA hh:mm ou AAAA-MM-JJ)",
        ),
        (
            "15/01/2024 25:10",
            'Date illisible : "15/01/2024 25:10" (date ou heure inexistante ; '
            "attendu JJ/MM/AAAA hh:mm ou AAAA-MM-JJ)",
        ),
        ("hier soir", 'Date illisible : "hier soir" (attendu JJ/MM/AAAA hh:mm ou AAAA-MM-JJ)'),
        (
            "2024-13",
            'Date illisible : "2024-13" (date ou heure inexistante ; '
            "attendu JJ/MM/AAAA hh:mm ou AAAA-MM-JJ)",
        ),
        (None, "date manquante"),
        ("  ", "date manquante"),
        (
            "31/12/1989 23:00",
            'Date hors période : "31/12/1989 23:00" (acceptée du 01/01/1990 à demain)',
        ),
        ("2025-06-03", 'Date hors période : "2025-06-03" (acceptée du 01/01/1990 à demain)'),
    ],
)
def test_bad_dates_are_rejected_with_the_value(value: str | None, reason: str) -> None:
    start, until, error = one(value)
    assert error == reason
    assert pd.isna(start) and pd.isna(until)


def test_tomorrow_is_still_accepted() -> None:
    _, _, error = one("2025-06-02 10:00")
    assert error is None


def test_bad_time_is_rejected_with_the_value() -> None:
    parsed = parse_dates(
        pd.Series(["15/01/2024"]), time=pd.Series(["vers 22h"]), timezone=PARIS, now=NOW
    )
    assert parsed.error.iloc[0] == 'Heure illisible : "vers 22h" (attendu hh:mm, hh:mm:ss ou 22h30)'


def test_mdy_reason_names_the_order() -> None:
    _, _, error = one("13/13/2024", date_order="mdy")
    assert error is not None and "MM/JJ/AAAA" in error


def test_without_pyarrow_the_results_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.incidents.columns
    import ingest.incidents.datevalues
    import ingest.incidents.places

    values = pd.Series(
        ["15/01/2024 22:30", "2024-01-15T22:30:00.5+05:30", "2024-03", "45310,5", "31/02/2024",
         "x", None, "15.01.24 22h", "2024-10-27 02:30"]
    )  # fmt: skip
    times = pd.Series([None, None, None, None, None, None, None, "7h15", "0,5"])
    numbers = pd.Series(["1,4442", " 574 321,5 ", "nan", None, "abc", "1e3", "-0,5", "", "2"])
    arrow = parse_dates(values, time=times, timezone=PARIS, now=NOW)
    arrow_numbers = ingest.incidents.places.to_float(numbers)
    for module in (ingest.incidents.columns, ingest.incidents.datevalues, ingest.incidents.places):
        monkeypatch.setattr(module, "pc", None)
    plain = parse_dates(values, time=times, timezone=PARIS, now=NOW)
    pd.testing.assert_series_equal(plain.start, arrow.start)
    pd.testing.assert_series_equal(plain.until, arrow.until)
    assert plain.error.tolist() == arrow.error.tolist()
    np.testing.assert_array_equal(ingest.incidents.places.to_float(numbers), arrow_numbers)


def test_a_night_ending_after_year_9999_is_rejected_not_raised() -> None:
    from ingest.incidents.dates import parse_dates

    parsed = parse_dates(
        pd.Series(["31/12/9999"]),
        time=pd.Series(["23:30"]),
        end_time=pd.Series(["01:00"]),
        timezone="Europe/Paris",
    )
    assert parsed.error[0]
    assert "hors période" in str(parsed.error[0])
