"""A count against the one it is compared with (CompStat periods, a month against the same month
a year before), as the reader may be told it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from observatory.analytics.trendstats import percent_change, poisson_z
from observatory.privacy.policy import Disclosure


@dataclass(frozen=True)
class Change:
    """A count against another: percent change and z = 2(√C − √P); a value the reader may not be
    told is None, and so are the change and the z beside a hidden count."""

    current: int | None
    previous: int | None
    percent: float | None
    z: float | None
    previous_hidden: bool = False


def changes(current: ArrayLike, previous: ArrayLike, disclosure: Disclosure) -> list[Change]:
    """Each count against its previous one (two arrays of one shape, read flat), all at once."""
    now = np.asarray(current, dtype=np.int64).ravel()
    before = np.asarray(previous, dtype=np.int64).ravel()
    percent = percent_change(now, before).tolist()
    z = poisson_z(now, before).tolist()
    hidden_now, hidden_before = disclosure.hidden(now), disclosure.hidden(before)
    withheld = (hidden_now | hidden_before).tolist()
    # The Poisson z reads counts as exact: on released (noisy) values it would over-state the
    # evidence, so a partner gets the change without it.
    scored = not disclosure.release
    return [
        Change(
            disclosure.count(c),
            disclosure.count(p),
            None if w or math.isnan(pc) else pc,
            zz if scored and not w else None,
            previous_hidden=hp,
        )
        for c, p, pc, zz, w, hp in zip(
            now.tolist(), before.tolist(), percent, z, withheld, hidden_before.tolist(), strict=True
        )
    ]


def change(current: int, previous: int | None, disclosure: Disclosure) -> Change:
    """One count against another, or alone when there is nothing to compare it with."""
    if previous is None:
        return Change(disclosure.count(current), None, None, None)
    return changes([current], [previous], disclosure)[0]
