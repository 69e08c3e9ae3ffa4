"""The Knox test: counts against a brute-force count, planted and absent near repeats, edges."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from pyproj import Transformer

from observatory.analytics.nearrepeat import knox_test, lambert93

# Lyon, Place Bellecour: Lambert-93 metres around it, WGS84 for the public entry point.
ORIGIN_X, ORIGIN_Y = 842_000.0, 6_519_000.0
TO_WGS84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)


def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = TO_WGS84.transform(ORIGIN_X + x, ORIGIN_Y + y)
    return np.asarray(lon), np.asarray(lat)


def random_events(
    n: int, seed: int, side: float = 3000.0, days: int = 365
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, side, n), rng.uniform(0, side, n), rng.integers(0, days, n)


def brute_force_table(
    x: list[float], y: list[float], days: list[int], d_edges: list[float], t_edges: list[float]
) -> list[list[int]]:
    """Every pair once, counted in the band [lo, hi) of its distance and of its gap in days."""
    table = [[0] * (len(t_edges) - 1) for _ in range(len(d_edges) - 1)]
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            distance = math.hypot(x[i] - x[j], y[i] - y[j])
            gap = abs(days[i] - days[j])
            for a in range(len(d_edges) - 1):
                for b in range(len(t_edges) - 1):
                    if (
                        d_edges[a] <= distance < d_edges[a + 1]
                        and t_edges[b] <= gap < t_edges[b + 1]
                    ):
                        table[a][b] += 1
    return table


def test_observed_counts_equal_a_brute_force_count() -> None:
    x, y, days = random_events(300, seed=1, side=1500.0, days=120)
    lon, lat = to_lonlat(x, y)
    result = knox_test(lon, lat, days, permutations=9, seed=1)
    # The brute force works on the same projection, computed independently.
    px, py = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True).transform(lon, lat)
    expected = brute_force_table(
        list(px), list(py), days.tolist(), [0, 100, 200, 400], [0, 7, 14, 28]
    )
    assert result.observed.tolist() == expected
    assert result.pairs == sum(
        1
        for i in range(300)
        for j in range(i + 1, 300)
        if math.hypot(px[i] - px[j], py[i] - py[j]) < 400
    )
    assert result.events == 300
    assert result.observed.sum() > 50  # the check is not vacuous


def test_projection_is_lambert93() -> None:
    x, y = lambert93([3.0, 2.3522], [46.5, 48.8566])
    # EPSG:2154's false origin: (3° E, 46.5° N) is (700 000, 6 600 000).
    assert x[0] == pytest.approx(700_000, abs=1e-3)
    assert y[0] == pytest.approx(6_600_000, abs=1e-3)
    assert (x[1], y[1]) == pytest.approx((652_469, 6_862_035), abs=1.0)


def test_planted_near_repeats_are_found() -> None:
    rng = np.random.default_rng(7)
    x, y, days = random_events(400, seed=7)
    # 120 events each followed, 1 to 6 days later, by a neighbour 10 to 90 m away.
    origin = rng.integers(0, 400, 120)
    angle = rng.uniform(0, 2 * np.pi, 120)
    reach = rng.uniform(10, 90, 120)
    x = np.concatenate([x, x[origin] + reach * np.cos(angle)])
    y = np.concatenate([y, y[origin] + reach * np.sin(angle)])
    days = np.concatenate([days, days[origin] + rng.integers(1, 7, 120)])
    lon, lat = to_lonlat(x, y)
    result = knox_test(lon, lat, days, permutations=999, seed=3)
    assert result.ratio[0, 0] > 2
    assert result.p[0, 0] == pytest.approx(1 / 1000)
    assert result.significant[0, 0]
    assert result.observed[0, 0] >= 120
    assert result.events == 520


def test_random_events_give_no_significant_cell() -> None:
    # Seeded run: with no pattern planted, no cell falls below 0.01. By chance alone one of the
    # nine cells does for about one seed in fifteen (4 of seeds 0–59); seed 21's smallest p is
    # 0.22.
    x, y, days = random_events(1500, seed=21)
    lon, lat = to_lonlat(x, y)
    result = knox_test(lon, lat, days, permutations=999, seed=21)
    assert result.p.min() > 0.01
    assert 0.7 < np.nanmean(result.ratio) < 1.3


def test_random_events_give_roughly_uniform_p_values() -> None:
    p_values = []
    for seed in range(40):
        x, y, days = random_events(600, seed=100 + seed)
        result = knox_test(x, y, days, permutations=199, seed=seed, projected=True)
        p_values.extend(result.p.ravel().tolist())
    p = np.array(p_values)
    # 360 p-values of correlated cells (measured: 6 % below 0.05, 55 % below 0.5, mean 0.48);
    # ties make Monte Carlo p-values a little conservative, never liberal.
    assert np.mean(p < 0.05) < 0.1
    assert np.mean(p < 0.5) == pytest.approx(0.5, abs=0.1)
    assert np.mean(p) == pytest.approx(0.5, abs=0.08)


def test_same_seed_same_result_other_seed_other_draws() -> None:
    x, y, days = random_events(500, seed=4, side=1500.0)
    first = knox_test(x, y, days, permutations=99, seed=12, projected=True)
    second = knox_test(x, y, days, permutations=99, seed=12, projected=True)
    other = knox_test(x, y, days, permutations=99, seed=13, projected=True)
    assert_array_equal(first.p, second.p)
    assert_array_equal(first.expected, second.expected)
    assert not np.array_equal(first.expected, other.expected)
    assert_array_equal(first.observed, other.observed)


def test_batches_do_not_change_the_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    x, y, days = random_events(400, seed=5, side=1200.0)
    whole = knox_test(x, y, days, permutations=50, seed=2, projected=True)
    monkeypatch.setattr("observatory.analytics.nearrepeat._BATCH_CELLS", 1)
    one_by_one = knox_test(x, y, days, permutations=50, seed=2, projected=True)
    assert_array_equal(whole.expected, one_by_one.expected)
    assert_array_equal(whole.p, one_by_one.p)


def isolated_pairs(pairs: list[tuple[float, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two events per (distance, gap in days), each couple 10 km from the next."""
    x, y, days = [], [], []
    for k, (distance, gap) in enumerate(pairs):
        x += [10_000.0 * k, 10_000.0 * k + distance]
        y += [0.0, 0.0]
        days += [1000, 1000 + gap]
    return np.array(x), np.array(y), np.array(days)


@pytest.mark.parametrize(
    ("distance", "gap", "cell"),
    [
        (0.0, 0, (0, 0)),  # same place, same day: the first cell
        (99.0, 6, (0, 0)),
        (100.0, 6, (1, 0)),  # 100 m opens the second distance band
        (99.0, 7, (0, 1)),  # 7 days opens the second time band
        (100.0, 7, (1, 1)),
        (199.5, 13, (1, 1)),
        (200.0, 14, (2, 2)),
        (399.0, 27, (2, 2)),
        (400.0, 0, None),  # the last edges are open: beyond every band
        (0.0, 28, None),
    ],
)
def test_bands_are_closed_left_open_right(
    distance: float, gap: int, cell: tuple[int, int] | None
) -> None:
    x, y, days = isolated_pairs([(distance, gap)])
    result = knox_test(x, y, days, permutations=9, seed=0, projected=True)
    expected = np.zeros((3, 3), dtype=np.int64)
    if cell is not None:
        expected[cell] = 1
    assert_array_equal(result.observed, expected)
    assert result.pairs == (0 if distance >= 400 else 1)


def test_same_location_band_and_custom_edges() -> None:
    x, y, days = isolated_pairs([(0.0, 0), (0.5, 3), (1.0, 3), (250.0, 10), (50.0, 400)])
    result = knox_test(
        x,
        y,
        days,
        distance_edges=(0, 1, 100, 300),
        day_edges=(0, 1, 7, 30.5),
        permutations=9,
        projected=True,
    )
    assert result.observed.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    assert result.pairs == 5
    # A first edge above 0 leaves the closest pairs out, as the last edge leaves the farthest.
    later = knox_test(
        x, y, days, distance_edges=(1, 100, 300), day_edges=(1, 7, 31), projected=True
    )
    assert later.observed.tolist() == [[1, 0], [0, 1]]


def test_p_value_and_ratio_definitions() -> None:
    x, y, days = random_events(300, seed=9, side=800.0, days=60)
    result = knox_test(x, y, days, permutations=19, seed=4, projected=True)
    # Each p is (1 + k) / 20 for a whole number k of simulations at least as large.
    k = result.p * 20 - 1
    assert_array_equal(k, np.round(k))
    assert np.all((k >= 0) & (k <= 19))
    assert_array_equal(result.significant, result.p <= 0.05)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert_array_equal(result.ratio, result.observed / result.expected)


def test_no_pair_at_all() -> None:
    x, y, days = isolated_pairs([(5000.0, 1)])
    result = knox_test(x, y, days, permutations=9, projected=True)
    assert result.pairs == 0
    assert_array_equal(result.observed, np.zeros((3, 3)))
    assert_array_equal(result.p, np.ones((3, 3)))
    assert np.isnan(result.ratio).all()
    assert not result.significant.any()


def test_bad_input_is_refused() -> None:
    x, y, days = random_events(10, seed=1)
    with pytest.raises(ValueError, match="entiers"):
        knox_test(x, y, days + 0.5, projected=True)
    with pytest.raises(ValueError, match="croissantes"):
        knox_test(x, y, days, distance_edges=(0, 200, 100), projected=True)
    with pytest.raises(ValueError, match="même longueur"):
        knox_test(x, y[:5], days, projected=True)
    with pytest.raises(ValueError, match="permutation"):
        knox_test(x, y, days, permutations=0, projected=True)
