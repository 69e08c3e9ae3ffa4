"""Near repeats bounded (issue 17): peak memory and time of the Knox test on the demo's facts.

The facts are the 30,000 of data/samples/incidents_toulouse.csv, what `observatory demo`
imports (benchmarks.synthetic, seed 42: Toulouse, 2024–2025). Each case calls ``knox_test`` as the
route does (WGS84 points, whole days, 999 permutations, seed 0, the settings' default caps) in
a fresh process: its time (wall clock, and CPU: the machine may be shared), its peak RSS
increment (the peak resident size, VmHWM, reset just before the call, less the resident size
then: scipy's own allocations included) and tracemalloc's peak (numpy's arrays). A refused case
says why, in the words the API would answer.

No database is needed. About three minutes on the project's 2-core machine.
"""

from __future__ import annotations

import gc
import multiprocessing
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import SAMPLES, machine
from observatory.analytics.nearrepeat import (
    DAY_EDGES,
    DISTANCE_EDGES,
    MAX_DAY_BANDS,
    MAX_DAYS,
    MAX_DISTANCE_BANDS,
    MAX_DISTANCE_M,
    MAX_PAIRS,
)

DEMO = SAMPLES / "incidents_toulouse.csv"
EPOCH = date(2000, 1, 1)
WIDEST = (
    tuple(np.linspace(0, MAX_DISTANCE_M, MAX_DISTANCE_BANDS + 1)),
    tuple(np.linspace(0, MAX_DAYS, MAX_DAY_BANDS + 1)),
)
MB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    """One request: its facts (a period, a category), its bands, its cap on pairs."""

    label: str
    distances: tuple[float, ...]
    days: tuple[float, ...]
    first: date = date(2024, 1, 1)
    last: date = date(2025, 12, 31)
    nature: str | None = None
    max_pairs: int = MAX_PAIRS


CASES = (
    Case("the attack: 0,100000 m × 0,1000 days, all facts", (0, 100_000), (0, 1000)),
    Case("default bands, all facts (no filter)", DISTANCE_EDGES, DAY_EDGES),
    Case("default bands, 2025", DISTANCE_EDGES, DAY_EDGES, date(2025, 1, 1)),
    Case(
        "default bands, « Cambriolage de logement », 2 years",
        DISTANCE_EDGES,
        DAY_EDGES,
        nature="Cambriolage de logement",
    ),
    Case("widest bands, all facts", *WIDEST),
    Case("widest bands, 2025 Q4", *WIDEST, date(2025, 10, 1)),
    Case(
        "default bands, all facts, cap on pairs raised to 12,000,000",
        DISTANCE_EDGES,
        DAY_EDGES,
        max_pairs=12_000_000,
    ),
)


def _demo() -> dict[str, np.ndarray]:
    """The demo's facts: longitude, latitude, day (since 2000-01-01), nature."""
    import pandas as pd

    frame = pd.read_csv(DEMO, sep=";", decimal=",", dtype={"nature": str})
    when = pd.to_datetime(frame["date_faits"], format="%d/%m/%Y")
    return {
        "lon": frame["longitude"].to_numpy(np.float64),
        "lat": frame["latitude"].to_numpy(np.float64),
        "day": (when - pd.Timestamp(EPOCH)).dt.days.to_numpy(np.int64),
        "nature": frame["nature"].to_numpy(str),
    }


def _status(field: str) -> int:
    """A size from /proc/self/status (VmRSS, VmHWM), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} absent de /proc/self/status")


def _measure(case: Case, inputs: Path, out: Any) -> None:
    """In a fresh process: the case's knox_test, its time, peak RSS increment, numpy peak."""
    from observatory.analytics.nearrepeat import knox_test
    from observatory.errors import NearRepeatTooLarge

    data = np.load(inputs)
    lon, lat, day = data["lon"], data["lat"], data["day"]
    gc.collect()
    # The peak RSS from here on: getrusage's would keep the parent's, inherited through exec.
    Path("/proc/self/clear_refs").write_text("5")
    before = _status("VmRSS")
    tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    try:
        table = knox_test(
            lon, lat, day, case.distances, case.days, max_pairs=case.max_pairs, seed=0
        )
        outcome = f"{table.pairs:,} pairs in the bands"
    except NearRepeatTooLarge as refused:
        outcome = f"refused (422): « {str(refused).split(' :')[0]} »"
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    _, numpy_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = _status("VmHWM")
    out.put((lon.size, outcome, elapsed, cpu, (peak - before) / MB, numpy_peak / MB))


def _pairs_within(lon: np.ndarray, lat: np.ndarray, reach: float) -> int:
    from scipy.spatial import cKDTree

    from observatory.analytics.nearrepeat import lambert93

    tree = cKDTree(np.column_stack(lambert93(lon, lat)))
    return (int(tree.count_neighbors(tree, reach)) - lon.size) // 2


def run() -> None:
    import scipy

    demo = _demo()
    context = multiprocessing.get_context("spawn")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for case in CASES:
            keep = (demo["day"] >= (case.first - EPOCH).days) & (
                demo["day"] <= (case.last - EPOCH).days
            )
            if case.nature is not None:
                keep &= demo["nature"] == case.nature
            inputs = Path(folder) / "facts.npz"
            np.savez(inputs, lon=demo["lon"][keep], lat=demo["lat"][keep], day=demo["day"][keep])
            within = _pairs_within(demo["lon"][keep], demo["lat"][keep], case.distances[-1])
            out = context.Queue()
            child = context.Process(target=_measure, args=(case, inputs, out))
            child.start()
            facts, outcome, elapsed, cpu, rss, numpy_peak = out.get()
            child.join()
            rows.append((case.label, facts, within, outcome, elapsed, cpu, rss, numpy_peak))
            print(f"{case.label}: {outcome}, {elapsed:.2f} s, +{rss:.0f} MB RSS", flush=True)
    about = machine(f"numpy {np.__version__}, scipy {scipy.__version__}")
    print()
    print(
        f"Machine: `{about['uname']}`; {about['nproc']} CPU ({about['cpu']}), {about['memory']}; "
        f"{about['software']}. Run {about['date']}; load average (1 min) {about['load']} at the "
        "end."
    )
    print()
    print(
        "| request | facts | pairs within the last distance edge | outcome | time (CPU) | "
        "peak RSS increment | numpy peak (tracemalloc) |"
    )
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: |")
    for label, facts, within, outcome, elapsed, cpu, rss, numpy_peak in rows:
        print(
            f"| {label} | {facts:,} | {within:,} | {outcome} | {elapsed:.2f} s ({cpu:.2f} s) | "
            f"{rss:.0f} MB | {numpy_peak:.0f} MB |"
        )


if __name__ == "__main__":
    run()
