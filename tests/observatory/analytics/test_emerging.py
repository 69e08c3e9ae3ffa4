"""Emerging hot spots: the vectorised pieces against plain readings and reference libraries.

``esri_pattern`` below is a second, loop-by-loop reading of Esri's rules ("How Emerging Hot Spot
Analysis works"), each rule a predicate in Esri's words, tried in the precedence that
observatory/analytics/emerging.py documents; the module's vectorised classifier must agree with
it on hand-made series and on random ones.
"""

from __future__ import annotations

import math

import esda
import h3
import numpy as np
import pymannkendall as pmk
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libpysal.weights import W
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import norm

from observatory.analytics.emerging import (
    COLD,
    HOT,
    LABELS,
    NOT_SIGNIFICANT,
    PATTERNS,
    classify,
    emerging_from_gi,
    emerging_hotspots,
    mann_kendall_rows,
    significant_bins,
)
from observatory.analytics.trendstats import mann_kendall

ALPHA = 0.05


# -- a plain reading of Esri's rules -------------------------------------------------------------


def share(bins: list[int], spot: int) -> float:
    return sum(1 for b in bins if b == spot) / len(bins)


def significant_trend(spot: int, trend_z: float, trend_p: float, growing: bool) -> bool:
    """Clustering of the spot's kind significantly stronger (growing) or weaker over time."""
    if trend_p >= ALPHA:
        return False
    stronger = trend_z > 0 if spot == HOT else trend_z < 0
    weaker = trend_z < 0 if spot == HOT else trend_z > 0
    return stronger if growing else weaker


def is_new(bins: list[int], spot: int, other: int, tz: float, tp: float) -> bool:
    # "a statistically significant hot spot for the final time step and has never been a
    # statistically significant hot spot before"
    return bins[-1] == spot and spot not in bins[:-1]


def is_consecutive(bins: list[int], spot: int, other: int, tz: float, tp: float) -> bool:
    # "a single uninterrupted run of at least two statistically significant hot spot bins in the
    # final time-step intervals", "never been a statistically significant hot spot prior to the
    # final hot spot run and less than 90 percent of all bins are statistically significant hot
    # spots"
    run = 0
    for b in reversed(bins):
        if b != spot:
            break
        run += 1
    before = bins[: len(bins) - run]
    return run >= 2 and spot not in before and share(bins, spot) < 0.9


def is_intensifying(bins: list[int], spot: int, other: int, tz: float, tp: float) -> bool:
    # "a statistically significant hot spot for 90 percent of the time-step intervals, including
    # the final time step", the intensity "increasing overall and that increase is statistically
    # significant"
    return (
        share(bins, spot) >= 0.9
        and bins[-1] == spot
        and significant_trend(spot, tz, tp, growing=True)
    )


def is_persistent(bins: list[int], spot: int, other: int, tz: float, tp: float) -> bool:
    # "a statistically significant hot spot for 90 percent of the time-step intervals with no
    # discernible trend"
    return share(bins, spot) >= 0.9 and tp >= ALPHA


def is_diminishing(bins: list[int], spot: int, other: int, tz: float, tp: float) -> bool:
    # as intensifying, the intensity "decreasing overall and that decrease is statistically
    # significant"
    return (
        share(bins, spot) >= 0.9
        and bins[-1] == spot
        and significant_trend(spot, tz, tp, growing=False)
    )


def is_sporadic(bins: list[int], spot: int, other: int, tz: float, tp: float) -> bool:
    # "a statistically significant hot spot for the final time-step interval with a history of
    # also being an on-again and off-again hot spot. Less than 90 percent of the time-step
    # intervals have been statistically significant hot spots and none of the time-step
    # intervals have been statistically significant cold spots"
    n = len(bins)
    on_and_off = any(
        bins[i] == spot and bins[j] != spot for i in range(n - 1) for j in range(i + 1, n - 1)
    )
    return bins[-1] == spot and on_and_off and share(bins, spot) < 0.9 and other not in bins


def is_oscillating(bins: list[int], spot: int, other: int, tz: float, tp: float) -> bool:
    # "a statistically significant hot spot for the final time-step interval that has a history
    # of also being a statistically significant cold spot during a prior time step. Less than 90
    # percent of the time-step intervals have been statistically significant hot spots"
    return bins[-1] == spot and other in bins[:-1] and share(bins, spot) < 0.9


def is_historical(bins: list[int], spot: int) -> bool:
    # "the most recent time period is not hot, but at least 90 percent of the time-step
    # intervals have been statistically significant hot spots"
    return bins[-1] != spot and share(bins, spot) >= 0.9


FINAL_STEP_RULES = [
    ("new", is_new),
    ("consecutive", is_consecutive),
    ("intensifying", is_intensifying),
    ("persistent", is_persistent),
    ("diminishing", is_diminishing),
    ("sporadic", is_sporadic),
    ("oscillating", is_oscillating),
]


def esri_pattern(bins: list[int], trend_z: float, trend_p: float) -> str:
    """The pattern by the precedence emerging.py documents: the final bin picks the family,
    then Esri's table order; historical when the final bin is not significant."""
    for spot, other, suffix in ((HOT, COLD, "hot"), (COLD, HOT, "cold")):
        if bins[-1] == spot:
            for name, rule in FINAL_STEP_RULES:
                if rule(bins, spot, other, trend_z, trend_p):
                    return f"{name}_{suffix}"
    for spot, suffix in ((HOT, "hot"), (COLD, "cold")):
        if is_historical(bins, spot):
            return f"historical_{suffix}"
    return "no_pattern"


def mk_pair(z: float) -> tuple[float, float]:
    """A Mann–Kendall z with its two-sided p, as the test gives them together."""
    return z, float(2 * norm.sf(abs(z)))


def parse(series: str) -> list[int]:
    return [{"H": HOT, "C": COLD, ".": NOT_SIGNIFICANT}[c] for c in series]


def vectorised(cases: list[tuple[list[int], float, float]]) -> list[str]:
    """The module's classifier on equal-length cases, one row each."""
    bins = np.array([b for b, _, _ in cases], dtype=np.int8)
    tz = np.array([z for _, z, _ in cases])
    tp = np.array([p for _, _, p in cases])
    return [PATTERNS[c] for c in classify(bins, tz, tp, ALPHA)]


# -- hand-made series, one or more per pattern ---------------------------------------------------

UP, DOWN, FLAT = 3.0, -3.0, 0.4

HAND_MADE = [
    # (bins, trend z, expected pattern)
    ("..H..C....", FLAT, "no_pattern"),
    ("..........", FLAT, "no_pattern"),
    ("HHHHHHHH..", UP, "no_pattern"),  # 80 % hot, final not hot
    (".........H", FLAT, "new_hot"),
    ("C.C......H", FLAT, "new_hot"),  # cold before does not stop a new hot spot
    ("HHHHHHHHHC", FLAT, "new_cold"),  # the final bin picks the family, not historical hot
    ("........HHH", FLAT, "consecutive_hot"),
    ("..C....HHH", FLAT, "consecutive_hot"),
    ("...HHHHHHH", UP, "consecutive_hot"),
    (".CCCCCCCC", FLAT, "consecutive_cold"),  # 8 of 9: under 90 %
    ("HHHHHHHHHH", UP, "intensifying_hot"),
    (".HHHHHHHHH", UP, "intensifying_hot"),  # exactly 90 %
    ("CCCCCCCCCC", DOWN, "intensifying_cold"),
    ("HHHHHHHHHH", FLAT, "persistent_hot"),
    ("HH.HHHHHHH", FLAT, "persistent_hot"),
    ("CCCCC.CCCC", FLAT, "persistent_cold"),
    ("HHHHHHHHHH", DOWN, "diminishing_hot"),
    ("CCCCCCCCCC", UP, "diminishing_cold"),
    ("H..HH...HH", FLAT, "sporadic_hot"),
    ("H........H", UP, "sporadic_hot"),
    ("HH.HHHHHH.H", FLAT, "sporadic_hot"),  # 9 of 11: under 90 %
    (".C.C....CC", FLAT, "sporadic_cold"),
    ("C...HH..CH", FLAT, "oscillating_hot"),
    ("HC.......H", FLAT, "oscillating_hot"),
    ("H.C..H...C", FLAT, "oscillating_cold"),
    ("HHHHHHHHH.", FLAT, "historical_hot"),
    ("HHHHHHHHH.", DOWN, "historical_hot"),
    ("CCCCCCCCC.", UP, "historical_cold"),
    ("CCCCCCCCCCCCCCCCCCCCCCH.", FLAT, "historical_cold"),  # 22 of 24 cold
    ("HHHHHHHHHHHHHHHHHHHH...H", FLAT, "sporadic_hot"),  # 21 of 24: 87.5 %
    ("HHHHHHHHHHHHHHHHHHHHH..H", FLAT, "persistent_hot"),  # 22 of 24: 91.7 %
]


def test_every_pattern_has_a_hand_made_case() -> None:
    assert {expected for _, _, expected in HAND_MADE} == set(PATTERNS)
    assert len(PATTERNS) == 17
    assert set(LABELS) == set(PATTERNS)


@pytest.mark.parametrize(("series", "trend", "expected"), HAND_MADE)
def test_hand_made_series(series: str, trend: float, expected: str) -> None:
    bins = parse(series)
    z, p = mk_pair(trend)
    assert esri_pattern(bins, z, p) == expected
    assert vectorised([(bins, z, p)]) == [expected]


# -- random series -------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from([HOT, COLD, NOT_SIGNIFICANT]), min_size=1, max_size=30),
    st.floats(min_value=-6, max_value=6),
)
def test_random_series_agree_with_the_plain_reading(bins: list[int], trend: float) -> None:
    z, p = mk_pair(trend)
    assert vectorised([(bins, z, p)]) == [esri_pattern(bins, z, p)]


@pytest.mark.parametrize("steps", [1, 2, 3, 10, 11, 24, 36])
def test_many_random_series_at_once(steps: int) -> None:
    rng = np.random.default_rng(steps)
    rows = 4000
    # Each row draws its own mix, so that mostly-hot and mostly-cold rows are common too.
    mix = rng.dirichlet([0.4, 0.4, 0.4], size=rows)
    draws = rng.random((rows, steps))[:, :, None] > np.cumsum(mix, axis=1)[:, None, :2]
    bins = np.array([HOT, COLD, NOT_SIGNIFICANT], dtype=np.int8)[draws.sum(axis=2)]
    # A third of the rows end in a run of one kind, so that consecutive spots are common too.
    tails = rng.integers(0, steps + 1, rows) * (rng.random(rows) < 1 / 3)
    kinds = rng.choice(np.array([HOT, COLD], dtype=np.int8), rows)
    bins = np.where(np.arange(steps) >= steps - tails[:, None], kinds[:, None], bins)
    trend_z = rng.normal(0, 2.5, rows)
    trend_p = 2 * norm.sf(np.abs(trend_z))
    got = [PATTERNS[c] for c in classify(bins, trend_z, trend_p, ALPHA)]
    expected = [
        esri_pattern(row.tolist(), float(z), float(p))
        for row, z, p in zip(bins, trend_z, trend_p, strict=True)
    ]
    assert got == expected
    if steps >= 10:
        assert set(got) == set(PATTERNS)


# -- Mann–Kendall on every cell at once ----------------------------------------------------------


@pytest.mark.parametrize("steps", [3, 4, 7, 12, 24, 60])
def test_mann_kendall_rows_match_pymannkendall_and_trendstats(steps: int) -> None:
    rng = np.random.default_rng(steps)
    rows = [
        rng.normal(size=steps),
        rng.normal(size=steps) + np.linspace(0, 3, steps),
        np.linspace(2, -1, steps) + rng.normal(0, 0.1, steps),
        rng.integers(0, 3, steps).astype(float),  # many ties
        rng.poisson(1.0, steps).astype(float),
        np.full(steps, 1.5),  # constant: S = 0, var = 0
        np.round(rng.normal(size=steps), 1),
    ]
    got = mann_kendall_rows(np.array(rows))
    for k, values in enumerate(rows):
        ref = pmk.original_test(values)
        ours = mann_kendall(values)
        assert got.s[k] == ref.s == ours.s
        assert got.var_s[k] == pytest.approx(ref.var_s, rel=1e-12)
        assert got.var_s[k] == ours.var_s
        assert got.z[k] == pytest.approx(ref.z, rel=1e-12, abs=1e-15)
        assert got.z[k] == ours.z
        assert got.p[k] == pytest.approx(ref.p, rel=1e-9, abs=1e-15)
        assert got.p[k] == ours.p


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(-3, 3), min_size=3, max_size=30).map(lambda v: [x / 2 for x in v]),
        min_size=1,
        max_size=5,
    )
)
def test_mann_kendall_rows_match_trendstats_on_random_rows(rows: list[list[float]]) -> None:
    width = min(len(r) for r in rows)
    table = np.array([r[:width] for r in rows])
    got = mann_kendall_rows(table)
    for k, values in enumerate(table):
        ours = mann_kendall(values)
        assert (got.s[k], got.var_s[k], got.z[k], got.p[k]) == (ours.s, ours.var_s, ours.z, ours.p)


def test_mann_kendall_rows_short_series_show_no_trend() -> None:
    got = mann_kendall_rows(np.array([[1.0, 2.0], [3.0, 1.0]]))
    assert_array_equal(got.z, [0.0, 0.0])
    assert_array_equal(got.p, [1.0, 1.0])
    with pytest.raises(ValueError):
        mann_kendall_rows(np.array([[1.0, np.nan, 2.0]]))


def test_mann_kendall_rows_in_blocks_equal_one_go(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    table = rng.normal(size=(1000, 24))
    whole = mann_kendall_rows(table)
    monkeypatch.setattr("observatory.analytics.emerging._PAIR_BLOCK", 1000)
    assert_array_equal(mann_kendall_rows(table).s, whole.s)


# -- bins per step -------------------------------------------------------------------------------


def benjamini_hochberg(p: list[float]) -> list[float]:
    """Adjusted p-values, the textbook way: p_(i)·m/i, made monotone from the largest down."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        adjusted[i] = running
    return adjusted


def test_significant_bins_without_and_with_fdr_per_step() -> None:
    rng = np.random.default_rng(11)
    z = rng.normal(0, 2, (200, 6))
    p = 2 * norm.sf(np.abs(z))
    plain = significant_bins(z, p, ALPHA, fdr=False)
    assert_array_equal(plain, np.where(p < ALPHA, np.sign(z), 0))
    adjusted = significant_bins(z, p, ALPHA, fdr=True)
    for step in range(z.shape[1]):
        q = np.array(benjamini_hochberg(p[:, step].tolist()))
        assert_array_equal(adjusted[:, step], np.where(q < ALPHA, np.sign(z[:, step]), 0))
    assert np.abs(adjusted).sum() < np.abs(plain).sum()


def test_undefined_gi_is_not_significant() -> None:
    z = np.array([[np.nan, 4.0], [np.nan, -4.0]])
    p = np.array([[np.nan, 1e-5], [np.nan, 1e-5]])
    assert_array_equal(significant_bins(z, p, fdr=False), [[0, HOT], [0, COLD]])
    result = emerging_from_gi([1, 2], z, p, fdr=False)
    assert result.pattern.tolist() == ["new_hot", "new_cold"]
    assert_array_equal(result.trend_p, [1.0, 1.0])  # two steps: too short for a trend


# -- end to end on a generated cube --------------------------------------------------------------

CENTRE = h3.latlng_to_cell(45.76, 4.84, 9)
RADIUS = 20


def ring_neighbours(cells: list[str], k: int) -> W:
    """Binary k-ring weights, the cell itself included, restricted to the study area."""
    inside = set(cells)
    position = {c: i for i, c in enumerate(cells)}
    neighbours = {
        position[c]: [position[n] for n in h3.grid_disk(c, k) if n in inside] for c in cells
    }
    return W(neighbours, silence_warnings=True)


def esda_gi_star(values: np.ndarray, weights: W) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and two-sided p-values by esda (self included, binary weights)."""
    g = esda.G_Local(values, weights, transform="B", star=True, permutations=0)
    z = np.asarray(g.Zs, dtype=float)
    return z, 2 * norm.sf(np.abs(z))


def planted_cube(steps: int = 24, seed: int = 3) -> tuple[list[str], np.ndarray, dict[str, str]]:
    """A study area with Poisson(10) counts and, around chosen cells, planted histories."""
    rng = np.random.default_rng(seed)
    cells = sorted(h3.grid_disk(CENTRE, RADIUS))
    cube = rng.poisson(10, (len(cells), steps)).astype(float)
    t = np.arange(steps)
    last = np.arange(steps) == steps - 1
    # Moderate plants, so that together they do not swamp the variance every z-score divides by.
    histories = {
        "new_hot": np.where(last, 25, 10),
        "consecutive_hot": np.where(t >= steps - 3, 25, 10),
        "intensifying_hot": 18 + 0.6 * t,
        "persistent_hot": np.full(steps, 25),
        "diminishing_hot": 32 - 0.6 * t,
        "sporadic_hot": np.where(np.isin(t, [4, 11, steps - 1]), 25, 10),
        # Hot once before as well: cold then hot alone would be a new hot spot.
        "oscillating_hot": np.select(
            [np.isin(t, [3, 4]), np.isin(t, [12, steps - 1])], [0, 25], 10
        ),
        "historical_hot": np.where(last, 10, 25),
        "new_cold": np.where(last, 0, 10),
        "persistent_cold": np.zeros(steps),
        "intensifying_cold": np.round(np.linspace(4, 0, steps)),
        "diminishing_cold": np.round(np.linspace(0, 4, steps)),
        "historical_cold": np.where(last, 10, 0),
    }
    # Centres four rings apart, two rings inside the edge: no neighbourhood sees another's plant.
    centres: list[str] = []
    for cell in cells:
        if h3.grid_distance(CENTRE, cell) > RADIUS - 2:
            continue
        if all(h3.grid_distance(cell, c) >= 4 for c in centres):
            centres.append(cell)
        if len(centres) == len(histories):
            break
    assert len(centres) == len(histories)
    position = {c: i for i, c in enumerate(cells)}
    planted = {}
    for centre, (pattern, history) in zip(centres, histories.items(), strict=True):
        for cell in h3.grid_disk(centre, 1):
            cube[position[cell]] = history
        planted[centre] = pattern
    return cells, cube, planted


def test_planted_cube_end_to_end() -> None:
    cells, cube, planted = planted_cube()
    ids = np.array([h3.str_to_int(c) for c in cells], dtype=np.int64)
    result = emerging_hotspots(ids, cube, k=1, alpha=ALPHA)

    got = dict(zip(cells, result.pattern.tolist(), strict=True))
    assert {cell: got[cell] for cell in planted} == planted
    for k, cell in enumerate(cells):
        trend = mann_kendall(result.gi_z[k])
        assert result.trend_z[k] == trend.z
        assert result.trend_p[k] == trend.p
        assert got[cell] == esri_pattern(result.bins[k].tolist(), trend.z, trend.p)
    new_hot = cells.index(next(c for c, name in planted.items() if name == "new_hot"))
    assert result.label[new_hot] == "nouveau point chaud"
    assert_array_equal(result.cells, ids)


def test_gi_star_per_step_is_esda_within_each_step() -> None:
    cells, cube, _ = planted_cube()
    ids = np.array([h3.str_to_int(c) for c in cells], dtype=np.int64)
    result = emerging_hotspots(ids, cube, k=1, alpha=ALPHA, fdr=False)
    weights = ring_neighbours(cells, 1)
    z = np.empty(cube.shape)
    p = np.empty(cube.shape)
    for step in range(cube.shape[1]):
        z[:, step], p[:, step] = esda_gi_star(cube[:, step], weights)
    assert_allclose(result.gi_z, z, rtol=1e-9, atol=1e-12)
    assert_allclose(result.gi_p, p, rtol=1e-9, atol=1e-15)
    reference = emerging_from_gi(ids, z, p, alpha=ALPHA, fdr=False)
    assert_array_equal(result.bins, np.where(p < ALPHA, np.sign(z), 0))
    assert_array_equal(result.code, reference.code)


def test_label_follows_pattern() -> None:
    bins = np.array([[HOT] * 10, [NOT_SIGNIFICANT] * 10], dtype=np.int8)
    result = emerging_from_gi([1, 2], np.where(bins == HOT, 5.0, 0.0), np.where(bins, 1e-9, 1.0))
    assert result.pattern.tolist() == ["persistent_hot", "no_pattern"]
    assert result.label.tolist() == ["point chaud persistant", "aucune tendance"]
    assert math.isclose(result.trend_p[0], 1.0)


def test_a_step_with_equal_counts_has_no_spot() -> None:
    cells, cube, planted = planted_cube(steps=12)
    cube[:, 5] = 0.0
    ids = np.array([h3.str_to_int(c) for c in cells], dtype=np.int64)
    result = emerging_hotspots(ids, cube, k=1)
    assert_array_equal(result.gi_z[:, 5], 0.0)
    assert not result.bins[:, 5].any()
    persistent = cells.index(next(c for c, name in planted.items() if name == "persistent_hot"))
    assert result.pattern[persistent] == "persistent_hot"  # 11 of 12 steps hot: 91.7 %


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="cube"):
        emerging_hotspots(np.array([1, 2], dtype=np.int64), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="tendance"):
        classify(np.zeros((2, 4), dtype=np.int8), [0.0], [1.0])
    with pytest.raises(ValueError, match="alpha"):
        significant_bins(np.zeros((2, 2)), np.ones((2, 2)), alpha=0)
