"""Hot spots: Getis–Ord Gi* on H3 cells, classed as Esri's Gi_Bin, with FDR correction.

Gi* is the statistic of esda's ``G_Local(y, w, star=True, transform="B")`` and of Esri's Hot
Spot Analysis: binary weights over the k-ring (the cell itself included), the population mean
and standard deviation (ddof = 0) of the study area's values, zeros included, and

    z_i = (Σ_j w_ij y_j − ȳ W_i) / (s √((n W_i − W_i²) / (n − 1))),   W_i = Σ_j w_ij,

with the two-sided p-value of the normal distribution. The study area is every cell the user
asked about, empty ones included; a cell's ring stops at the edge of the area. The area, and
the resolution and k chosen for it, are observatory.analytics.studyarea's.

Permutation inference is esda's conditional randomisation: the cell's own value is held fixed
and its ring is refilled with values drawn without replacement from the n − 1 other cells; one
table of draws is shared by all cells, as in esda's ``crand``. The pseudo p-value is two-sided,
min(1, 2 (min(#{sim ≥ obs}, #{sim ≤ obs}) + 1) / (R + 1)), ties counting on both sides, so
that it can be read against the same 0.01 / 0.05 / 0.10 levels as the analytic p.
``alternative="directed"`` gives esda's own ``p_sim`` instead, (min(#{sim ≥ obs},
#{sim < obs}) + 1) / (R + 1): half as large, and it calls a zero among zeros significant.
Since the test is about the ring given the cell, ``hotspots`` classes a cell from p_sim only
when the ring (the cell left out) departs from its expectation in the direction of z: a busy
cell amid empty ones has z > 0 and a small p_sim, for being surrounded by too little.

FDR, as Esri applies it: the z and p fields are never corrected; only the bins are. For each
confidence level (90, 95, 99 %) the Benjamini–Hochberg critical p-value is computed over all
the cells at α = 0.10, 0.05 and 0.01 (rank i of n against i α / n), and a cell takes the highest
level whose critical value its p does not exceed, the sign of z saying hot or cold. This is
Esri's ``fdrTransform`` in its Spatial Statistics scripts (cut-offs ``arange(1, n + 1) / n``
times ``[.1, .05, .01]``) and the Gi_Bin text of the Hot Spot Analysis documentation ("the
critical p-value thresholds determined by the confidence level are reduced to account for
multiple testing and spatial dependence"). Optimized Hot Spot Analysis always applies it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.special import ndtr

from observatory.analytics import studyarea
from observatory.analytics.studyarea import (
    CellArray,
    FloatArray,
    cell_array,
    check_k,
    ring_entries,
    value_array,
)
from observatory.errors import Cancelled

# The study area and the choice of resolution and k, still importable from here (the hot-spot
# endpoints of api/routers/hotspots.py take them from this module).
KS = studyarea.KS
RESOLUTIONS = studyarea.RESOLUTIONS
choose_resolution_and_k = studyarea.choose_resolution_and_k
grown_cells = studyarea.grown_cells
study_area_cells = studyarea.study_area_cells

Alternative = Literal["two-sided", "directed"]

CLASS_LABELS: dict[str, str] = {
    "hot_99": "chaud 99 %",
    "hot_95": "chaud 95 %",
    "hot_90": "chaud 90 %",
    "not_significant": "non significatif",
    "cold_90": "froid 90 %",
    "cold_95": "froid 95 %",
    "cold_99": "froid 99 %",
}
GI_BIN: dict[str, int] = {
    "hot_99": 3,
    "hot_95": 2,
    "hot_90": 1,
    "not_significant": 0,
    "cold_90": -1,
    "cold_95": -2,
    "cold_99": -3,
}
# Least strict first: a stricter level overwrites the bin a laxer one gave.
LEVELS: tuple[tuple[float, int], ...] = ((0.10, 1), (0.05, 2), (0.01, 3))
_CODE_OF_BIN = np.array(sorted(GI_BIN, key=GI_BIN.__getitem__))
_LABEL_OF_BIN = np.array([CLASS_LABELS[code] for code in _CODE_OF_BIN])

# Cells × permutations held at once by the permutation test (float64: 16 MB).
_BLOCK = 1 << 21


@dataclass(frozen=True)
class Hotspots:
    """Gi* for each cell of the study area, its class, and the parameters used."""

    cells: CellArray
    values: FloatArray
    z: FloatArray
    p: FloatArray
    code: NDArray[np.str_]
    label: NDArray[np.str_]
    k: int
    fdr: bool
    permutations: int
    seed: int


def ring_weights(cells: ArrayLike, k: int) -> sparse.csr_matrix:
    """Binary weights: w_ij = 1 when cell j is in grid_disk(cell i, k) and in the area."""
    cells = cell_array(cells)
    n = cells.size
    if n == 0:
        check_k(k)
        return sparse.csr_matrix((0, 0))
    offsets, cols, _ = ring_entries(cells, k)
    inside = cols >= 0
    indptr = np.zeros(cols.size + 1, dtype=np.int32 if cols.size < 2**31 else np.int64)
    np.cumsum(inside, out=indptr[1:])
    return sparse.csr_matrix((np.ones(indptr[-1]), cols[inside], indptr[offsets]), shape=(n, n))


def _star_weights(weights: sparse.spmatrix | sparse.sparray, n: int) -> sparse.csr_matrix:
    w = sparse.csr_matrix(weights)
    if w.shape != (n, n):
        raise ValueError(f"poids de forme {w.shape} pour {n} valeurs")
    if not (np.all(w.data == 1.0) and np.all(w.diagonal() == 1.0)):
        raise ValueError("Gi* attend des poids binaires avec la cellule elle-même (diagonale à 1)")
    return w


def gi_star(
    values: ArrayLike, weights: sparse.spmatrix | sparse.sparray
) -> tuple[FloatArray, FloatArray]:
    """Analytic Gi* z-scores (esda's Zs, star=True, binary) and two-sided normal p-values."""
    y = value_array(values)
    n = y.size
    w = _star_weights(weights, n)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    card = w @ np.ones(n)
    spread = card * (n - card)
    s = float(y.std())  # population (ddof = 0), as esda's E[y²] − ȳ²
    z = np.zeros(n)
    # Constant values, or a ring covering the whole area: no contrast to measure, z = 0.
    ok = spread > 0 if s > 0 else np.zeros(n, dtype=bool)
    z[ok] = ((w @ y)[ok] - card[ok] * y.mean()) / (s * np.sqrt(spread[ok] / (n - 1)))
    return z, 2.0 * ndtr(-np.abs(z))


def _draws(rng: np.random.Generator, rows: int, population: int, size: int) -> NDArray[np.int64]:
    """Each row: `size` distinct integers of [0, population), in uniformly random order."""
    out = np.empty((rows, size), dtype=np.int64)
    # Floyd's sampling, vectorised over rows, then a shuffle: Floyd's order is not uniform.
    for t, j in enumerate(range(population - size, population)):
        pick = rng.integers(0, j + 1, size=rows)
        taken = (out[:, :t] == pick[:, None]).any(axis=1)
        out[:, t] = np.where(taken, j, pick)
    return rng.permuted(out, axis=1)


def gi_star_permutations(
    values: ArrayLike,
    weights: sparse.spmatrix | sparse.sparray,
    permutations: int = 999,
    *,
    seed: int = 0,
    alternative: Alternative = "two-sided",
    cancelled: Callable[[], bool] | None = None,
) -> FloatArray:
    """Pseudo p-values of Gi* by conditional randomisation (see the module docstring);
    ``cancelled`` is asked between blocks of permutations: True stops with ``Cancelled``."""
    if permutations < 1:
        raise ValueError(f"nombre de permutations invalide : {permutations}")
    if alternative not in ("two-sided", "directed"):
        raise ValueError(f"alternative inconnue : {alternative!r}")
    y = value_array(values)
    n = y.size
    w = _star_weights(weights, n)
    if n == 0:
        return np.zeros(0)
    others = np.diff(w.indptr) - 1
    observed = w @ y - y  # the ring's sum without the cell, the only part that is redrawn
    table = _draws(np.random.default_rng(seed), permutations, n - 1, int(others.max()))
    # Redrawn ring sums that equal the observed one must count as ties whatever the rounding.
    tol = 1e-9 * (int(others.max()) + 1) * max(1.0, float(np.abs(y).max()))
    at_least = np.zeros(n, dtype=np.int64)
    at_most = np.zeros(n, dtype=np.int64)
    at_least[others == 0] = at_most[others == 0] = permutations
    step = np.diff(y)
    block = max(1, _BLOCK // n)
    for m in np.unique(others[others > 0]):
        group = np.flatnonzero(others == m)
        low, high = observed[group] - tol, observed[group] + tol
        for start in range(0, permutations, block):
            _go_on(cancelled)
            drawn = table[start : start + block, :m]
            rows = drawn.shape[0]
            # Draw a ∈ [0, n − 2] stands for cell a when a < i and a + 1 when a ≥ i (i skipped).
            # So a ring sum is Σ y[a + 1], less y[a + 1] − y[a] for each a below i: a step
            # function of i, one cumulative sum over the group's cells per permutation.
            below = np.searchsorted(group, drawn, side="right")
            flat = (np.arange(rows)[:, None] * (group.size + 1) + below).ravel()
            steps = np.bincount(flat, step[drawn].ravel(), rows * (group.size + 1))
            steps = steps.reshape(rows, group.size + 1)[:, :-1].cumsum(axis=1)
            sims = y[drawn + 1].sum(axis=1)[:, None] - steps
            at_least[group] += np.count_nonzero(sims >= low, axis=0)
            at_most[group] += np.count_nonzero(sims <= high, axis=0)
    if alternative == "directed":
        return (np.minimum(at_least, permutations - at_least) + 1) / (permutations + 1)
    return np.minimum(1.0, 2 * (np.minimum(at_least, at_most) + 1) / (permutations + 1))


def _go_on(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise Cancelled("Calcul des points chauds abandonné : la requête a été annulée.")


def _p_values(p: ArrayLike) -> FloatArray:
    out = np.asarray(p, dtype=np.float64).ravel()
    if np.any(np.isnan(out)) or np.any(out < 0) or np.any(out > 1):
        raise ValueError("les p-valeurs doivent être dans [0, 1]")
    return out


def fdr_threshold(p: ArrayLike, alpha: float) -> float:
    """Benjamini–Hochberg critical p-value: reject p ≤ it (0 when nothing is rejected)."""
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha hors de ]0, 1] : {alpha}")
    ps = np.sort(_p_values(p))
    # The same arithmetic as statsmodels (rank / m × alpha), so that boundary cases agree.
    passed = np.flatnonzero(ps <= np.arange(1, ps.size + 1) / ps.size * alpha)
    return float(ps[passed[-1]]) if passed.size else 0.0


def benjamini_hochberg(p: ArrayLike, alpha: float) -> NDArray[np.bool_]:
    """Cells rejected by Benjamini–Hochberg at false discovery rate alpha."""
    ps = _p_values(p)
    # When nothing passes, the smallest p exceeds alpha / m > 0, so "p ≤ 0" selects nothing.
    return ps <= fdr_threshold(ps, alpha)


def _gi_bins(z: ArrayLike, p: ArrayLike, fdr: bool) -> NDArray[np.int64]:
    zs = np.asarray(z, dtype=np.float64).ravel()
    ps = _p_values(p)
    if zs.size != ps.size:
        raise ValueError("z et p doivent avoir la même longueur")
    level = np.zeros(ps.size, dtype=np.int64)
    for alpha, rank in LEVELS:
        level[ps <= (fdr_threshold(ps, alpha) if fdr else alpha)] = rank
    return level * np.where(zs > 0, 1, np.where(zs < 0, -1, 0))


def classify(z: ArrayLike, p: ArrayLike, *, fdr: bool = True) -> NDArray[np.str_]:
    """Class codes (hot_99 … cold_99) as Esri's Gi_Bin; CLASS_LABELS gives the French."""
    return _CODE_OF_BIN[_gi_bins(z, p, fdr) + 3]


def class_labels(codes: ArrayLike) -> NDArray[np.str_]:
    """French labels ("chaud 99 %" …) of class codes."""
    known, index = np.unique(np.asarray(codes, dtype=str), return_inverse=True)
    unknown = set(known.tolist()) - CLASS_LABELS.keys()
    if unknown:
        raise ValueError(f"classes inconnues : {sorted(unknown)}")
    return np.array([CLASS_LABELS[code] for code in known.tolist()])[index.ravel()]


def confidence_level(alpha: float) -> int:
    """The level of LEVELS (1: 90 %, 2: 95 %, 3: 99 %) that a threshold alpha asks for: the
    strictest whose α is at least alpha (0.02 asks for 95 %; beyond 0.10, 90 %)."""
    return max((rank for level_alpha, rank in LEVELS if alpha <= level_alpha), default=1)


def at_confidence(codes: ArrayLike, alpha: float) -> NDArray[np.str_]:
    """Class codes with the classes below the confidence alpha asks for made not_significant
    (alpha 0.05: hot_90 and cold_90 go); CLASS_LABELS or ``class_labels`` give the French."""
    known, index = np.unique(np.asarray(codes, dtype=str), return_inverse=True)
    unknown = set(known.tolist()) - GI_BIN.keys()
    if unknown:
        raise ValueError(f"classes inconnues : {sorted(unknown)}")
    bins = np.array([GI_BIN[code] for code in known.tolist()], dtype=np.int64)
    bins[np.abs(bins) < confidence_level(alpha)] = 0
    return _CODE_OF_BIN[bins + 3][index.ravel()]


def hotspots(
    cells: ArrayLike,
    counts: ArrayLike,
    k: int,
    *,
    fdr: bool = True,
    permutations: int = 0,
    seed: int = 0,
    cancelled: Callable[[], bool] | None = None,
) -> Hotspots:
    """Gi* over the study area's cells (zeros included), classed; p from permutations if > 0
    (stopped with ``Cancelled`` when ``cancelled`` says so between blocks)."""
    area = cell_array(cells)
    y = value_array(counts)
    if y.size != area.size:
        raise ValueError("une valeur par cellule")
    w = ring_weights(area, k)
    z, p = gi_star(y, w)
    direction = z
    if permutations:
        p = gi_star_permutations(y, w, permutations, seed=seed, cancelled=cancelled)
        # The permutation test is about the ring given the cell: a busy cell amid quiet ones
        # has z > 0 and a small p_sim in the low tail. Class only where both directions agree.
        others = w @ y - y
        expected = (w @ np.ones(y.size) - 1) * (y.sum() - y) / max(y.size - 1, 1)
        direction = np.where(np.sign(others - expected) == np.sign(z), z, 0.0)
    bins = _gi_bins(direction, p, fdr) + 3
    return Hotspots(
        area, y, z, p, _CODE_OF_BIN[bins], _LABEL_OF_BIN[bins], k, fdr, permutations, seed
    )
