"""The noise of the partner release, drawn by OpenDP (https://opendp.org).

Each tabulation of a month counts every fact in exactly one of its cells, so its L1 sensitivity
is 1 and OpenDP's Laplace measurement over integer vectors (the discrete Laplace, or two-sided
geometric, mechanism of Ghosh, Roughgarden and Sundararajan) at scale s is ε = 1/s
differentially private for it; a fact is in one month and in each of the month's tabulations
once, so its privacy loss is the sum over the tabulations (sequential composition), whatever
the number of months (parallel composition). OpenDP samples from the operating system's
cryptographically secure generator and cannot be seeded, on purpose: the release stores what it
drew, and a published month is never drawn again (observatory/privacy/release.py).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import opendp.prelude as dp

# The discrete Laplace measurement sits in OpenDP's "contrib" set (implemented to the library's
# standards and proven in its documentation, not yet through its external vetting).
dp.enable_features("contrib")


@lru_cache(maxsize=8)
def _measurement(scale: float) -> Any:
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    return space >> dp.m.then_laplace(scale=scale)


def epsilon_of(scale: float) -> float:
    """The ε that OpenDP's privacy map gives one tabulation of sensitivity 1 at this scale."""
    return float(_measurement(scale).map(1))


def noisy_counts(counts: np.ndarray, scale: float) -> np.ndarray:
    """The counts with discrete Laplace noise of this scale added (integers, may be negative)."""
    values = np.asarray(counts, dtype=np.int64)
    if values.size == 0:
        return values.copy()
    return np.asarray(_measurement(scale)(values.tolist()), dtype=np.int64)
