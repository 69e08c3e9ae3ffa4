"""Near repeats: the Knox test over distance × time bands, with Monte Carlo significance.

Every pair of events closer than the largest distance edge is counted in the cell of its
distance band (metres, in Lambert-93) and time band (whole days between the two events). Under
the null hypothesis, when an event happened has nothing to do with where: the days are shuffled
among the events, the places kept, and the table counted again, ``permutations`` times. A cell's
expected count is the mean of the simulated tables, its Knox ratio observed / expected, and its
p-value (1 + #simulations ≥ observed) / (1 + permutations); the cell is significant when
p ≤ alpha, which with 999 permutations and alpha 0.05 is a test of exact size 5 %.

Bands are closed on the left and open on the right, distances and days alike: with the default
edges (0, 100, 200, 400) m and (0, 7, 14, 28) days the bands are [0, 100) m, [100, 200) m,
[200, 400) m and 0–6, 7–13, 14–27 days. Pairs at or beyond the last edge (or below the first)
are counted nowhere. This is the reading Steenbeek's NearRepeat package recommends and the one
Ratcliffe's Near Repeat Calculator computes, whatever its labels say: the calculator's "1 to
100 m" and "0 to 7 days" hold [1, 100) m and [0, 7) days (NearRepeat vignette "NRC"). The
calculator's "same location" band is [0, 1) m here: pass ``distance_edges=(0, 1, 100, …)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer
from scipy.spatial import cKDTree

FloatArray = NDArray[np.float64]

DISTANCE_EDGES = (0.0, 100.0, 200.0, 400.0)
DAY_EDGES = (0, 7, 14, 28)

# Simulated pair gaps held at once (16 bits each, usually): bounds memory whatever the data.
_BATCH_CELLS = 8_000_000


@dataclass(frozen=True)
class KnoxTable:
    """The Knox test: distance bands (rows) × time bands (columns)."""

    distance_edges: FloatArray
    day_edges: FloatArray
    observed: NDArray[np.int64]
    expected: FloatArray
    ratio: FloatArray  # observed / expected: NaN for 0/0, inf when only the observed is not 0
    p: FloatArray
    significant: NDArray[np.bool_]
    events: int
    pairs: int  # pairs of events falling in some distance band
    permutations: int
    seed: int | None


@lru_cache(maxsize=1)
def _to_lambert93() -> Transformer:
    return Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)


def lambert93(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Lambert-93 (EPSG:2154) x, y in metres of WGS84 longitudes and latitudes."""
    x, y = _to_lambert93().transform(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _edges(values: ArrayLike, name: str) -> FloatArray:
    edges = np.asarray(values, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2:
        raise ValueError(f"« {name} » : il faut au moins deux bornes, reçu {edges.tolist()}")
    if not np.isfinite(edges).all() or edges[0] < 0 or np.any(np.diff(edges) <= 0):
        raise ValueError(
            f"« {name} » : bornes positives et strictement croissantes attendues, "
            f"reçu {edges.tolist()}"
        )
    return edges


def _whole_days(days: ArrayLike) -> NDArray[np.int64]:
    values = np.asarray(days)
    if values.ndim != 1:
        raise ValueError("les jours doivent être un tableau à une dimension")
    if not np.issubdtype(values.dtype, np.integer):
        as_float = values.astype(np.float64)
        if not np.isfinite(as_float).all() or np.any(as_float != np.round(as_float)):
            raise ValueError("les jours des faits doivent être des nombres entiers")
    return values.astype(np.int64)


def knox_test(
    lon: ArrayLike,
    lat: ArrayLike,
    days: ArrayLike,
    distance_edges: ArrayLike = DISTANCE_EDGES,
    day_edges: ArrayLike = DAY_EDGES,
    permutations: int = 999,
    seed: int | None = 0,
    alpha: float = 0.05,
) -> KnoxTable:
    """Knox test of events at WGS84 points on given days (whole days, e.g. since 2000-01-01)."""
    x, y = lambert93(lon, lat)
    return knox_test_xy(x, y, days, distance_edges, day_edges, permutations, seed, alpha)


def knox_test_xy(
    x: ArrayLike,
    y: ArrayLike,
    days: ArrayLike,
    distance_edges: ArrayLike = DISTANCE_EDGES,
    day_edges: ArrayLike = DAY_EDGES,
    permutations: int = 999,
    seed: int | None = 0,
    alpha: float = 0.05,
) -> KnoxTable:
    """Knox test of events at projected points (metres) on given days."""
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    when = _whole_days(days)
    if not xs.shape == ys.shape == when.shape or xs.ndim != 1:
        raise ValueError(
            f"x, y et jours doivent avoir la même longueur, reçu {xs.shape}, {ys.shape}, "
            f"{when.shape}"
        )
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise ValueError("coordonnées manquantes ou non finies")
    if permutations < 1:
        raise ValueError(f"il faut au moins une permutation, reçu {permutations}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha doit être entre 0 et 1, reçu {alpha}")
    d_edges = _edges(distance_edges, "distances")
    t_edges = _edges(day_edges, "jours")
    n_dist, n_time = d_edges.size - 1, t_edges.size - 1

    # The tree finds the candidate pairs; the bands use our own distances, so that an edge is
    # judged the same way whether or not the tree's rounding let the pair through.
    points = np.column_stack([xs, ys])
    reach = d_edges[-1] * (1 + 1e-9) + 1e-9
    pairs = cKDTree(points).query_pairs(reach, output_type="ndarray")
    first, second = pairs[:, 0], pairs[:, 1]
    distance = np.hypot(xs[first] - xs[second], ys[first] - ys[second])
    band = np.searchsorted(d_edges, distance, side="right") - 1
    inside = (band >= 0) & (band < n_dist)
    order = np.argsort(band[inside], kind="stable")  # each distance band a contiguous slice
    first, second = first[inside][order], second[inside][order]
    bounds = np.searchsorted(band[inside][order], np.arange(n_dist + 1))

    # Days as offsets from the first, in 16 bits when they fit: the simulations are memory-bound.
    span = int(when.max() - when.min()) if when.size else 0
    small = span <= np.iinfo(np.int16).max
    offsets = (when - (when.min() if when.size else 0)).astype(np.int16 if small else np.int64)
    # A whole number of days g is below an edge e exactly when g < ceil(e).
    limits = [math.ceil(e) for e in t_edges]

    def tables(day_rows: np.ndarray) -> NDArray[np.int64]:
        """Pairs per distance band × time band, for each row of days (one day per event)."""
        gap = np.take(day_rows, first, axis=1)
        gap -= np.take(day_rows, second, axis=1)
        np.abs(gap, out=gap)
        below = np.zeros((day_rows.shape[0], n_dist, t_edges.size), dtype=np.int64)
        for d in range(n_dist):
            part = gap[:, bounds[d] : bounds[d + 1]]
            for k, limit in enumerate(limits):
                if limit > span:
                    below[:, d, k] = part.shape[1]
                elif limit > 0:
                    below[:, d, k] = np.count_nonzero(part < limit, axis=1)
        return np.diff(below, axis=2)

    observed = tables(offsets[None, :])[0]
    rng = np.random.default_rng(seed)
    batch = max(1, min(permutations, _BATCH_CELLS // max(first.size, when.size, 1)))
    at_least = np.zeros((n_dist, n_time), dtype=np.int64)
    total = np.zeros((n_dist, n_time), dtype=np.int64)
    done = 0
    while done < permutations:
        size = min(batch, permutations - done)
        simulated = tables(rng.permuted(np.tile(offsets, (size, 1)), axis=1))
        at_least += (simulated >= observed).sum(axis=0)
        total += simulated.sum(axis=0)
        done += size

    expected = total / permutations
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = observed / expected
    p = (1 + at_least) / (1 + permutations)
    return KnoxTable(
        distance_edges=d_edges,
        day_edges=t_edges,
        observed=observed,
        expected=expected,
        ratio=ratio,
        p=p,
        significant=p <= alpha,
        events=int(when.size),
        pairs=int(first.size),
        permutations=permutations,
        seed=seed,
    )
