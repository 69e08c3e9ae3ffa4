"""The Knox test's bounds (issue 17): caps on bands, facts and pairs, cancellation, and the same
answers as the unbounded computation under the caps."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy.spatial import cKDTree

from observatory.analytics.nearrepeat import (
    MAX_DAY_BANDS,
    MAX_DAYS,
    MAX_DISTANCE_BANDS,
    MAX_DISTANCE_M,
    KnoxTable,
    check_bands,
    knox_test,
)
from observatory.errors import Cancelled, InvalidInput, NearRepeatTooLarge

MB = 1024 * 1024


def unbounded_knox(
    x: np.ndarray,
    y: np.ndarray,
    days: np.ndarray,
    d_edges: list[float],
    t_edges: list[float],
    permutations: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The test as computed before the caps: every pair within reach listed at once, each
    permutation drawn and counted on its own. Observed, expected, p and the pairs in a band."""
    reach = d_edges[-1] * (1 + 1e-9) + 1e-9
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(reach, output_type="ndarray")
    first, second = pairs[:, 0], pairs[:, 1]
    band = np.searchsorted(d_edges, np.hypot(x[first] - x[second], y[first] - y[second]), "right")
    inside = (band >= 1) & (band < len(d_edges))
    first, second, band = first[inside], second[inside], band[inside] - 1
    shape = (len(d_edges) - 1, len(t_edges) - 1)

    def table(when: np.ndarray) -> np.ndarray:
        gap_band = np.searchsorted(t_edges, np.abs(when[first] - when[second]), "right") - 1
        counted = (gap_band >= 0) & (gap_band < shape[1])
        cells = band[counted] * shape[1] + gap_band[counted]
        return np.bincount(cells, minlength=shape[0] * shape[1]).reshape(shape)

    observed = table(days)
    rng = np.random.default_rng(seed)
    at_least = np.zeros(shape, dtype=np.int64)
    total = np.zeros(shape, dtype=np.int64)
    for _ in range(permutations):
        simulated = table(rng.permuted(days[None, :], axis=1)[0])
        at_least += simulated >= observed
        total += simulated
    return observed, total / permutations, (1 + at_least) / (1 + permutations), int(first.size)


def clustered_town(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events around a few centres, some at the very same spot, over two years."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 6000, (8, 2))
    which = rng.integers(0, 8, n)
    xy = centres[which] + rng.normal(0, 250, (n, 2))
    xy[: n // 10] = xy[n // 10 : 2 * (n // 10)]  # a tenth of the events on another's spot
    return xy[:, 0], xy[:, 1], rng.integers(0, 730, n)


def assert_same(
    table: KnoxTable, reference: tuple[np.ndarray, np.ndarray, np.ndarray, int]
) -> None:
    observed, expected, p, pairs = reference
    assert_array_equal(table.observed, observed)
    assert_array_equal(table.expected, expected)
    assert_array_equal(table.p, p)
    assert table.pairs == pairs


@pytest.mark.parametrize(
    ("d_edges", "t_edges"),
    [
        ([0, 100, 200, 400], [0, 7, 14, 28]),
        ([0, 1, 50, 100, 250, 500, 1000], [0, 1, 3, 7, 30.5, 90]),
        ([25, 300], [2, 365]),  # first edges above 0: the closest pairs counted nowhere
        (list(np.linspace(0, MAX_DISTANCE_M, MAX_DISTANCE_BANDS + 1)), list(range(0, 21 * 17, 17))),
    ],
)
@pytest.mark.parametrize("chunk", [None, 40])
def test_same_answers_as_the_unbounded_computation(
    d_edges: list[float], t_edges: list[float], chunk: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    x, y, days = clustered_town(700, seed=11)
    reference = unbounded_knox(x, y, days, d_edges, t_edges, permutations=39, seed=5)
    assert reference[0].sum() > 100  # not vacuous
    if chunk is not None:  # neighbours listed, and gaps taken, a few at a time
        monkeypatch.setattr("observatory.analytics.nearrepeat._PAIR_CHUNK", chunk)
        monkeypatch.setattr("observatory.analytics.nearrepeat._PAIR_BLOCK", chunk - 3)
    table = knox_test(x, y, days, d_edges, t_edges, permutations=39, seed=5, projected=True)
    assert_same(table, reference)


def test_wgs84_entry_point_gives_the_same_answers() -> None:
    x, y, days = clustered_town(400, seed=3)
    lon, lat = np.array([1.44]) + x / 80_000, np.array([43.6]) + y / 111_000
    from observatory.analytics.nearrepeat import lambert93

    px, py = lambert93(lon, lat)
    reference = unbounded_knox(px, py, days, [0, 100, 200, 400], [0, 7, 14, 28], 19, seed=2)
    assert_same(knox_test(lon, lat, days, permutations=19, seed=2), reference)


@pytest.mark.parametrize(
    ("d_edges", "t_edges", "message"),
    [
        (np.arange(MAX_DISTANCE_BANDS + 2) * 10.0, [0, 7], "21 bandes de distance"),
        ([0, 100], np.arange(MAX_DAY_BANDS + 2), "21 bandes de délai"),
        ([0, 100, 100_000], [0, 7], "100\u202f000 m"),
        ([0, 100, MAX_DISTANCE_M + 0.5], [0, 7], "5\u202f000,5 m"),
        ([0, 100], [0, 7, 1000], "1\u202f000 jours"),
        ([0, 100], [0, MAX_DAYS + 1], "366 jours"),
    ],
)
def test_bands_beyond_the_caps_are_refused(
    d_edges: list[float], t_edges: list[float], message: str
) -> None:
    x, y, days = clustered_town(50, seed=1)
    with pytest.raises(NearRepeatTooLarge, match=message):
        check_bands(d_edges, t_edges)
    with pytest.raises(NearRepeatTooLarge, match=message):
        knox_test(x, y, days, d_edges, t_edges, permutations=9, projected=True)
    assert issubclass(NearRepeatTooLarge, InvalidInput)  # the API's 422


def test_the_widest_bands_allowed_are_accepted() -> None:
    d_edges = np.linspace(0, MAX_DISTANCE_M, MAX_DISTANCE_BANDS + 1)
    t_edges = np.linspace(0, MAX_DAYS, MAX_DAY_BANDS + 1)
    x, y, days = clustered_town(200, seed=4)
    table = knox_test(x, y, days, d_edges, t_edges, permutations=9, projected=True)
    assert table.observed.shape == (MAX_DISTANCE_BANDS, MAX_DAY_BANDS)


def test_pair_cap_refuses_without_listing_the_pairs() -> None:
    # 20,000 events at one spot: 199,990,000 pairs, 3.2 GB as the unbounded computation held
    # them. The count alone is held; tracemalloc sees numpy's allocations.
    x = np.full(20_000, 1000.0)
    y = np.full(20_000, 2000.0)
    days = np.arange(20_000) % 365
    tracemalloc.start()
    try:
        with pytest.raises(NearRepeatTooLarge) as refused:
            knox_test(
                x, y, days, permutations=999, max_facts=20_000, max_pairs=1_000_000, projected=True
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * MB
    message = str(refused.value)
    assert "Trop de paires de faits à moins de 400 m" in message
    assert "plus de 1\u202f000\u202f000, son plafond" in message
    for way in ("période plus courte", "commune", "dernière bande de distance", "catégories"):
        assert way in message


def test_pair_cap_is_inclusive() -> None:
    x, y, days = np.zeros(100), np.zeros(100), np.arange(100)
    assert knox_test(x, y, days, permutations=9, max_pairs=4_950, projected=True).pairs == 4_950
    with pytest.raises(NearRepeatTooLarge, match="plus de 4\u202f949, son"):
        knox_test(x, y, days, permutations=9, max_pairs=4_949, projected=True)


def test_fact_cap_is_checked_before_anything_else() -> None:
    x, y, days = np.zeros(101), np.zeros(101), np.arange(101)
    too_many = "Trop de faits pour le test de Knox : plus de 100, son plafond"
    with pytest.raises(NearRepeatTooLarge, match=too_many):
        knox_test(x, y, days, max_facts=100, projected=True)
    with pytest.raises(NearRepeatTooLarge, match=too_many):
        knox_test(x + 1.4, y + 43.6, days, max_facts=100)
    assert (
        knox_test(
            x[:100], y[:100], days[:100], permutations=9, max_facts=100, projected=True
        ).events
        == 100
    )


def test_memory_grows_with_the_pairs_under_the_cap() -> None:
    # 3,000 events at one spot: 4,498,500 pairs, under the default cap. Listed at once with
    # 64-bit indices, distances and bands they took 245 MB (tracemalloc); kept as two 32-bit
    # indices, 36 MB, 52 MB at the peak.
    x, y = np.full(3_000, 5.0), np.full(3_000, 5.0)
    days = np.arange(3_000) % 300
    tracemalloc.start()
    try:
        table = knox_test(x, y, days, permutations=1, projected=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert table.pairs == 4_498_500
    assert peak < 80 * MB


class Countdown:
    """A cancellation check that answers True on its n-th call, and counts the calls."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.calls >= self.n


def test_cancellation_between_permutation_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("observatory.analytics.nearrepeat._BATCH_CELLS", 1)  # one per batch
    x, y, days = clustered_town(300, seed=8)
    never = Countdown(10**9)
    whole = knox_test(x, y, days, permutations=50, seed=1, cancelled=never, projected=True)
    assert never.calls == 1 + 50  # one listing chunk, then every batch
    assert_array_equal(whole.p, knox_test(x, y, days, permutations=50, seed=1, projected=True).p)
    stop = Countdown(5)
    with pytest.raises(Cancelled):
        knox_test(x, y, days, permutations=50, seed=1, cancelled=stop, projected=True)
    assert stop.calls == 5  # stopped at once: no batch after the answer


def test_cancellation_while_the_pairs_are_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("observatory.analytics.nearrepeat._PAIR_CHUNK", 10)
    x, y, days = clustered_town(300, seed=8)
    stop = Countdown(3)
    with pytest.raises(Cancelled):
        knox_test(x / 80_000 + 1.44, y / 111_000 + 43.6, days, permutations=50, cancelled=stop)
    assert stop.calls == 3
