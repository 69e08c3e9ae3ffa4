"""Two periods compared cell by cell: the counts of period A and period B and CompStat's Poisson z.

The z is the one of the CompStat table (observatory/analytics/trendstats.py, 2(√C − √P)), with
period A's count brought to period B's length first (A × days of B / days of A): two periods of
unequal length are compared at the same rate, and for two periods of one length it is CompStat's
z exactly. A cell is read as a rise or a fall only when |z| ≥ 2 (strong from 3), the levels of
the CompStat table of the reports; otherwise « stable », whatever its percentage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from observatory.analytics.trendstats import poisson_z

SIGNIFICANT_Z = 2.0
STRONG_Z = 3.0
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
    level: list[str]


def level_of(z: float) -> str:
    """The reading of one z: a rise or a fall when |z| ≥ 2 (strong from 3), else stable."""
    if z >= STRONG_Z:
        return "hausse_forte"
    if z >= SIGNIFICANT_Z:
        return "hausse"
    if z <= -STRONG_Z:
        return "baisse_forte"
    if z <= -SIGNIFICANT_Z:
        return "baisse"
    return "stable"


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
    return CellChanges(cells, a, b, expected, z, [level_of(v) for v in z.tolist()])
