"""Noisy counts made consistent: non-negative integers that add up to a fixed total per group.

The partner release measures the same facts in several tabulations, each with its own noise. Its
numbers must still be one set: the cells of a commune must add up to the commune's total, the
hours of the week to the same total, and none may be negative or fractional. Each group of noisy
children is projected, in the least-squares sense, on the non-negative vectors with the parent's
total (the projection on a scaled simplex: subtract one constant per group and clip at zero, as
in Duchi et al., 2008), then rounded to integers keeping the total (largest remainders first).
This is post-processing of the noisy values: it costs no privacy. The US Census Bureau's TopDown
algorithm does the same with an optimiser; on a tree of groups the closed form is exact.
"""

from __future__ import annotations

import numpy as np


def fit_groups(noisy: np.ndarray, group: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Non-negative integers closest to ``noisy`` whose sum within each group is its total.

    ``group[i]`` is the group of child i (0 … len(totals) − 1); a group without children must
    have a total of 0.
    """
    noisy = np.asarray(noisy, dtype=np.float64)
    group = np.asarray(group, dtype=np.int64)
    totals = np.asarray(totals, dtype=np.int64)
    if noisy.size == 0:
        return np.zeros(0, dtype=np.int64)
    projected = _project(noisy, group, totals.astype(np.float64))
    return _round_keeping_totals(projected, group, totals)


def _project(values: np.ndarray, group: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Euclidean projection of each group's values on {x ≥ 0, Σx = total} (vectorised)."""
    # Sort by group, then by value descending: the projection keeps the largest values.
    order = np.lexsort((-values, group))
    v, g = values[order], group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, v.size])
    first = np.repeat(starts, sizes)
    rank = np.arange(v.size) - first + 1  # 1-based position within the group
    csum = np.cumsum(v)
    before = np.repeat(np.r_[0.0, csum[starts[1:] - 1]], sizes)
    running = csum - before  # sum of the group's `rank` largest values
    target = totals[g]
    # Candidate shift at each rank; the right one is at the largest rank where v > shift.
    shift = (running - target) / rank
    keep = v > shift
    last_kept = np.zeros(starts.size, dtype=np.int64)
    group_of_run = np.repeat(np.arange(starts.size), sizes)
    np.maximum.at(last_kept, group_of_run, np.where(keep, rank, 0))
    last_kept = np.maximum(last_kept, 1)
    theta = shift[starts + last_kept - 1]
    out = np.empty_like(values)
    out[order] = np.maximum(v - np.repeat(theta, sizes), 0.0)
    return out


def _round_keeping_totals(values: np.ndarray, group: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Floors, then one more to the largest remainders until each group has its total."""
    floors = np.floor(values + 1e-9).astype(np.int64)
    missing = totals - np.bincount(group, weights=floors, minlength=totals.size).astype(np.int64)
    remainder = values - floors
    # Largest remainder first; ties by position, so the result is deterministic.
    order = np.lexsort((np.arange(values.size), -remainder, group))
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, g.size])
    rank = np.arange(g.size) - np.repeat(starts, sizes)
    bump = rank < missing[g]
    floors[order[bump]] += 1
    return floors
