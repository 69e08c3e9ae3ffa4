"""The common filters: what each parameter means, and a clear French refusal otherwise."""

from __future__ import annotations

from datetime import date

import pytest

from observatory.analytics.filters import Filter, parse_filter, parse_hours
from observatory.errors import InvalidInput

FAMILIES = {"vol_simple": "vols", "cambriolage_logement": "vols", "tapage": "tranquillite"}


def parse(**params: str) -> Filter:
    return parse_filter(params, categories=FAMILIES)


def test_no_parameter_means_no_restriction() -> None:
    f = parse()
    assert f == Filter()
    assert f.hours_of_week() is None


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("22-6", {22, 23, 0, 1, 2, 3, 4, 5}),
        ("8", {8}),
        ("7-9,17-19", {7, 8, 17, 18}),
        ("0-24", set(range(24))),
        ("22h-6h", {22, 23, 0, 1, 2, 3, 4, 5}),
    ],
)
def test_hours(text: str, hours: set[int]) -> None:
    assert parse_hours(text) == frozenset(hours)


def test_hours_and_weekdays_combine_into_hours_of_the_week() -> None:
    f = parse(hours="23-1", weekdays="1,7")
    # Monday 23 h and 0 h, Sunday 23 h and 0 h.
    assert f.hours_of_week() == [0, 23, 144, 167]


def test_a_family_stands_for_its_categories() -> None:
    assert parse(categories="vols,tapage").categories == frozenset(FAMILIES)
    assert parse(categories="vol_simple").categories == frozenset({"vol_simple"})


def test_a_qpv_code_chooses_its_generation() -> None:
    assert parse(qpv="QP031007").generation == 2015
    assert parse(qpv="qn03101m").qpv == "QN03101M"
    assert parse(qpv="QN03101M").generation == 2024
    assert parse(qpv="out", generation="2015") == Filter(qpv="out", generation=2015)


def test_dates_are_inclusive_days() -> None:
    f = parse(**{"from": "2024-01-01", "to": "2024-12-31"})
    assert (f.date_from, f.date_to) == (date(2024, 1, 1), date(2024, 12, 31))


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"from": "01/02/2024"}, "« from »"),
        ({"from": "2024-02-01", "to": "2024-01-01"}, "Période vide"),
        ({"categories": "vols,inconnue"}, "inconnue"),
        ({"hours": "25"}, "« hours »"),
        ({"hours": "a-b"}, "« hours »"),
        ({"weekdays": "0"}, "« weekdays »"),
        ({"weekdays": "5-2"}, "« weekdays »"),
        ({"commune": "Toulouse"}, "« commune »"),
        ({"qpv": "partout"}, "« qpv »"),
        ({"qpv": "QP031007", "generation": "2024"}, "géographie 2015"),
        ({"generation": "2020"}, "« generation »"),
        ({"bbox": "1,2,3"}, "« bbox »"),
        ({"bbox": "2,43,1,44"}, "« bbox »"),
    ],
)
def test_mistakes_are_named_in_french(params: dict[str, str], named: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(**params)
    assert named in str(caught.value)


def test_a_night_is_its_evening_and_the_next_morning() -> None:
    """Friday 5 January 2024: Friday 18 h … 23 h and Saturday 0 h … 5 h, nothing else."""
    f = parse(night="2024-01-05")

    assert (f.date_from, f.date_to, f.night) == (date(2024, 1, 5), date(2024, 1, 6), f.night)
    friday, saturday = 4 * 24, 5 * 24
    assert f.hours_of_week() == [*range(friday + 18, friday + 24), *range(saturday, saturday + 6)]


def test_a_sunday_night_ends_on_monday_morning() -> None:
    f = parse(night="2024-01-07", hours="22-6")

    assert f.date_to == date(2024, 1, 8)
    # Sunday 22 h, 23 h and Monday 0 h … 5 h: the hours filter narrows the night.
    assert f.hours_of_week() == [0, 1, 2, 3, 4, 5, 6 * 24 + 22, 6 * 24 + 23]


@pytest.mark.parametrize(
    "params",
    [
        {"night": "2024-01-05", "from": "2024-01-04"},
        {"night": "2024-01-05", "to": "2024-01-05"},
        {"night": "2024-13-01"},
    ],
)
def test_a_night_takes_no_other_days(params: dict[str, str]) -> None:
    with pytest.raises(InvalidInput, match="night"):
        parse(**params)


def test_a_night_repeating_its_days_is_the_night() -> None:
    assert parse(night="2024-01-05", **{"from": "2024-01-05", "to": "2024-01-06"}) == parse(
        night="2024-01-05"
    )
