"""CompStat: the last 7 days, 28 days and the year to date, each against the same dates a year
before (for a partner, whole months: the release is monthly)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from observatory.analytics import engine
from observatory.analytics.filters import Filter
from observatory.figures.breakdown import TOTAL, label
from observatory.figures.change import Change, changes
from observatory.privacy.policy import Disclosure
from observatory.store.snapshot import Snapshot

# (name, start, end, start a year before, end a year before)
Window = tuple[str, date, date, date, date]


@dataclass(frozen=True)
class CompStatRow:
    key: str
    label: str
    changes: list[Change]  # one per window


@dataclass(frozen=True)
class CompStat:
    """The windows ending on ``at`` (None: no day to end them on, no table) and one row per key,
    the total first, then the keys in alphabetical order."""

    at: date | None
    windows: list[Window]
    rows: list[CompStatRow]


def compstat(
    snapshot: Snapshot,
    f: Filter,
    at: date | None,
    key_of: Mapping[str, str] | None,
    labels: Mapping[str, str],
    disclosure: Disclosure,
) -> CompStat:
    """The CompStat table of the filter's facts at ``at``, keyed by ``key_of`` (category code →
    key; None: the total only), computed for the whole table at once."""
    if at is None:
        return CompStat(None, [], [])
    windows = (engine.compstat_month_windows if disclosure.release else engine.compstat_windows)(at)
    grouped = [
        (
            _group(engine.window_counts(snapshot, f, start, stop), key_of),
            _group(engine.window_counts(snapshot, f, prev_start, prev_stop), key_of),
        )
        for _name, start, stop, prev_start, prev_stop in windows
    ]
    # Every key has one figure per window, zeros included, so that the columns line up.
    keys = set().union(*(set(now) | set(before) for now, before in grouped)) - {TOTAL}
    order = [TOTAL, *sorted(keys)]
    counts = np.array(
        [[(now.get(k, 0), before.get(k, 0)) for now, before in grouped] for k in order],
        dtype=np.int64,
    ).reshape(len(order), len(windows), 2)
    table = changes(counts[..., 0], counts[..., 1], disclosure)
    width = len(windows)
    return CompStat(
        at,
        windows,
        [
            CompStatRow(key, label(key, labels), table[i * width : (i + 1) * width])
            for i, key in enumerate(order)
        ],
    )


def _group(counts: dict[str, int], key_of: Mapping[str, str] | None) -> dict[str, int]:
    out: dict[str, int] = {TOTAL: sum(counts.values())}
    if key_of is None:
        return out
    for code, n in counts.items():
        key = key_of.get(code, code)
        out[key] = out.get(key, 0) + n
    return out
