"""Two periods compared cell by cell: the counts of period A and period B and CompStat's Poisson z.

The z is the one of the CompStat table (observatory/analytics/trendstats.py, 2(√C − √P)), with
period A's count brought to period B's length first (A × days of B / days of A): two periods of
unequal length are compared at the same rate, and for two periods of one length it is CompStat's
z exactly. It says how large the change is in units of noise, but a cell holds few facts, where
that z misleads: one fact against none gives z = 2. Whether a cell rose or fell is therefore read
with the exact test of two Poisson counts: given the cell's A + B facts, B follows a binomial law
of probability days B / (days A + days B) when nothing changed; the two-sided p (twice the
smaller tail, at most 1) below 5 % is a rise or a fall, below 0.1 % a strong one, otherwise
« stable », whatever its percentage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import binom

from observatory.analytics.trendstats import poisson_z

SIGNIFICANT_P = 0.05
STRONG_P = 0.001
# The levels, from the strongest fall to the strongest rise.
LEVELS = ("baisse_forte", "baisse", "stable", "hausse", "hausse_forte")


@dataclass(frozen=True)
class CellChanges:
    """Per cell (the union of both periods' non-empty cells, sorted): counts, z, level."""

    cells: np.ndarray
    count_a: np.ndarray
    count_b: np.ndarray
    expected_b: np.ndarray  # A's count at B's length
    z: np.ndarray
    p: np.ndarray  # exact two-sided p of B against A
    level: list[str]


def level_of(z: float, p: float) -> str:
    """The reading of one cell: a rise or a fall when p < 5 % (strong under 0.1 %), else stable."""
    if p >= SIGNIFICANT_P or z == 0:
        return "stable"
    word = "hausse" if z > 0 else "baisse"
    return word + "_forte" if p < STRONG_P else word


def exact_p(count_a: np.ndarray, count_b: np.ndarray, days_a: int, days_b: int) -> np.ndarray:
    """Two-sided p of B given A + B (binomial, probability days_b / (days_a + days_b))."""
    n = count_a + count_b
    share = days_b / (days_a + days_b)
    lower = binom.cdf(count_b, n, share)
    upper = binom.sf(count_b - 1, n, share)
    return np.minimum(1.0, 2.0 * np.minimum(lower, upper))


def cell_changes(
    cells_a: ArrayLike,
    counts_a: ArrayLike,
    cells_b: ArrayLike,
    counts_b: ArrayLike,
    days_a: int,
    days_b: int,
) -> CellChanges:
    """Period A's and period B's cell counts side by side, with the z of B against A."""
    if days_a <= 0 or days_b <= 0:
        raise ValueError("les périodes comptent au moins un jour")
    ca, na = np.asarray(cells_a, dtype=np.int64), np.asarray(counts_a, dtype=np.int64)
    cb, nb = np.asarray(cells_b, dtype=np.int64), np.asarray(counts_b, dtype=np.int64)
    cells = np.union1d(ca, cb)
    a = np.zeros(cells.size, dtype=np.int64)
    b = np.zeros(cells.size, dtype=np.int64)
    a[np.searchsorted(cells, ca)] = na
    b[np.searchsorted(cells, cb)] = nb
    expected = a * (days_b / days_a)
    z = np.asarray(poisson_z(b, expected), dtype=np.float64).reshape(cells.size)
    p = exact_p(a, b, days_a, days_b)
    levels = [level_of(zz, pp) for zz, pp in zip(z.tolist(), p.tolist(), strict=True)]
    return CellChanges(cells, a, b, expected, z, p, levels)
