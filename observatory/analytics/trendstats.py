"""Trend statistics on short count series: Mann–Kendall, Sen's slope, CompStat changes.

`mann_kendall` reproduces `pymannkendall.original_test` (the tests compare the two) with the
pairwise work done by numpy broadcasting instead of a Python loop. Missing values (NaN) are
dropped for the test itself, as pymannkendall does; Sen's slope keeps each value at its
original position, so a missing month does not shorten the time axis (pymannkendall again).

The CompStat z-score 2(√C − √P) compares two Poisson counts: under equal rates it is close to
a standard normal, whatever the size of the counts, which a percent change is not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

Trend = Literal["hausse", "baisse", "stable"]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class MannKendall:
    n: int
    s: int
    var_s: float
    z: float
    p: float
    tau: float
    trend: Trend
    h: bool
    slope: float
    intercept: float

    def as_dict(self) -> dict[str, int | float | str | bool | None]:
        """Plain values for JSON, NaN as None."""
        out: dict[str, int | float | str | bool | None] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            out[field.name] = None if isinstance(value, float) and math.isnan(value) else value
        return out


def _series(values: ArrayLike) -> FloatArray:
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"la série doit être à une dimension, reçu {x.ndim}")
    return x


@lru_cache(maxsize=64)
def _pairs(n: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Indices (i, j) of every pair i < j, shared read-only: series lengths repeat."""
    i, j = np.triu_indices(n, k=1)
    i.flags.writeable = j.flags.writeable = False
    return i, j


def _sens_slope(x: FloatArray, t: FloatArray) -> tuple[float, float]:
    """Sen's slope and Conover's intercept of values x observed at positions t."""
    if x.size == 0:
        return 0.0, math.nan
    if x.size == 1:
        return 0.0, float(x[0])
    i, j = _pairs(x.size)
    slope = float(np.median((x[j] - x[i]) / (t[j] - t[i])))
    return slope, float(np.median(x) - np.median(t) * slope)


def sens_slope(values: ArrayLike) -> tuple[float, float]:
    """Theil–Sen slope per period and intercept at position 0, NaN values skipped."""
    x = _series(values)
    kept = ~np.isnan(x)
    return _sens_slope(x[kept], np.flatnonzero(kept).astype(np.float64))


def mann_kendall(values: ArrayLike, alpha: float = 0.05) -> MannKendall:
    """Original Mann–Kendall test (two-sided) with Sen's slope, NaN values dropped."""
    x = _series(values)
    kept = ~np.isnan(x)
    t = np.flatnonzero(kept).astype(np.float64)
    x = x[kept]
    n = int(x.size)
    slope, intercept = _sens_slope(x, t)
    if n < 3:
        # Too short for the normal approximation to mean anything: report no trend.
        return MannKendall(n, 0, 0.0, 0.0, 1.0, 0.0, "stable", False, slope, intercept)

    i, j = _pairs(n)
    s = int(np.sign(x[j] - x[i]).sum())
    _, ties = np.unique(x, return_counts=True)
    var_s = float((n * (n - 1) * (2 * n + 5) - np.sum(ties * (ties - 1) * (2 * ties + 5))) / 18)
    # Continuity correction of one towards zero; var_s is 0 only when s is 0 (a constant series).
    z = 0.0 if s == 0 or var_s <= 0.0 else (s - math.copysign(1, s)) / math.sqrt(var_s)
    # sf rather than 1 - cdf: the same value, without losing the tiny p of strong trends.
    p = float(2 * norm.sf(abs(z)))
    h = p < alpha
    trend: Trend = "stable"
    if h and z > 0:
        trend = "hausse"
    elif h and z < 0:
        trend = "baisse"
    tau = s / (n * (n - 1) / 2)
    return MannKendall(n, s, var_s, z, p, tau, trend, h, slope, intercept)


@overload
def poisson_z(current: float, previous: float) -> float: ...
@overload
def poisson_z(current: ArrayLike, previous: ArrayLike) -> FloatArray: ...
def poisson_z(current: ArrayLike, previous: ArrayLike) -> float | FloatArray:
    """CompStat z-score 2(√C − √P) of a count against the previous one."""
    c = np.asarray(current, dtype=np.float64)
    p = np.asarray(previous, dtype=np.float64)
    if np.any(c < 0) or np.any(p < 0):
        raise ValueError("les comptes doivent être positifs ou nuls")
    z = 2.0 * (np.sqrt(c) - np.sqrt(p))
    return float(z) if z.ndim == 0 else z


@overload
def percent_change(current: float, previous: float) -> float | None: ...
@overload
def percent_change(current: ArrayLike, previous: ArrayLike) -> FloatArray: ...
def percent_change(current: ArrayLike, previous: ArrayLike) -> float | FloatArray | None:
    """100·(C − P)/P; None for two scalars with P = 0, NaN inside arrays."""
    c = np.asarray(current, dtype=np.float64)
    p = np.asarray(previous, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(p == 0, np.nan, 100.0 * (c - p) / p)
    if change.ndim == 0:
        value = float(change)
        return None if math.isnan(value) else value
    return change
