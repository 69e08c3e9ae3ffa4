"""Hot spots: Getis–Ord Gi* on H3 cells, classed as Esri's Gi_Bin, with FDR correction.

Gi* is the statistic of esda's ``G_Local(y, w, star=True, transform="B")`` and of Esri's Hot
Spot Analysis: binary weights over the k-ring (the cell itself included), the population mean
and standard deviation (ddof = 0) of the study area's values, zeros included, and

    z_i = (Σ_j w_ij y_j − ȳ W_i) / (s √((n W_i − W_i²) / (n − 1))),   W_i = Σ_j w_ij,

with the two-sided p-value of the normal distribution. The study area is every cell the user
asked about, empty ones included; a cell's ring stops at the edge of the area.

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

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import h3ronpy
import numpy as np
import pyarrow as pa
import shapely
from h3ronpy.vector import ContainmentMode, wkb_to_cells
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.special import ndtr

from observatory.grid import MAX_RES, RES_SHIFT, parent_cells

FloatArray = NDArray[np.float64]
CellArray = NDArray[np.int64]
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

RESOLUTIONS = (10, 9, 8, 7)
KS = (1, 2, 3, 4)
MIN_CELLS = 30
MIN_MEDIAN = 3
PEAK_Z = 1.96
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


def _cells(cells: ArrayLike) -> CellArray:
    out = np.asarray(cells)
    if out.ndim != 1 or out.dtype.kind not in "iu":
        raise ValueError("les cellules H3 doivent être un tableau d'entiers à une dimension")
    return out.astype(np.int64, copy=False)


def _check_k(k: int) -> None:
    if int(k) != k or k < 1:
        raise ValueError(f"k doit être un entier ≥ 1, reçu {k}")


def _finder(cells: CellArray, resolution: int) -> Callable[[CellArray], NDArray[np.int32]]:
    """A function giving the index in `cells` (unique) of query cells, −1 when absent."""
    ordered = cells if np.all(cells[1:] > cells[:-1]) else np.sort(cells)
    if np.any(ordered[1:] == ordered[:-1]):
        raise ValueError("les cellules doivent être uniques")
    # A dense table instead of binary searches over the cells: key each cell by its ancestor
    # `depth` digits up (a handful of them over a town) and its last `depth` digits. The
    # table, 8**depth slots per ancestor, is kept within 16 slots per cell.
    free = 3 * (MAX_RES - resolution)
    depth = next(
        (
            d
            for d in range(min(resolution, 7), 0, -1)
            if (1 + np.count_nonzero(np.diff(ordered >> (free + 3 * d)))) << 3 * d
            <= max(16 * cells.size, 4096)
        ),
        0,
    )
    shift = free + 3 * depth
    top = ordered >> shift
    heads = top[np.concatenate(([True], top[1:] != top[:-1]))]
    digits = (1 << 3 * depth) - 1

    def slot(c: CellArray) -> NDArray[np.int64]:
        head = c >> shift
        i = np.minimum(np.searchsorted(heads, head), heads.size - 1)
        return np.where(heads[i] == head, (i << 3 * depth) | (c >> free) & digits, -1)

    table = np.full((heads.size << 3 * depth) + 1, -1, dtype=np.int32)  # slot −1: absent
    table[slot(cells)] = np.arange(cells.size, dtype=np.int32)
    return lambda queries: table[slot(queries)]


def _disks(
    cells: CellArray, k: int, *, distances: bool = False
) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.uint32] | None]:
    """Row offsets, column (−1 outside the area) and grid distance of every k-ring entry."""
    _check_k(k)
    resolutions = cells >> RES_SHIFT & 0xF
    if resolutions.min() != resolutions.max():
        raise ValueError("les cellules doivent toutes être de la même résolution")
    find = _finder(cells, int(resolutions[0]))
    raw = cells.view(np.uint64)
    if distances:
        batch = pa.record_batch(h3ronpy.grid_disk_distances(raw, k))
        disks, rings = batch.column(0), batch.column(1)
    else:
        disks, rings = pa.array(h3ronpy.grid_disk(raw, k)), None
    if disks.null_count or disks.values.null_count:
        raise ValueError("cellule H3 invalide")
    offsets = disks.offsets.to_numpy()
    entries = slice(offsets[0], offsets[-1])
    cols = find(disks.values.to_numpy().view(np.int64)[entries])
    dist = None if rings is None else rings.values.to_numpy()[entries]
    return offsets - offsets[0], cols, dist


def ring_weights(cells: ArrayLike, k: int) -> sparse.csr_matrix:
    """Binary weights: w_ij = 1 when cell j is in grid_disk(cell i, k) and in the area."""
    cells = _cells(cells)
    n = cells.size
    if n == 0:
        _check_k(k)
        return sparse.csr_matrix((0, 0))
    offsets, cols, _ = _disks(cells, k)
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


def _values(values: ArrayLike) -> FloatArray:
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1 or not np.all(np.isfinite(y)):
        raise ValueError("les valeurs doivent être finies, à une dimension")
    return y


def gi_star(
    values: ArrayLike, weights: sparse.spmatrix | sparse.sparray
) -> tuple[FloatArray, FloatArray]:
    """Analytic Gi* z-scores (esda's Zs, star=True, binary) and two-sided normal p-values."""
    y = _values(values)
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
) -> FloatArray:
    """Pseudo p-values of Gi* by conditional randomisation (see the module docstring)."""
    if permutations < 1:
        raise ValueError(f"nombre de permutations invalide : {permutations}")
    if alternative not in ("two-sided", "directed"):
        raise ValueError(f"alternative inconnue : {alternative!r}")
    y = _values(values)
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


def study_area_cells(
    polygons: shapely.Geometry | Iterable[shapely.Geometry], resolution: int
) -> CellArray:
    """Sorted unique cells whose centres fall inside the polygons (WGS84, lon/lat)."""
    if not 0 <= resolution <= MAX_RES:
        raise ValueError(f"résolution H3 hors de 0..15 : {resolution}")
    geoms = np.atleast_1d(np.asarray(polygons, dtype=object)).ravel()
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if not np.all(np.isin(shapely.get_type_id(geoms), (3, 6))):
        raise ValueError("la zone d'étude doit être faite de polygones")
    if geoms.size == 0:
        return np.zeros(0, dtype=np.int64)
    found = wkb_to_cells(
        shapely.to_wkb(geoms), resolution, ContainmentMode.ContainsCentroid, flatten=True
    )
    return np.unique(np.asarray(found.to_numpy(), dtype=np.uint64).view(np.int64))


def grown_cells(cells: ArrayLike, k: int) -> CellArray:
    """Sorted unique cells within k rings of the given cells (themselves included)."""
    cells = _cells(cells)
    if k < 0 or int(k) != k:
        raise ValueError(f"k doit être un entier ≥ 0, reçu {k}")
    if cells.size == 0:
        return cells
    disks = h3ronpy.grid_disk(np.unique(cells).view(np.uint64), k, flatten=True)
    return np.unique(np.asarray(disks.to_numpy(), dtype=np.uint64).view(np.int64))


def incremental_moran_z(cells: ArrayLike, values: ArrayLike, ks: Iterable[int] = KS) -> FloatArray:
    """Global Moran's I z (esda's z_rand) over k-ring weights without self, for each k."""
    cells = _cells(cells)
    y = _values(values)
    rings = sorted({int(k) for k in ks})
    if y.size != cells.size:
        raise ValueError("une valeur par cellule")
    n = y.size
    if n < 4 or not rings:
        return np.zeros(len(rings))
    dev = y - y.mean()
    m2 = float(dev @ dev)
    if m2 == 0:
        return np.zeros(len(rings))
    # One disk of the largest k, with distances, serves every k: the weights are symmetric
    # and binary, so S1 = 2 S0 and S2 = 4 Σ d_i² from the degrees d_i alone.
    offsets, cols, dist = _disks(cells, rings[-1], distances=True)
    assert dist is not None
    row = np.repeat(np.arange(n), np.diff(offsets))
    keep = (cols >= 0) & (dist > 0)
    row, col, dist = row[keep], cols[keep], dist[keep].astype(np.intp)
    width = rings[-1] + 1
    cross = np.cumsum(np.bincount(dist, dev[row] * dev[col], width))
    degrees = np.bincount(row * width + dist, minlength=n * width).reshape(n, width)
    degrees = np.cumsum(degrees, axis=1, dtype=np.float64)
    kurtosis = n * float(np.sum(dev**4)) / m2**2
    expected = -1.0 / (n - 1)
    zs = np.zeros(len(rings))
    for out, k in enumerate(rings):
        s0 = float(degrees[:, k].sum())
        if s0 == 0:
            continue
        s1, s2 = 2 * s0, 4 * float(degrees[:, k] @ degrees[:, k])
        a = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
        b = kurtosis * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)
        variance = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s0 * s0) - expected**2
        if variance > 0:
            zs[out] = (n / s0 * float(cross[k]) / m2 - expected) / np.sqrt(variance)
    return zs


def _fr(x: float) -> str:
    """A number as French text: decimal comma, true minus sign, no trailing ",0"."""
    return f"{round(x, 1):g}".replace(".", ",").replace("-", "−")


def choose_resolution_and_k(
    incident_cells: ArrayLike,
    *,
    area_cells: ArrayLike | None = None,
    resolutions: Iterable[int] = RESOLUTIONS,
    ks: Iterable[int] = KS,
    min_cells: int = MIN_CELLS,
    min_median: float = MIN_MEDIAN,
) -> tuple[int, int, str]:
    """Resolution and ring size for Gi*, after Esri's Optimized Hot Spot Analysis.

    ``incident_cells`` holds one cell per incident (at resolution 11, or any resolution at
    least as fine as the finest candidate); ``area_cells`` the study area at any resolution at
    least as fine as the candidates (the communes' cells), or None for the incidents' cells
    grown by one ring at the chosen resolution.

    Resolution: the candidates are taken from finest to coarsest (10, 9, 8, 7). Each incident
    is counted in its parent cell; the first resolution where at least ``min_cells`` (30)
    cells hold an incident and the median count of those non-empty cells is at least
    ``min_median`` (3) is chosen. Esri also asks for 30 features at least; the median keeps
    most cells from holding one or two incidents, where Gi* only measures noise. If no
    resolution qualifies, the coarsest one with at least 30 non-empty cells is taken, else the
    coarsest candidate, and the reason says the result is fragile.

    Ring size: at that resolution, the counts over the study area (zeros included) are tested
    with global Moran's I (binary k-ring weights, the cell itself excluded, z under
    randomisation) for k = 1, 2, 3, 4: Esri's Incremental Spatial Autocorrelation with rings
    for distance bands. k is the first peak: the first k whose z is at least 1.96, at least the
    z of k + 1 and (for k > 1) above the z of k − 1; the last k has no right-hand neighbour and
    is never a peak. Without a peak, k = 1. Ties resolve to the smaller k, so the choice is
    deterministic.
    """
    incidents = _cells(incident_cells)
    candidates = sorted({int(r) for r in resolutions}, reverse=True)
    rings = sorted({int(k) for k in ks})
    for k in rings:
        _check_k(k)
    if not candidates or not rings or not all(0 <= r <= MAX_RES for r in candidates):
        raise ValueError("résolutions ou valeurs de k invalides")
    if incidents.size and np.min(incidents >> RES_SHIFT & 0xF) < candidates[0]:
        raise ValueError("les faits doivent être indexés au moins aussi finement que les candidats")

    tallies = {r: np.unique(parent_cells(incidents, r), return_counts=True) for r in candidates}
    qualified = [
        r
        for r in candidates
        if tallies[r][0].size >= min_cells and np.median(tallies[r][1]) >= min_median
    ]
    wide = [r for r in candidates if tallies[r][0].size >= min_cells]
    chosen = qualified[0] if qualified else (wide[-1] if wide else candidates[-1])
    full, counts = tallies[chosen]
    rule = (
        f"au moins {min_cells} hexagones non vides "
        f"et une médiane d'au moins {_fr(min_median)} faits"
    )
    median = float(np.median(counts)) if counts.size else 0.0
    seen = f"({full.size} hexagones non vides, médiane {_fr(median)})"
    span = f"de {candidates[0]} à {candidates[-1]}"
    if len(candidates) == 1:
        why = f"résolution {chosen} : imposée {seen}"
        why += "" if qualified else f" ; sans {rule}, résultat fragile"
    elif qualified:
        why = f"résolution {chosen} : la plus fine {span} avec {rule} {seen}"
    else:
        why = f"résolution {chosen} : aucune {span} n'a {rule}, résultat fragile {seen}"

    if area_cells is None:
        area = grown_cells(full, 1)
    else:
        area = np.union1d(np.unique(parent_cells(_cells(area_cells), chosen)), full)
    values = np.zeros(area.size)
    values[np.searchsorted(area, full)] = counts
    zs = incremental_moran_z(area, values, rings).tolist()
    best = next(
        (
            i
            for i in range(len(rings) - 1)
            if zs[i] >= PEAK_Z and zs[i] >= zs[i + 1] and (i == 0 or zs[i] > zs[i - 1])
        ),
        None,
    )
    k = rings[best] if best is not None else rings[0]
    curve = ", ".join(f"{_fr(z)} pour k = {r}" for r, z in zip(rings, zs, strict=True))
    if len(rings) == 1:
        peak = "imposé"
    elif best is not None:
        peak = "premier pic significatif"
    else:
        peak = "pas de pic significatif, valeur par défaut"
    return chosen, k, f"{why} ; k = {k} : {peak} ; z du I de Moran global : {curve}"


def hotspots(
    cells: ArrayLike,
    counts: ArrayLike,
    k: int,
    *,
    fdr: bool = True,
    permutations: int = 0,
    seed: int = 0,
) -> Hotspots:
    """Gi* over the study area's cells (zeros included), classed; p from permutations if > 0."""
    area = _cells(cells)
    y = _values(counts)
    if y.size != area.size:
        raise ValueError("une valeur par cellule")
    w = ring_weights(area, k)
    z, p = gi_star(y, w)
    direction = z
    if permutations:
        p = gi_star_permutations(y, w, permutations, seed=seed)
        # The permutation test is about the ring given the cell: a busy cell amid quiet ones
        # has z > 0 and a small p_sim in the low tail. Class only where both directions agree.
        others = w @ y - y
        expected = (w @ np.ones(y.size) - 1) * (y.sum() - y) / max(y.size - 1, 1)
        direction = np.where(np.sign(others - expected) == np.sign(z), z, 0.0)
    bins = _gi_bins(direction, p, fdr) + 3
    return Hotspots(
        area, y, z, p, _CODE_OF_BIN[bins], _LABEL_OF_BIN[bins], k, fdr, permutations, seed
    )
