"""The study area of a hot-spot analysis: its cells, their k-rings, its resolution and k.

The study area is a set of H3 cells of one resolution: the cells whose centres fall inside
polygons (the communes asked about), or cells grown by some rings; empty cells count. A
cell's k-ring stops at the edge of the area. ``choose_resolution_and_k`` picks the resolution
and ring size of Gi* (observatory.analytics.hotspots) after Esri's Optimized Hot Spot
Analysis: the finest resolution with enough busy cells, then the first peak of global Moran's I
over k-ring distance bands (Incremental Spatial Autocorrelation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import h3ronpy
import numpy as np
import pyarrow as pa
import shapely
from h3ronpy.vector import ContainmentMode, wkb_to_cells
from numpy.typing import ArrayLike, NDArray

from observatory.grid import MAX_RES, RES_SHIFT, parent_cells

FloatArray = NDArray[np.float64]
CellArray = NDArray[np.int64]

RESOLUTIONS = (10, 9, 8, 7)
KS = (1, 2, 3, 4)
MIN_CELLS = 30
MIN_MEDIAN = 3
PEAK_Z = 1.96


def cell_array(cells: ArrayLike) -> CellArray:
    """H3 cells as a one-dimensional int64 array (refused otherwise)."""
    out = np.asarray(cells)
    if out.ndim != 1 or out.dtype.kind not in "iu":
        raise ValueError("les cellules H3 doivent être un tableau d'entiers à une dimension")
    return out.astype(np.int64, copy=False)


def check_k(k: int) -> None:
    """Refuse a ring size that is not an integer of at least 1."""
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


def ring_entries(
    cells: CellArray, k: int, *, distances: bool = False
) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.uint32] | None]:
    """Row offsets, column (−1 outside the area) and grid distance of every k-ring entry."""
    check_k(k)
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


def value_array(values: ArrayLike) -> FloatArray:
    """Values as a one-dimensional float64 array (refused when not all finite)."""
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1 or not np.all(np.isfinite(y)):
        raise ValueError("les valeurs doivent être finies, à une dimension")
    return y


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
    cells = cell_array(cells)
    if k < 0 or int(k) != k:
        raise ValueError(f"k doit être un entier ≥ 0, reçu {k}")
    if cells.size == 0:
        return cells
    disks = h3ronpy.grid_disk(np.unique(cells).view(np.uint64), k, flatten=True)
    return np.unique(np.asarray(disks.to_numpy(), dtype=np.uint64).view(np.int64))


def incremental_moran_z(cells: ArrayLike, values: ArrayLike, ks: Iterable[int] = KS) -> FloatArray:
    """Global Moran's I z (esda's z_rand) over k-ring weights without self, for each k."""
    cells = cell_array(cells)
    y = value_array(values)
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
    offsets, cols, dist = ring_entries(cells, rings[-1], distances=True)
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
    incidents = cell_array(incident_cells)
    candidates = sorted({int(r) for r in resolutions}, reverse=True)
    rings = sorted({int(k) for k in ks})
    for k in rings:
        check_k(k)
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
        area = np.union1d(np.unique(parent_cells(cell_array(area_cells), chosen)), full)
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
