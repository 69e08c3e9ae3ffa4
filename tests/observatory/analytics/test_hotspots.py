"""Gi* hot spots against esda, statsmodels, scipy and h3-py, on cells near Toulouse."""

import h3.api.basic_int as h3i
import numpy as np
import pytest
from esda.getisord import G_Local
from hypothesis import given, settings
from hypothesis import strategies as st
from libpysal.weights import W
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from scipy.stats import false_discovery_control, norm
from statsmodels.stats.multitest import multipletests

from observatory.analytics.hotspots import (
    CLASS_LABELS,
    GI_BIN,
    at_confidence,
    benjamini_hochberg,
    class_labels,
    classify,
    confidence_level,
    fdr_threshold,
    gi_star,
    gi_star_permutations,
    hotspots,
    ring_weights,
)

LAT, LON = 43.6, 1.44
SIGNIFICANT_95 = ("hot_95", "hot_99", "cold_95", "cold_99")


def disk(resolution: int, radius: int, lat: float = LAT, lon: float = LON) -> np.ndarray:
    centre = h3i.latlng_to_cell(lat, lon, resolution)
    return np.array(sorted(h3i.grid_disk(centre, radius)), dtype=np.int64)


def holed_area(resolution: int, radius: int, seed: int) -> np.ndarray:
    """A disk with a tenth of its cells removed, shuffled: edges inside and out, any order."""
    rng = np.random.default_rng(seed)
    cells = disk(resolution, radius)
    return rng.permutation(cells[rng.random(cells.size) > 0.1])


def neighbours(cells: np.ndarray, k: int) -> dict[int, list[int]]:
    """Each cell's k-ring within the area, itself included, from h3-py one cell at a time."""
    index = {int(c): i for i, c in enumerate(cells)}
    return {
        i: [index[c] for c in h3i.grid_disk(int(cell), k) if c in index]
        for i, cell in enumerate(cells)
    }


def reference_w(cells: np.ndarray, k: int) -> W:
    # Self in the neighbour lists: esda sees a non-zero diagonal and keeps it for star=True.
    return W(neighbours(cells, k), silence_warnings=True)


# --- weights ---------------------------------------------------------------------------


@pytest.mark.parametrize(("radius", "k"), [(12, 1), (12, 2), (31, 1)])
def test_ring_weights_equal_h3_py_disks(radius: int, k: int) -> None:
    cells = holed_area(10, radius, seed=radius + k)
    ours = ring_weights(cells, k)
    ref = reference_w(cells, k).sparse
    assert ours.shape == ref.shape
    assert (ours != ref).nnz == 0
    cardinality = np.diff(ours.indptr)
    assert cardinality.max() == 3 * k * (k + 1) + 1
    assert cardinality.min() < 3 * k * (k + 1) + 1  # rings cut by the holes and the rim


def test_ring_weights_on_a_large_area_in_reverse_order() -> None:
    cells = disk(11, 125)  # 47,251 cells
    ours = ring_weights(cells[::-1], 1)
    rows, cols = [], []
    index = {int(c): i for i, c in enumerate(cells[::-1])}
    for i, cell in enumerate(cells[::-1]):
        for c in h3i.grid_disk(int(cell), 1):
            if c in index:
                rows.append(i)
                cols.append(index[c])
    ref = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=ours.shape)
    assert (ours != ref).nnz == 0


def test_ring_weights_on_scattered_cells() -> None:
    # Far-apart cells (Brest to Nice): the lookup table must fall back to shallow keys.
    rng = np.random.default_rng(3)
    points = zip(rng.uniform(43.0, 48.5, 3000), rng.uniform(-4.5, 7.2, 3000), strict=True)
    seeds = {h3i.latlng_to_cell(lat, lon, 9) for lat, lon in points}
    cells = np.array(sorted({c for s in seeds for c in h3i.grid_disk(s, 1)}), dtype=np.int64)
    cells = rng.permutation(cells[rng.random(cells.size) > 0.3])
    assert (ring_weights(cells, 2) != reference_w(cells, 2).sparse).nnz == 0


def test_ring_weights_around_a_pentagon() -> None:
    pentagon = h3i.get_pentagons(9)[3]
    cells = np.array(sorted(h3i.grid_disk(pentagon, 6)), dtype=np.int64)
    ours = ring_weights(cells, 2)
    assert (ours != reference_w(cells, 2).sparse).nnz == 0
    assert np.diff(ours.indptr)[np.searchsorted(cells, pentagon)] == 1 + 5 + 10


def test_ring_weights_reject_bad_cells() -> None:
    cells = disk(10, 2)
    with pytest.raises(ValueError, match="uniques"):
        ring_weights(np.concatenate([cells, cells[:1]]), 1)
    with pytest.raises(ValueError, match="résolution"):
        ring_weights(np.concatenate([cells, disk(9, 0)]), 1)
    with pytest.raises(ValueError, match="k"):
        ring_weights(cells, 0)


# --- analytic Gi* ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resolution", "radius", "k", "rate"),
    [(10, 12, 1, 0.8), (10, 12, 2, 0.8), (11, 20, 1, 3.0), (9, 31, 2, 0.3), (10, 31, 1, 5.0)],
)
def test_gi_star_equals_esda(resolution: int, radius: int, k: int, rate: float) -> None:
    cells = holed_area(resolution, radius, seed=radius * k)
    y = np.random.default_rng(radius + k).poisson(rate, cells.size).astype(float)
    ref = G_Local(y, reference_w(cells, k), transform="B", star=True, permutations=0)
    z, p = gi_star(y, ring_weights(cells, k))
    assert_allclose(z, ref.Zs, rtol=0, atol=1e-9)
    # esda's p_norm is one-tailed; Esri's Gi_Bin reads the two-tailed one.
    assert_allclose(p, 2 * ref.p_norm, rtol=1e-9, atol=1e-15)
    assert_allclose(p, 2 * norm.sf(np.abs(ref.Zs)), rtol=1e-9, atol=1e-15)


def test_gi_star_hand_computed() -> None:
    # Three cells in a row (a–b–c), k = 1 in a line graph, values 1, 2, 6.
    w = sparse.csr_matrix(np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]], dtype=float))
    y = np.array([1.0, 2.0, 6.0])
    mean, s = 3.0, np.sqrt((1 + 4 + 36) / 3 - 9)  # population standard deviation
    # z = (Σ w y − ȳ W) / (s √((n W − W²) / (n − 1))) with n = 3 and W = 2 at both ends; b's
    # ring is the whole area (n W − W² = 0): nothing to contrast, z = 0 and p = 1.
    z, p = gi_star(y, w)
    assert_allclose(z, [(3 - 2 * mean) / s, 0.0, (8 - 2 * mean) / s], atol=1e-12)
    assert_allclose(p, 2 * norm.sf(np.abs(z)), atol=1e-15)
    assert p[1] == 1.0


def test_gi_star_constant_values_are_not_significant() -> None:
    cells = disk(10, 5)
    z, p = gi_star(np.full(cells.size, 4.0), ring_weights(cells, 1))
    assert_array_equal(z, 0.0)
    assert_array_equal(p, 1.0)


def test_gi_star_refuses_weights_without_self() -> None:
    w = ring_weights(disk(10, 3), 1)
    w.setdiag(0)
    w.eliminate_zeros()
    with pytest.raises(ValueError, match="diagonale"):
        gi_star(np.ones(w.shape[0]), w)


# --- permutations --------------------------------------------------------------------------


def planted(cells: np.ndarray, seed: int, rate: float = 3.0) -> np.ndarray:
    """Poisson counts with a hot disc and a cold (empty) disc."""
    index = {int(c): i for i, c in enumerate(cells)}
    lam = np.full(cells.size, rate)
    centre = h3i.latlng_to_cell(LAT, LON, h3i.get_resolution(int(cells[0])))
    ring = h3i.grid_ring(centre, 6)
    for c in h3i.grid_disk(ring[0], 2):
        lam[index.get(c, slice(0))] = 3 * rate
    for c in h3i.grid_disk(ring[len(ring) // 2], 2):
        lam[index.get(c, slice(0))] = 0.0
    return np.random.default_rng(seed).poisson(lam).astype(float)


def test_permutations_are_reproducible() -> None:
    cells = disk(10, 10)
    y = planted(cells, seed=1)
    w = ring_weights(cells, 1)
    first = gi_star_permutations(y, w, 499, seed=11)
    assert_array_equal(first, gi_star_permutations(y, w, 499, seed=11))
    assert not np.array_equal(first, gi_star_permutations(y, w, 499, seed=12))
    assert np.all((first > 0) & (first <= 1))
    assert_allclose(first * 500, np.round(first * 500), atol=1e-9)  # multiples of 1/(R + 1)


@pytest.mark.parametrize("k", [1, 2])
def test_permutations_agree_with_esda(k: int) -> None:
    cells = holed_area(10, 12, seed=5)
    y = planted(cells, seed=2)
    ours_w = ring_weights(cells, k)
    ref = G_Local(
        y, reference_w(cells, k), transform="B", star=True, permutations=999, seed=7, n_jobs=1
    )
    directed = gi_star_permutations(y, ours_w, 999, seed=7, alternative="directed")
    two_sided = gi_star_permutations(y, ours_w, 999, seed=7)
    assert np.corrcoef(directed, ref.p_sim)[0, 1] > 0.95
    assert np.corrcoef(two_sided, np.minimum(1, 2 * ref.p_sim))[0, 1] > 0.95
    # Decisions at the 95 % level, two-sided, on cells far from it by the analytic test.
    _, p = gi_star(y, ours_w)
    clear = (p < 0.001) | (p > 0.5)
    assert (p < 0.001).sum() >= 10 and (p > 0.5).sum() >= 50
    expected = p[clear] < 0.001
    assert_array_equal(np.minimum(1, 2 * ref.p_sim[clear]) <= 0.05, expected)
    assert_array_equal(two_sided[clear] <= 0.05, expected)
    assert_array_equal(np.minimum(1, 2 * directed[clear]) <= 0.05, expected)


def test_two_sided_is_twice_directed_without_ties() -> None:
    cells = disk(10, 8)
    y = np.random.default_rng(4).gamma(2.0, size=cells.size)
    w = ring_weights(cells, 1)
    directed = gi_star_permutations(y, w, 999, seed=3, alternative="directed")
    assert_allclose(gi_star_permutations(y, w, 999, seed=3), np.minimum(1, 2 * directed))


def test_ties_are_not_significant() -> None:
    # A zero surrounded by zeros: esda's directed p_sim says 1/(R + 1); the two-sided one, 1.
    cells = disk(10, 6)
    y = np.zeros(cells.size)
    y[:5] = 1.0
    w = ring_weights(cells, 1)
    quiet = np.asarray(w @ y) == 0
    assert quiet.sum() > 50
    assert_array_equal(gi_star_permutations(y, w, 99, seed=0)[quiet], 1.0)
    directed = gi_star_permutations(y, w, 99, seed=0, alternative="directed")
    assert_array_equal(directed[quiet], 0.01)


# --- Benjamini–Hochberg -----------------------------------------------------------------


def test_fdr_on_benjamini_hochberg_1995_example() -> None:
    # Their worked example: 15 p-values, q = 0.05; the procedure rejects the four smallest.
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459]
    p += [0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0]
    assert fdr_threshold(p, 0.05) == 0.0095
    assert benjamini_hochberg(p, 0.05).tolist() == [True] * 4 + [False] * 11


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(0, 1),
            st.sampled_from([0.0, 0.001, 0.01, 0.05, 0.1, 1.0]),
        ),
        min_size=1,
        max_size=200,
    ),
    st.sampled_from([0.01, 0.05, 0.1, 0.2]),
)
def test_benjamini_hochberg_equals_statsmodels(p: list[float], alpha: float) -> None:
    ours = benjamini_hochberg(p, alpha)
    assert_array_equal(ours, multipletests(p, alpha=alpha, method="fdr_bh")[0])
    threshold = fdr_threshold(p, alpha)
    assert threshold == (max(np.asarray(p)[ours]) if ours.any() else 0.0)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=300),
    st.sampled_from([0.01, 0.05, 0.1]),
)
def test_benjamini_hochberg_equals_scipy(p: list[float], alpha: float) -> None:
    adjusted = false_discovery_control(p)
    # scipy compares p·m/i to alpha, statsmodels p to i·alpha/m: leave out exact boundaries.
    near = np.isclose(adjusted, alpha, rtol=1e-12, atol=0)
    ours = benjamini_hochberg(p, alpha)
    assert_array_equal(ours[~near], (adjusted <= alpha)[~near])


# --- classes ---------------------------------------------------------------------------


Z = [3.0, -2.7, -2.0, 1.7, 1.0, 0.0, -3.0]
P = [0.0027, 0.0069, 0.0455, 0.0891, 0.3173, 1.0, 0.0027]


def test_classes_without_fdr() -> None:
    codes = classify(Z, P, fdr=False)
    assert codes.tolist() == [
        "hot_99",
        "cold_99",
        "cold_95",
        "hot_90",
        "not_significant",
        "not_significant",
        "cold_99",
    ]
    assert class_labels(codes).tolist() == [
        "chaud 99 %",
        "froid 99 %",
        "froid 95 %",
        "chaud 90 %",
        "non significatif",
        "non significatif",
        "froid 99 %",
    ]


@pytest.mark.parametrize(
    ("alpha", "level", "kept"),
    [
        (0.10, 1, ["hot_99", "cold_99", "cold_95", "hot_90", "cold_99"]),
        (0.07, 1, ["hot_99", "cold_99", "cold_95", "hot_90", "cold_99"]),
        (0.05, 2, ["hot_99", "cold_99", "cold_95", "cold_99"]),
        (0.02, 2, ["hot_99", "cold_99", "cold_95", "cold_99"]),
        (0.01, 3, ["hot_99", "cold_99", "cold_99"]),
        (0.001, 3, ["hot_99", "cold_99", "cold_99"]),
    ],
)
def test_classes_at_a_confidence(alpha: float, level: int, kept: list[str]) -> None:
    # Without FDR, a class at the confidence 1 − α' asked by alpha is p ≤ α' (P above).
    assert confidence_level(alpha) == level
    codes = at_confidence(classify(Z, P, fdr=False), alpha).tolist()
    assert [c for c in codes if c != "not_significant"] == kept
    assert len(codes) == len(Z)
    with pytest.raises(ValueError, match="inconnues"):
        at_confidence(["hot_98"], 0.05)


def test_classes_with_fdr_by_hand() -> None:
    # m = 7, sorted p: .0027 .0027 .0069 .0455 .0891 .3173 1.
    # α = .10: cut-offs i·.10/7 = .0143 .0286 .0429 .0571 .0714 …: ranks 1–4 pass → ≤ .0455.
    # α = .05: .0071 .0143 .0214 .0286 …: ranks 1–3 pass (.0069 ≤ .0214) → ≤ .0069.
    # α = .01: .0014 .0029 .0043 …: rank 2 passes (.0027 ≤ .0029) → ≤ .0027.
    assert fdr_threshold(P, 0.10) == 0.0455
    assert fdr_threshold(P, 0.05) == 0.0069
    assert fdr_threshold(P, 0.01) == 0.0027
    assert classify(Z, P).tolist() == [
        "hot_99",
        "cold_95",
        "cold_90",
        "not_significant",
        "not_significant",
        "not_significant",
        "cold_99",
    ]


def test_fdr_is_step_up() -> None:
    # One test at p = .02 is significant at 95 %; among ten at .02 … .5, nothing is (.02 is
    # above the first cut-off .10 / 10). Divided by ten, the largest, .05, meets its cut-off
    # 10 × .05 / 10 at 95 % and takes the nine others with it; none meets .01 × i / 10.
    assert classify([2.3], [0.02]).tolist() == ["hot_95"]
    p = np.array([0.02, 0.2, 0.3, 0.35, 0.4, 0.42, 0.45, 0.47, 0.48, 0.5])
    assert classify(np.full(10, 2.0), p).tolist() == ["not_significant"] * 10
    assert classify(np.full(10, 2.0), p / 10).tolist() == ["hot_95"] * 10


def test_class_constants() -> None:
    assert list(CLASS_LABELS) == list(GI_BIN)
    assert sorted(GI_BIN.values()) == [-3, -2, -1, 0, 1, 2, 3]
    with pytest.raises(ValueError, match="inconnues"):
        class_labels(["tiède"])


# --- planted hot spots, and noise ----------------------------------------------------------


def plant(cells: np.ndarray, centres: list[int], seed: int) -> np.ndarray:
    index = {int(c): i for i, c in enumerate(cells)}
    lam = np.ones(cells.size)
    for centre in centres:
        for c in h3i.grid_disk(centre, 2):
            lam[index[c]] = 5.0
    return np.random.default_rng(seed).poisson(lam).astype(float)


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("seed", range(5))
def test_planted_hot_spots_are_found(k: int, seed: int) -> None:
    cells = disk(9, 25)  # 1,951 cells
    centre = h3i.latlng_to_cell(LAT, LON, 9)
    ring = h3i.grid_ring(centre, 12)
    centres = [centre, ring[0], ring[24], ring[48]]
    result = hotspots(cells, plant(cells, centres, seed), k)
    index = {int(c): i for i, c in enumerate(cells)}
    found = [result.code[index[c]] for c in centres]
    assert set(found) <= {"hot_95", "hot_99"}, found
    assert [result.label[index[c]] for c in centres] == [CLASS_LABELS[c] for c in found]


@pytest.mark.parametrize("rate", [0.5, 2.0])
def test_uniform_noise_raises_few_alarms(rate: float) -> None:
    # Without correction about 5 % of cells pass the 95 % level; with FDR at most 1 % (0.5 %
    # at worst over 20 seeds when this test was written, 0 for most seeds).
    cells = disk(9, 25)
    for seed in range(10):
        y = np.random.default_rng(seed).poisson(rate, cells.size)
        for k in (1, 2):
            raw = np.isin(hotspots(cells, y, k, fdr=False).code, SIGNIFICANT_95).mean()
            corrected = np.isin(hotspots(cells, y, k).code, SIGNIFICANT_95).mean()
            assert 0.01 < raw < 0.10
            assert corrected <= 0.01


def test_hotspots_with_permutations_uses_p_sim() -> None:
    cells = disk(10, 10)
    y = planted(cells, seed=3)
    result = hotspots(cells, y, 1, fdr=False, permutations=999, seed=4)
    w = ring_weights(cells, 1)
    assert_array_equal(result.p, gi_star_permutations(y, w, 999, seed=4))
    assert_array_equal(result.z, gi_star(y, w)[0])
    # The permutation classes are the plain ones, save cells whose ring departs the other way.
    plain = classify(result.z, result.p, fdr=False)
    assert np.all((result.code == plain) | (result.code == "not_significant"))
    assert np.count_nonzero(result.code != "not_significant") > 20
    assert (result.k, result.fdr, result.permutations, result.seed) == (1, False, 999, 4)
    # FDR over 331 cells with 199 permutations (p_sim ≥ 0.01): even at 90 % the first cut-off
    # is .10 / 331, and 0.01 passes only with 34 cells or more at 0.01. None here.
    assert np.all(hotspots(cells, y, 1, permutations=199, seed=4).code == "not_significant")


def test_busy_cell_amid_empty_ones_is_not_hot_by_permutations() -> None:
    # z > 0 from the cell's own count, but its ring, the cell left out, is far too quiet.
    cells = disk(10, 10)
    y = np.random.default_rng(5).poisson(3.0, cells.size).astype(float)
    centre = int(np.searchsorted(cells, h3i.latlng_to_cell(LAT, LON, 10)))
    ring = np.searchsorted(cells, h3i.grid_ring(int(cells[centre]), 1))
    y[centre], y[ring] = 30.0, 0.0
    permuted = hotspots(cells, y, 1, fdr=False, permutations=999, seed=1)
    assert permuted.z[centre] > 0 and permuted.p[centre] <= 0.002
    assert classify(permuted.z, permuted.p, fdr=False)[centre] == "hot_99"  # the naive reading
    assert permuted.code[centre] == "not_significant"
