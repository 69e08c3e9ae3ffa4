import json
import math

import numpy as np
import pandas as pd
import pymannkendall as pmk
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from observatory.analytics.trendstats import (
    mann_kendall,
    percent_change,
    poisson_z,
    sens_slope,
)

TREND = {"increasing": "hausse", "decreasing": "baisse", "no trend": "stable"}


def assert_matches_pymannkendall(values: list[float] | np.ndarray) -> None:
    ours = mann_kendall(values)
    ref = pmk.original_test(values)
    assert ours.s == ref.s
    assert ours.var_s == pytest.approx(ref.var_s, rel=1e-9)
    assert ours.z == pytest.approx(ref.z, rel=1e-9)
    # pymannkendall computes 1 - cdf, which is only good to ~1e-16 in absolute terms.
    assert ours.p == pytest.approx(ref.p, rel=1e-9, abs=1e-15)
    assert ours.tau == pytest.approx(ref.Tau, rel=1e-9)
    assert ours.trend == TREND[ref.trend]
    assert ours.h == bool(ref.h)
    assert ours.slope == pytest.approx(ref.slope, rel=1e-9, abs=1e-12)
    assert ours.intercept == pytest.approx(ref.intercept, rel=1e-9, abs=1e-12)
    ref_slope, ref_intercept = pmk.sens_slope(values)
    slope, intercept = sens_slope(values)
    assert slope == pytest.approx(ref_slope, rel=1e-9, abs=1e-12)
    assert intercept == pytest.approx(ref_intercept, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("n", [3, 4, 5, 7, 10, 12, 24, 36, 60, 119, 120])
@pytest.mark.parametrize("rate", [0.5, 3.0, 40.0])
def test_poisson_series_match_pymannkendall(n: int, rate: float) -> None:
    rng = np.random.default_rng(1000 * n + int(10 * rate))
    assert_matches_pymannkendall(rng.poisson(rate, n).astype(float))


@pytest.mark.parametrize("seed", range(5))
def test_trending_poisson_series_match_pymannkendall(seed: int) -> None:
    rng = np.random.default_rng(seed)
    months = np.arange(120)
    up = rng.poisson(10 + 0.2 * months).astype(float)
    down = rng.poisson(40 - 0.25 * months).astype(float)
    assert_matches_pymannkendall(up)
    assert_matches_pymannkendall(down)
    assert mann_kendall(up).trend == "hausse"
    assert mann_kendall(down).trend == "baisse"


def test_many_ties_match_pymannkendall() -> None:
    rng = np.random.default_rng(3)
    assert_matches_pymannkendall(rng.integers(0, 3, 80).astype(float))
    assert_matches_pymannkendall([0, 0, 1, 0, 0, 1, 1, 0, 2, 2, 2, 0, 1])


def test_monotonic_series_match_pymannkendall() -> None:
    assert_matches_pymannkendall(np.arange(30, dtype=float))
    assert_matches_pymannkendall(np.arange(30, dtype=float)[::-1] * 2.5)
    assert mann_kendall(np.arange(30)).trend == "hausse"
    assert mann_kendall(np.arange(30)[::-1]).trend == "baisse"


def test_constant_series() -> None:
    # pymannkendall handles it without dividing by zero: z = 0, p = 1.
    assert_matches_pymannkendall([4.0] * 12)
    result = mann_kendall([4] * 12)
    assert (result.s, result.var_s, result.z, result.p) == (0, 0.0, 0.0, 1.0)
    assert result.trend == "stable"
    assert not result.h


def test_missing_values_are_dropped_like_pymannkendall() -> None:
    values = [3, np.nan, 5, 4, np.nan, 9, 6, 8, 8, np.nan, 12]
    assert_matches_pymannkendall(values)
    assert mann_kendall(values).n == 8


@pytest.mark.parametrize(
    ("values", "slope", "intercept"),
    [([], 0.0, None), ([np.nan], 0.0, None), ([7], 0.0, 7.0), ([2, 5], 3.0, 2.0)],
)
def test_too_short_series_are_stable(
    values: list[float], slope: float, intercept: float | None
) -> None:
    result = mann_kendall(values)
    assert (result.s, result.z, result.p, result.tau) == (0, 0.0, 1.0, 0.0)
    assert result.trend == "stable"
    assert not result.h
    assert result.slope == slope
    assert result.as_dict()["intercept"] == intercept


def test_two_point_slope_is_pymannkendall_slope() -> None:
    assert mann_kendall([2, 5]).slope == pmk.sens_slope([2, 5]).slope


def test_as_dict_is_json_ready() -> None:
    result = mann_kendall([1, 3, 2, 5, 4, 6, 8, 7])
    plain = result.as_dict()
    assert json.loads(json.dumps(plain)) == plain
    assert plain["trend"] == result.trend
    assert plain["n"] == 8
    assert all(type(v) in (int, float, str, bool) for v in plain.values())
    assert mann_kendall([]).as_dict()["intercept"] is None


def test_rejects_two_dimensional_input() -> None:
    with pytest.raises(ValueError, match="une dimension"):
        mann_kendall(np.ones((3, 3)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=6), min_size=3, max_size=60))
def test_small_counts_match_pymannkendall(values: list[int]) -> None:
    assert_matches_pymannkendall(np.array(values, dtype=float))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(st.integers(min_value=0, max_value=20).map(float), st.just(math.nan)),
        min_size=5,
        max_size=40,
    ).filter(lambda xs: sum(not math.isnan(x) for x in xs) >= 3)
)
def test_counts_with_gaps_match_pymannkendall(values: list[float]) -> None:
    assert_matches_pymannkendall(values)


def test_poisson_z_by_hand() -> None:
    assert poisson_z(16, 9) == 2 * (4 - 3)
    assert poisson_z(0, 25) == 2 * (0 - 5)
    assert poisson_z(7, 7) == 0.0
    assert_allclose(
        poisson_z(np.array([16, 100, 2]), np.array([9, 81, 0])),
        [2.0, 2 * (10 - 9), 2 * math.sqrt(2)],
    )


def test_poisson_z_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="positifs"):
        poisson_z(np.array([3, -1]), np.array([2, 2]))


def test_percent_change_by_hand() -> None:
    assert percent_change(15, 12) == pytest.approx(100 * 3 / 12)
    assert percent_change(6, 8) == pytest.approx(-25.0)
    assert percent_change(5, 0) is None
    assert percent_change(0, 0) is None
    assert_allclose(
        percent_change(np.array([15, 6, 5, 0]), np.array([12, 8, 0, 0])),
        [25.0, -25.0, np.nan, np.nan],
    )


def pandas_year_over_year(values: np.ndarray, periods: int) -> tuple[np.ndarray, np.ndarray]:
    series = pd.Series(values, dtype=float)
    previous = series.shift(periods)
    percent = series.pct_change(periods=periods, fill_method=None) * 100
    percent = percent.where(previous != 0)
    z = 2 * (np.sqrt(series) - np.sqrt(previous))
    return percent.to_numpy(), z.to_numpy()


@pytest.mark.parametrize(("n", "periods"), [(36, 12), (13, 12), (12, 12), (5, 12), (156, 52)])
def test_changes_against_the_year_before_match_pandas(n: int, periods: int) -> None:
    rng = np.random.default_rng(n + periods)
    values = rng.poisson(2.0, n).astype(float)  # small rate: zeros in the previous year
    current, previous = values[periods:], values[: max(n - periods, 0)]
    expected_percent, expected_z = pandas_year_over_year(values, periods)
    assert_allclose(percent_change(current, previous), expected_percent[periods:], rtol=1e-12)
    assert_allclose(poisson_z(current, previous), expected_z[periods:], rtol=1e-12)


def test_a_zero_previous_count_gives_no_percent_but_a_z() -> None:
    assert_allclose(percent_change([9, 16], [0, 4]), [np.nan, 300.0])
    assert_allclose(poisson_z([9, 16], [0, 4]), [2 * 3.0, 2 * (4.0 - 2.0)])
