"""Local time and aoristic spread against a plain pandas computation, hour by hour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory.localtime import (
    Clock,
    hour_of_week_and_month,
    interval_segments,
    spread,
    week_matrix,
)

ZONE = "Europe/Paris"


def _seconds(stamps: list[str]) -> np.ndarray:
    return pd.to_datetime(stamps, utc=True, format="ISO8601").as_unit("s").asi8


def reference_spread(start_s: np.ndarray, until_s: np.ndarray) -> np.ndarray:
    """Each UTC hour block the interval touches, converted by pandas, share 1/blocks."""
    out = np.zeros(168)
    for start, until in zip(start_s, until_s, strict=True):
        first = pd.Timestamp(int(start) // 3600 * 3600, unit="s", tz="UTC")
        blocks = pd.date_range(
            first, pd.Timestamp(int(until), unit="s", tz="UTC"), freq="h", inclusive="left"
        )
        blocks = blocks[blocks < pd.Timestamp(int(until), unit="s", tz="UTC")]
        if len(blocks) == 0:
            blocks = pd.DatetimeIndex([first])
        local = blocks.tz_convert(ZONE)
        for how in local.day_of_week * 24 + local.hour:
            out[how] += 1 / len(blocks)
    return out


def test_dst_nights_get_their_real_hours() -> None:
    # Spring 2024: 22:00 → 07:00 local lasts 8 real hours (2 h does not exist).
    # Autumn 2024: 22:00 → 07:00 local lasts 10 real hours (2 h happens twice).
    start = _seconds(["2024-03-30 22:00+01:00", "2024-10-26 22:00+02:00"])
    until = _seconds(["2024-03-31 07:00+02:00", "2024-10-27 07:00+01:00"])
    clock = Clock.covering(ZONE, start, until)
    segments = interval_segments(start, until, clock)

    spring = spread(segments, np.array([True, False]))
    autumn = spread(segments, np.array([False, True]))

    saturday, sunday = 5 * 24, 6 * 24
    assert spring.sum() == pytest.approx(1.0)
    assert spring[sunday + 2] == 0  # 2 h does not exist that night
    assert spring[saturday + 22] == pytest.approx(1 / 8)
    assert autumn.sum() == pytest.approx(1.0)
    assert autumn[sunday + 2] == pytest.approx(2 / 10)  # lived twice
    assert autumn[sunday + 7] == 0  # the end, 07:00, is not entered
    np.testing.assert_allclose(spring + autumn, reference_spread(start, until), atol=1e-12)


def test_random_intervals_match_pandas() -> None:
    rng = np.random.default_rng(7)
    base = _seconds(["2023-01-01 00:00+01:00"])[0]
    start = base + rng.integers(0, 2 * 365 * 86400, 400)
    # Lengths from a minute to five weeks, some crossing the changes of clock.
    until = start + rng.choice([60, 1800, 3600, 5 * 3600, 30 * 3600, 9 * 86400, 35 * 86400], 400)
    dst = _seconds(["2024-03-30 20:30+01:00", "2024-10-26 23:10+02:00", "2023-10-29 01:59+02:00"])
    start = np.concatenate([start, dst])
    until = np.concatenate([until, dst + np.array([12 * 3600, 3 * 3600, 2 * 3600])])
    clock = Clock.covering(ZONE, start, until)

    result = week_matrix(np.empty(0, dtype=np.int64), interval_segments(start, until, clock))

    np.testing.assert_allclose(result, reference_spread(start, until), atol=1e-9)
    assert result.sum() == pytest.approx(len(start))


def test_selection_keeps_only_chosen_facts() -> None:
    start = _seconds(["2024-05-06 10:00+02:00", "2024-05-07 10:30+02:00"])
    until = start + 3600 * 2
    clock = Clock.covering(ZONE, start, until)
    segments = interval_segments(start, until, clock)

    only_second = spread(segments, np.array([False, True]))

    tuesday = 24
    assert only_second[tuesday + 10] == pytest.approx(1 / 3)
    assert only_second[tuesday + 12] == pytest.approx(1 / 3)
    assert only_second.sum() == pytest.approx(1.0)


def test_local_days_and_hours_of_week_match_pandas() -> None:
    rng = np.random.default_rng(3)
    seconds = rng.integers(1_600_000_000, 1_800_000_000, 5000)
    seconds = np.concatenate(
        [
            seconds,
            _seconds(
                [
                    "2024-03-31 00:59:59Z",
                    "2024-03-31 01:00Z",
                    "2024-10-27 00:59:59Z",
                    "2024-10-27 01:00Z",
                ]
            ),
        ]
    )
    clock = Clock.covering(ZONE, seconds)
    local = pd.DatetimeIndex(pd.to_datetime(seconds, unit="s", utc=True)).tz_convert(ZONE)
    expected_days = (local.tz_localize(None).normalize() - pd.Timestamp("1970-01-01")).days

    np.testing.assert_array_equal(clock.local_days(seconds), expected_days.to_numpy())
    np.testing.assert_array_equal(
        clock.hour_of_week(seconds), (local.day_of_week * 24 + local.hour).to_numpy()
    )


def test_point_facts_count_once_in_their_hour() -> None:
    hows = np.array([0, 0, 167, 30])
    matrix = week_matrix(hows)
    assert matrix[0] == 2 and matrix[167] == 1 and matrix[30] == 1 and matrix.sum() == 4


@pytest.mark.parametrize("zone", [ZONE, "Europe/London", "America/St_Johns", "Asia/Kolkata"])
def test_importer_hours_and_months_match_pandas(zone: str) -> None:
    rng = np.random.default_rng(11)
    seconds = np.concatenate(
        [
            rng.integers(-200_000_000, 2_000_000_000, 5000),
            _seconds(["2024-03-31 00:59:59Z", "2024-03-31 01:00Z", "2024-11-03 05:30Z"]),
        ]
    )
    instants = pd.Series(pd.to_datetime(seconds, unit="s", utc=True))
    local = instants.dt.tz_convert(zone)

    hours, months = hour_of_week_and_month(instants, zone)

    assert hours.dtype == np.int16
    np.testing.assert_array_equal(hours, (local.dt.day_of_week * 24 + local.dt.hour).to_numpy())
    first_days = local.dt.tz_localize(None).dt.to_period("M").dt.start_time.to_numpy()
    np.testing.assert_array_equal(months, first_days.astype("datetime64[D]"))
