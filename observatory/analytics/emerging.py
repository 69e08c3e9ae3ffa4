"""Emerging hot spots: Esri's Emerging Hot Spot Analysis on an H3 space-time cube.

The cube holds counts per cell (the study area, zeros included) and time step (months or weeks,
oldest first). Each step gets its own Getis–Ord Gi* over the k-ring of every cell
(observatory/analytics/hotspots.py); a bin is a significant hot spot when z > 0 and p < alpha,
cold when z < 0 and p < alpha. With ``fdr`` (the default, as in Esri's tool) the p-values are
Benjamini–Hochberg adjusted within each step, over all the cells of the study area: each step is
one hot-spot map, the family the false discovery rate is controlled over. Each cell's series of
Gi* z-scores is then put to the Mann–Kendall test (the semantics of trendstats.mann_kendall:
tie-corrected variance, continuity correction, two-sided p; fewer than three steps: no trend),
and the cell gets one of Esri's patterns, as the "How Emerging Hot Spot Analysis works" page words
them (https://pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/
learnmoreemerging.htm), cold patterns being the same with cold for hot:

- new: "a statistically significant hot spot for the final time step and has never been a
  statistically significant hot spot before";
- consecutive: "a single uninterrupted run of at least two statistically significant hot spot
  bins in the final time-step intervals", "never been a statistically significant hot spot prior
  to the final hot spot run and less than 90 percent of all bins are statistically significant
  hot spots";
- intensifying: "a statistically significant hot spot for 90 percent of the time-step intervals,
  including the final time step", the intensity of clustering "increasing overall and that
  increase is statistically significant" (Mann–Kendall z > 0, p < alpha);
- persistent: hot "for 90 percent of the time-step intervals with no discernible trend";
- diminishing: as intensifying, the intensity "decreasing overall" and significantly so;
- sporadic: hot "for the final time-step interval with a history of also being an on-again and
  off-again hot spot. Less than 90 percent of the time-step intervals have been statistically
  significant hot spots and none of the time-step intervals have been statistically significant
  cold spots";
- oscillating: hot "for the final time-step interval that has a history of also being a
  statistically significant cold spot during a prior time step. Less than 90 percent of the
  time-step intervals have been statistically significant hot spots";
- historical: "the most recent time period is not hot, but at least 90 percent of the time-step
  intervals have been statistically significant hot spots";
- no pattern: none of the above.

"90 percent" is read as at least 90 % (10·hot ≥ 9·steps), "less than 90 percent" as its
complement. For a cold spot, intensifying means its z-scores fall significantly (clustering of
low counts growing stronger) and diminishing that they rise.

Where the rules overlap or leave a case open, this module decides:

1. The final bin chooses the family. Final bin hot: one of the hot patterns new … oscillating;
   final bin cold: one of the cold ones, even if 90 % of the bins were hot (a cell cold for the
   first time is a new cold spot, not a historical hot spot). Final bin not significant: historical
   hot or cold, else no pattern. So persistent is read as including the final step, like
   intensifying and diminishing (a mostly-hot cell whose final step is not hot is historical, a
   case the rules give to both).
2. Within a family, Esri's table order decides: new, consecutive, intensifying, persistent,
   diminishing, sporadic, oscillating. Cold bins before do not stop a new or a consecutive hot spot
   (the rules ask only that the cell was never hot before), so "cold, cold, hot" is new, not
   oscillating.
3. With a final hot bin, the rules are then exhaustive: 90 % hot gives intensifying, diminishing
   or persistent by the trend; otherwise a cell hot before its final run was on and off, sporadic
   when it was never cold, oscillating when it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import false_discovery_control, norm

from observatory.analytics.hotspots import gi_star, ring_weights
from observatory.errors import Cancelled

FloatArray = NDArray[np.float64]

HOT, NOT_SIGNIFICANT, COLD = 1, 0, -1

# One family's patterns in Esri's table order, which is also the precedence within the family.
_KINDS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)
(
    NEW,
    CONSECUTIVE,
    INTENSIFYING,
    PERSISTENT,
    DIMINISHING,
    SPORADIC,
    OSCILLATING,
    HISTORICAL,
) = range(len(_KINDS))

PATTERNS: tuple[str, ...] = (
    "no_pattern",
    *(f"{kind}_hot" for kind in _KINDS),
    *(f"{kind}_cold" for kind in _KINDS),
)
"""Pattern codes; a result's ``code`` is a position in this tuple (0: no pattern)."""

HOT_BASE, COLD_BASE = 1, 1 + len(_KINDS)

LABELS: dict[str, str] = {
    "no_pattern": "aucune tendance",
    "new_hot": "nouveau point chaud",
    "consecutive_hot": "point chaud consécutif",
    "intensifying_hot": "point chaud intensifié",
    "persistent_hot": "point chaud persistant",
    "diminishing_hot": "point chaud en déclin",
    "sporadic_hot": "point chaud sporadique",
    "oscillating_hot": "point chaud oscillant",
    "historical_hot": "ancien point chaud",
    "new_cold": "nouveau point froid",
    "consecutive_cold": "point froid consécutif",
    "intensifying_cold": "point froid intensifié",
    "persistent_cold": "point froid persistant",
    "diminishing_cold": "point froid en déclin",
    "sporadic_cold": "point froid sporadique",
    "oscillating_cold": "point froid oscillant",
    "historical_cold": "ancien point froid",
}

# Bounds the pairwise sign matrix of the Mann–Kendall test to ~32 MB, whatever the cube.
_PAIR_BLOCK = 4_000_000


class TrendTests(NamedTuple):
    """Mann–Kendall statistics of each row: S, its tie-corrected variance, z and two-sided p."""

    s: NDArray[np.int64]
    var_s: FloatArray
    z: FloatArray
    p: FloatArray


@dataclass(frozen=True)
class EmergingHotspots:
    """Per cell: its pattern, the trend of its Gi* z-scores, and its per-step Gi* and bins."""

    cells: NDArray[np.int64]
    code: NDArray[np.int8]  # position in PATTERNS
    trend_z: FloatArray
    trend_p: FloatArray
    gi_z: FloatArray  # cells × steps
    gi_p: FloatArray  # cells × steps, as Gi* gave them (before any FDR adjustment)
    bins: NDArray[np.int8]  # cells × steps: HOT, COLD or NOT_SIGNIFICANT

    @property
    def pattern(self) -> NDArray[np.str_]:
        """Pattern code of each cell (``new_hot`` … ``no_pattern``)."""
        return np.asarray(PATTERNS)[self.code]

    @property
    def label(self) -> NDArray[np.str_]:
        """French name of each cell's pattern."""
        return np.asarray([LABELS[p] for p in PATTERNS])[self.code]


def mann_kendall_rows(series: ArrayLike) -> TrendTests:
    """Mann–Kendall test of each row of a cells × steps array, as trendstats.mann_kendall."""
    x = np.asarray(series, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"il faut un tableau cellules × pas de temps, reçu {x.ndim} dimension(s)")
    if not np.isfinite(x).all():
        raise ValueError("les séries du test de Mann–Kendall doivent être finies")
    rows, n = x.shape
    if n < 3:
        # Too short for the normal approximation: no trend, as trendstats.mann_kendall says.
        zeros = np.zeros(rows)
        return TrendTests(np.zeros(rows, dtype=np.int64), zeros, zeros.copy(), np.ones(rows))

    i, j = np.triu_indices(n, k=1)
    s = np.empty(rows, dtype=np.int64)
    block = max(1, _PAIR_BLOCK // i.size)
    for start in range(0, rows, block):
        part = x[start : start + block]
        s[start : start + block] = np.sign(part[:, j] - part[:, i]).sum(axis=1)

    # Tie groups: runs of equal values in each sorted row, counted with one bincount.
    ordered = np.sort(x, axis=1)
    starts = np.ones((rows, n), dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    group = np.cumsum(starts, axis=1) - 1 + (np.arange(rows) * n)[:, None]
    t = np.bincount(group.ravel(), minlength=rows * n).reshape(rows, n).astype(np.int64)
    ties = (t * (t - 1) * (2 * t + 5)).sum(axis=1)
    var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18

    z = np.zeros(rows)
    moving = (s != 0) & (var_s > 0)  # var_s is 0 only for a constant row, whose s is 0
    z[moving] = (s[moving] - np.sign(s[moving])) / np.sqrt(var_s[moving])
    return TrendTests(s, var_s, z, 2 * norm.sf(np.abs(z)))


def significant_bins(
    gi_z: ArrayLike, gi_p: ArrayLike, alpha: float = 0.05, fdr: bool = True
) -> NDArray[np.int8]:
    """HOT, COLD or NOT_SIGNIFICANT for each bin of cells × steps Gi* z-scores and p-values.

    With ``fdr`` the p-values are Benjamini–Hochberg adjusted within each step (column), and a
    bin is significant when its adjusted p is below alpha. A bin without a finite z or p is not
    significant (gi_star itself gives z = 0, p = 1 where Gi* is undefined: equal counts).
    """
    z = np.asarray(gi_z, dtype=np.float64)
    p = np.asarray(gi_p, dtype=np.float64)
    if z.shape != p.shape or z.ndim != 2:
        raise ValueError(
            f"z et p doivent être cellules × pas de temps, reçu {z.shape} et {p.shape}"
        )
    if not 0 < alpha < 1:
        raise ValueError(f"alpha doit être entre 0 et 1, reçu {alpha}")
    known = np.isfinite(z) & np.isfinite(p)
    p = np.where(known, p, 1.0)
    if fdr and p.size:
        p = false_discovery_control(p, axis=0, method="bh")
    significant = known & (p < alpha)
    bins = np.zeros(z.shape, dtype=np.int8)
    bins[significant & (z > 0)] = HOT
    bins[significant & (z < 0)] = COLD
    return bins


def _trailing_run(spot: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Length of the run of True that ends each row."""
    steps = spot.shape[1]
    off = ~spot
    last_off = np.where(off.any(axis=1), steps - 1 - np.argmax(off[:, ::-1], axis=1), -1)
    return (steps - 1 - last_off).astype(np.int64)


def _final_step_kind(
    spot: NDArray[np.bool_],
    other: NDArray[np.bool_],
    stronger: NDArray[np.bool_],
    weaker: NDArray[np.bool_],
) -> NDArray[np.int64]:
    """The pattern (NEW … OSCILLATING) of each row, read as if its final bin were a spot."""
    steps = spot.shape[1]
    count = spot.sum(axis=1)
    mostly = 10 * count >= 9 * steps
    run = _trailing_run(spot)
    conditions = [
        ~spot[:, :-1].any(axis=1),
        (run >= 2) & (run == count) & ~mostly,
        mostly & stronger,
        mostly & ~stronger & ~weaker,
        mostly & weaker,
        ~other.any(axis=1),
    ]
    kinds = [NEW, CONSECUTIVE, INTENSIFYING, PERSISTENT, DIMINISHING, SPORADIC]
    return np.select(conditions, kinds, default=OSCILLATING)


def classify(
    bins: ArrayLike, trend_z: ArrayLike, trend_p: ArrayLike, alpha: float = 0.05
) -> NDArray[np.int8]:
    """Pattern (position in PATTERNS) of each cell from its bins and the trend of its z-scores."""
    b = np.asarray(bins)
    if b.ndim != 2 or b.shape[1] == 0:
        raise ValueError(f"il faut des classes cellules × pas de temps, reçu la forme {b.shape}")
    tz = np.asarray(trend_z, dtype=np.float64)
    tp = np.asarray(trend_p, dtype=np.float64)
    if tz.shape != (b.shape[0],) or tp.shape != tz.shape:
        raise ValueError(f"une tendance par cellule attendue, reçu {tz.shape} et {tp.shape}")
    rising = (tp < alpha) & (tz > 0)
    falling = (tp < alpha) & (tz < 0)
    hot, cold = b == HOT, b == COLD
    steps = b.shape[1]
    conditions = [
        hot[:, -1],
        cold[:, -1],
        10 * hot.sum(axis=1) >= 9 * steps,
        10 * cold.sum(axis=1) >= 9 * steps,
    ]
    choices = [
        HOT_BASE + _final_step_kind(hot, cold, rising, falling),
        COLD_BASE + _final_step_kind(cold, hot, falling, rising),
        np.full(b.shape[0], HOT_BASE + HISTORICAL),
        np.full(b.shape[0], COLD_BASE + HISTORICAL),
    ]
    return np.select(conditions, choices, default=0).astype(np.int8)


def emerging_from_gi(
    cells: ArrayLike,
    gi_z: ArrayLike,
    gi_p: ArrayLike,
    alpha: float = 0.05,
    fdr: bool = True,
) -> EmergingHotspots:
    """Patterns of cells from their per-step Gi* z-scores and p-values (cells × steps)."""
    ids = np.asarray(cells, dtype=np.int64)
    z = np.asarray(gi_z, dtype=np.float64)
    p = np.asarray(gi_p, dtype=np.float64)
    if z.ndim != 2 or z.shape[0] != ids.size:
        raise ValueError(f"{ids.size} cellules mais des z-scores de forme {z.shape}")
    bins = significant_bins(z, p, alpha, fdr)
    # A bin without a z shows no clustering: 0 for the trend, as gi_star gives for equal counts.
    trend = mann_kendall_rows(np.where(np.isfinite(z), z, 0.0))
    code = classify(bins, trend.z, trend.p, alpha)
    return EmergingHotspots(ids, code, trend.z, trend.p, z, p, bins)


def emerging_hotspots(
    cells: ArrayLike,
    counts: ArrayLike,
    k: int = 1,
    alpha: float = 0.05,
    fdr: bool = True,
    cancelled: Callable[[], bool] | None = None,
) -> EmergingHotspots:
    """Emerging hot spots of a cube: cells (int64 H3, the study area) × steps (oldest first);
    ``cancelled`` is asked between steps: True stops with ``Cancelled``."""
    ids = np.asarray(cells, dtype=np.int64)
    cube = np.asarray(counts, dtype=np.float64)
    if cube.ndim != 2 or cube.shape[0] != ids.size:
        raise ValueError(f"{ids.size} cellules mais un cube de forme {cube.shape}")
    if cube.shape[1] == 0:
        raise ValueError("le cube n'a aucun pas de temps")
    weights = ring_weights(ids, k)
    z = np.empty(cube.shape)
    p = np.empty(cube.shape)
    for step in range(cube.shape[1]):
        _go_on(cancelled)
        z[:, step], p[:, step] = gi_star(cube[:, step], weights)
    _go_on(cancelled)
    return emerging_from_gi(ids, z, p, alpha, fdr)


def _go_on(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise Cancelled("Calcul des points chauds émergents abandonné : la requête a été annulée.")
