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

Bounded by design, since the pairs grow with the square of the facts (10,000 facts within
100 km of each other are 50 million pairs): a question is refused (``NearRepeatTooLarge``, with
what to narrow) before any pair is listed when it has more than ``MAX_DISTANCE_BANDS`` (20)
distance bands or ``MAX_DAY_BANDS`` (20) time bands, a last distance edge beyond
``MAX_DISTANCE_M`` (5,000 m), a last day edge beyond ``MAX_DAYS`` (365), more than ``max_facts``
events, or more than ``max_pairs`` pairs within the last distance edge. The pairs are counted
first by a dual-tree count (``cKDTree.count_neighbors``: memory linear in the events), then
listed by chunks of events and kept as two 32-bit indices each, band by band: memory grows with
the pairs under the cap (8 bytes each), never with the square of the facts. A ``cancelled``
callback is asked before each chunk and each batch of permutations; when it answers True the
work stops with ``Cancelled``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer
from scipy.spatial import cKDTree

from observatory.errors import Cancelled, NearRepeatTooLarge

FloatArray = NDArray[np.float64]
Indices = NDArray[np.int32]

DISTANCE_EDGES = (0.0, 100.0, 200.0, 400.0)
DAY_EDGES = (0, 7, 14, 28)

# What a near-repeat question may ask (see the module's docstring): near repeats play out over
# hundreds of metres and weeks; beyond these the pairs only cost memory and time.
MAX_DISTANCE_BANDS = 20
MAX_DAY_BANDS = 20
MAX_DISTANCE_M = 5_000.0
MAX_DAYS = 365
# The defaults of OBS_NEAR_REPEAT_MAX_FACTS and OBS_NEAR_REPEAT_MAX_PAIRS (the API passes those).
MAX_FACTS = 50_000
MAX_PAIRS = 5_000_000

# Simulated pair gaps held at once (16 bits each, usually): bounds memory whatever the data.
_BATCH_CELLS = 8_000_000
# Neighbours listed at once (24 bytes each in scipy's answer) while the pairs are collected.
_PAIR_CHUNK = 250_000
# Pairs whose gaps in days are taken at once in a table (their indices widened to 8 bytes).
_PAIR_BLOCK = 1_000_000

_NARROW = (
    "une période plus courte, une zone plus petite (une commune) ou moins de catégories "
    "(cambriolages, par exemple)"
)


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


def _number(value: float) -> str:
    """A figure as French writes it: 5 000, 5 000,5."""
    whole, _, fraction = f"{value:.6f}".rstrip("0").rstrip(".").partition(".")
    return f"{int(whole):,}".replace(",", "\u202f") + (f",{fraction}" if fraction else "")


def check_bands(distance_edges: ArrayLike, day_edges: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """The edges as arrays, refused (NearRepeatTooLarge) beyond the caps on bands."""
    d_edges = _edges(distance_edges, "distances")
    t_edges = _edges(day_edges, "jours")
    if d_edges.size - 1 > MAX_DISTANCE_BANDS:
        raise NearRepeatTooLarge(
            f"{d_edges.size - 1} bandes de distance : le test de Knox en prend au plus "
            f"{MAX_DISTANCE_BANDS}. Regroupez des bandes."
        )
    if t_edges.size - 1 > MAX_DAY_BANDS:
        raise NearRepeatTooLarge(
            f"{t_edges.size - 1} bandes de délai : le test de Knox en prend au plus "
            f"{MAX_DAY_BANDS}. Regroupez des bandes."
        )
    if d_edges[-1] > MAX_DISTANCE_M:
        raise NearRepeatTooLarge(
            f"Dernière borne de distance de {_number(d_edges[-1])} m : le test de Knox va au "
            f"plus à {_number(MAX_DISTANCE_M)} m. Les répétitions proches se jouent à quelques "
            "centaines de mètres : raccourcissez la dernière bande."
        )
    if t_edges[-1] > MAX_DAYS:
        raise NearRepeatTooLarge(
            f"Dernière borne de délai de {_number(t_edges[-1])} jours : le test de Knox va au "
            f"plus à {MAX_DAYS} jours. Raccourcissez la dernière bande."
        )
    return d_edges, t_edges


def _check_events(events: int, max_facts: int) -> None:
    if events > max_facts:
        # No exact count: the refusal would tell what the answer's rounding hides.
        raise NearRepeatTooLarge(
            f"Trop de faits pour le test de Knox : plus de {_number(max_facts)}, son plafond. "
            f"Resserrez la question : {_NARROW}."
        )


def _go_on(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise Cancelled("Calcul des répétitions proches abandonné : la requête a été annulée.")


def _pairs_by_band(
    xs: FloatArray,
    ys: FloatArray,
    d_edges: FloatArray,
    max_pairs: int,
    cancelled: Callable[[], bool] | None,
) -> tuple[Indices, Indices, NDArray[np.intp]]:
    """Each pair of events in a distance band once (first < second), band after band, and where
    each band's slice starts: refused beyond ``max_pairs`` before any pair is listed."""
    points = np.column_stack([xs, ys])
    # The tree finds the candidate pairs; the bands use our own distances, so that an edge is
    # judged the same way whether or not the tree's rounding let the pair through.
    reach = d_edges[-1] * (1 + 1e-9) + 1e-9
    tree = cKDTree(points)
    # Ordered pairs within reach, each event with itself included: events + 2 × pairs.
    within = (int(tree.count_neighbors(tree, reach)) - xs.size) // 2
    if within > max_pairs:
        raise NearRepeatTooLarge(
            f"Trop de paires de faits à moins de {_number(d_edges[-1])} m pour le test de "
            f"Knox : plus de {_number(max_pairs)}, son plafond. Resserrez la question : une "
            f"dernière bande de distance plus courte, {_NARROW}."
        )
    # Under the cap, listing them is bounded too: each event's neighbours counted, then listed
    # by runs of events holding at most _PAIR_CHUNK of them.
    reached = np.cumsum(tree.query_ball_point(points, reach, return_length=True))
    n_dist = d_edges.size - 1
    firsts: list[list[Indices]] = [[] for _ in range(n_dist)]
    seconds: list[list[Indices]] = [[] for _ in range(n_dist)]
    start = 0
    while start < xs.size:
        _go_on(cancelled)
        before = int(reached[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(reached, before + _PAIR_CHUNK, side="right")))
        found = cKDTree(points[start:stop]).sparse_distance_matrix(
            tree, reach, output_type="ndarray"
        )
        first = found["i"] + start
        keep = found["j"] > first
        first, second = first[keep].astype(np.int32), found["j"][keep].astype(np.int32)
        del found, keep
        distance = np.hypot(xs[first] - xs[second], ys[first] - ys[second])
        band = np.searchsorted(d_edges, distance, side="right") - 1
        for d in range(n_dist):
            in_band = band == d
            firsts[d].append(first[in_band])
            seconds[d].append(second[in_band])
        start = stop
    bounds = np.cumsum([0] + [sum(a.size for a in pieces) for pieces in firsts])
    empty = np.empty(0, dtype=np.int32)
    first = np.concatenate([empty, *(a for pieces in firsts for a in pieces)])
    firsts.clear()
    second = np.concatenate([empty, *(a for pieces in seconds for a in pieces)])
    return first, second, bounds


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
    *,
    max_facts: int = MAX_FACTS,
    max_pairs: int = MAX_PAIRS,
    cancelled: Callable[[], bool] | None = None,
    projected: bool = False,
) -> KnoxTable:
    """Knox test of events on given days (whole days, e.g. since 2000-01-01) at WGS84 points,
    or with ``projected`` at Lambert-93 points (``lon``, ``lat`` then x, y in metres)."""
    d_edges, t_edges = check_bands(distance_edges, day_edges)
    if not projected:
        _check_events(np.size(days), max_facts)  # before the projection, which costs per fact
        lon, lat = lambert93(lon, lat)
    xs = np.asarray(lon, dtype=np.float64)
    ys = np.asarray(lat, dtype=np.float64)
    when = _whole_days(days)
    if not xs.shape == ys.shape == when.shape or xs.ndim != 1:
        raise ValueError(
            f"x, y et jours doivent avoir la même longueur, reçu {xs.shape}, {ys.shape}, "
            f"{when.shape}"
        )
    _check_events(when.size, max_facts)
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise ValueError("coordonnées manquantes ou non finies")
    if permutations < 1:
        raise ValueError(f"il faut au moins une permutation, reçu {permutations}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha doit être entre 0 et 1, reçu {alpha}")
    n_dist, n_time = d_edges.size - 1, t_edges.size - 1
    first, second, bounds = _pairs_by_band(xs, ys, d_edges, max_pairs, cancelled)

    # Days as offsets from the first, in 16 bits when they fit: the simulations are memory-bound.
    span = int(when.max() - when.min()) if when.size else 0
    small = span <= np.iinfo(np.int16).max
    offsets = (when - (when.min() if when.size else 0)).astype(np.int16 if small else np.int64)
    # A whole number of days g is below an edge e exactly when g < ceil(e).
    limits = [math.ceil(e) for e in t_edges]

    def tables(day_rows: np.ndarray) -> NDArray[np.int64]:
        """Pairs per distance band × time band, for each row of days (one day per event)."""
        below = np.zeros((day_rows.shape[0], n_dist, t_edges.size), dtype=np.int64)
        for d in range(n_dist):
            # By blocks of pairs: np.take widens the 32-bit indices it is given to 64 bits.
            for lo in range(int(bounds[d]), int(bounds[d + 1]), _PAIR_BLOCK):
                hi = min(lo + _PAIR_BLOCK, int(bounds[d + 1]))
                gap = np.take(day_rows, first[lo:hi], axis=1)
                gap -= np.take(day_rows, second[lo:hi], axis=1)
                np.abs(gap, out=gap)
                for k, limit in enumerate(limits):
                    if limit > span:
                        below[:, d, k] += hi - lo
                    elif limit > 0:
                        below[:, d, k] += np.count_nonzero(gap < limit, axis=1)
        return np.diff(below, axis=2)

    observed = tables(offsets[None, :])[0]
    rng = np.random.default_rng(seed)
    batch = max(1, min(permutations, _BATCH_CELLS // max(first.size, when.size, 1)))
    at_least = np.zeros((n_dist, n_time), dtype=np.int64)
    total = np.zeros((n_dist, n_time), dtype=np.int64)
    done = 0
    while done < permutations:
        _go_on(cancelled)
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
