"""Timings of the engine benchmark: the fast path against plain PostgreSQL, on one filter.

On the same rows and the same filter (one year, three categories) the fast path
(observatory.analytics.engine on one snapshot) and the baseline (observatory.store.plainsql,
plain GROUP BY) are timed, and their results compared.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from observatory.analytics import engine as fast
from observatory.analytics.filters import Filter
from observatory.db import make_engine
from observatory.store import plainsql
from observatory.store.incidents import IncidentStore
from observatory.store.snapshot import Snapshot

CATEGORIES = ("cambriolage_logement", "tapage", "vol_dans_vehicule")
FILTER = Filter(
    date_from=date(2024, 1, 1), date_to=date(2024, 12, 31), categories=frozenset(CATEGORIES)
)
QUERY = {"from": "2024-01-01", "to": "2024-12-31", "categories": ",".join(CATEGORIES)}
FAST_RUNS, SQL_RUNS, HTTP_RUNS = 30, 5, 30


def times_ms(run: Callable[[], Any], runs: int, warmup: int) -> tuple[list[float], Any]:
    """Milliseconds of each timed run (after the warm-up ones), and the last result."""
    result = None
    for _ in range(warmup):
        result = run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def median(times: list[float]) -> float:
    """The median of some timings."""
    return statistics.median(times)


def p95(times: list[float]) -> float:
    """The 95th percentile of some timings."""
    return float(np.percentile(times, 95))


def rss_kb(pid: int | str = "self", key: str = "VmRSS") -> int:
    """A process's resident memory in kB (VmRSS, or VmHWM for its peak), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def load_snapshot(url: str, zone: str) -> tuple[Snapshot, dict[str, float]]:
    """The snapshot of the database, the seconds it took and the bytes per incident it holds."""
    engine = make_engine(url)
    rss_before = rss_kb()
    started = time.perf_counter()
    snapshot = IncidentStore(engine, zone).snapshot()
    seconds = time.perf_counter() - started
    engine.dispose()
    grown = (rss_kb() - rss_before) * 1024
    peak = (rss_kb(key="VmHWM") - rss_before) * 1024
    return snapshot, {
        "load_s": seconds,
        "nbytes_per": snapshot.nbytes() / snapshot.size,
        "rss_per": grown / snapshot.size,
        "peak_per": peak / snapshot.size,
    }


def compare(url: str, snapshot: Snapshot, zone: str) -> list[dict[str, Any]]:
    """Fast path and plain SQL on one filter: median times and whether the results agree."""
    cases: list[tuple[str, Callable[[], Any], Callable[[Any], Any], Callable[[Any, Any], bool]]]
    cases = [
        (
            "hexagons",
            lambda: fast.hexagon_counts(snapshot, FILTER, 9),
            lambda conn: plainsql.hexagon_counts(conn, FILTER, 9, zone),
            lambda ours, theirs: (
                dict(zip(ours[0].tolist(), ours[1].tolist(), strict=True)) == theirs
            ),
        ),
        (
            "timeslots",
            lambda: fast.week_hours(snapshot, FILTER),
            lambda conn: plainsql.week_hours(conn, FILTER, zone),
            lambda ours, theirs: bool(np.allclose(ours, theirs, rtol=1e-9, atol=1e-9)),
        ),
        (
            "trends",
            lambda: fast.series(snapshot, FILTER, "month", None),
            lambda conn: plainsql.series(conn, FILTER, "month", None, zone),
            lambda ours, theirs: (
                ours.starts == theirs.starts
                and ours.keys == theirs.keys
                and np.array_equal(ours.counts, theirs.counts)
            ),
        ),
    ]
    engine = make_engine(url)
    out = []
    with engine.connect() as conn:
        for name, ours, theirs, same in cases:
            fast_times, fast_result = times_ms(ours, FAST_RUNS, warmup=3)
            sql_times, sql_result = times_ms(partial(theirs, conn), SQL_RUNS, warmup=1)
            out.append(
                {
                    "name": name,
                    "fast": median(fast_times),
                    "sql": median(sql_times),
                    "same": same(fast_result, sql_result),
                    "total": _total(sql_result),
                }
            )
            conn.rollback()
    engine.dispose()
    return out


def _total(result: Any) -> float:
    if isinstance(result, dict):
        return float(sum(result.values()))
    if isinstance(result, np.ndarray):
        return float(result.sum())
    return float(result.counts.sum())
